/**
 * @internal A publisher of raw bodies to a fresh queue, with publisher confirms and the
 * channel's back-pressure kept, for `beamish demo --broker rabbitmq`. It lives here because
 * amqplib may be loaded only inside this folder. Each body carries its line number in the
 * `line` header.
 */
import { once } from "node:events";
import amqp from "amqplib";

/** Bodies published and not confirmed yet, at most: the broker confirms them in one go. */
const confirmEvery = 5_000;

/** @internal What `beamish demo` publishes through: one queue, deleted by `remove`. */
export interface RabbitmqLinePublisher {
  publish(body: string, line: number): undefined | Promise<void>;
  /** Resolves once the broker confirmed every body published. */
  flush(): Promise<void>;
  /** Deletes the queue and closes the connection. */
  remove(): Promise<void>;
}

/** @internal Connects to `url` and declares the non-durable queue `queue`. */
export async function openRabbitmqPublisher(
  url: string,
  queue: string,
): Promise<RabbitmqLinePublisher> {
  const connection = await amqp.connect(url, {
    noDelay: true,
    clientProperties: { connection_name: "beamish demo" },
  });
  const channel = await connection.createConfirmChannel();
  await channel.assertQueue(queue, { durable: false });
  let unconfirmed = 0;
  return {
    publish(body, line) {
      const written = channel.sendToQueue(queue, Buffer.from(body), { headers: { line } });
      unconfirmed++;
      if (unconfirmed >= confirmEvery) {
        unconfirmed = 0;
        return channel.waitForConfirms();
      }
      return written ? undefined : once(channel, "drain").then(() => undefined);
    },
    async flush() {
      unconfirmed = 0;
      await channel.waitForConfirms();
    },
    async remove() {
      try {
        await channel.deleteQueue(queue);
      } finally {
        await connection.close();
      }
    },
  };
}
