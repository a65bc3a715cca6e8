/**
 * @internal A publisher of raw payloads to a fresh JetStream stream, for `beamish demo --broker
 * nats`. It lives here because the NATS client may be loaded only inside this folder. Each
 * payload carries its line number in the `line` header; publishes wait for the stream's ack, a
 * window of them at a time.
 */
import { jetstream, jetstreamManager, type PubAck } from "@nats-io/jetstream";
import { connect, headers } from "@nats-io/transport-node";

/** Publishes awaiting the stream's ack, at most. */
const window = 1_000;

/** @internal What `beamish demo` publishes through: one stream, deleted by `remove`. */
export interface NatsLinePublisher {
  publish(body: string, line: number): undefined | Promise<void>;
  /** Resolves once the stream acked every payload published. */
  flush(): Promise<void>;
  /** Deletes the stream and closes the connection. */
  remove(): Promise<void>;
}

/** @internal Connects to `servers` and creates the in-memory stream `stream` on `<stream>.>`. */
export async function openNatsPublisher(
  servers: string,
  stream: string,
): Promise<NatsLinePublisher> {
  const nc = await connect({ servers, name: "beamish demo" });
  const jsm = await jetstreamManager(nc);
  await jsm.streams.add({ name: stream, subjects: [`${stream}.>`], storage: "memory" });
  const js = jetstream(nc);
  const subject = `${stream}.events`;
  let pending: Promise<PubAck>[] = [];
  const flush = async () => {
    const waiting = pending;
    pending = [];
    await Promise.all(waiting);
  };
  return {
    publish(body, line) {
      const h = headers();
      h.set("line", String(line));
      pending.push(js.publish(subject, body, { headers: h }));
      return pending.length >= window ? flush() : undefined;
    },
    flush,
    async remove() {
      try {
        await jsm.streams.delete(stream);
      } finally {
        await nc.close();
      }
    },
  };
}
