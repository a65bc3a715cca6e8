/**
 * @internal The client interface of `client.ts` over amqplib: the only file that loads it.
 */
import amqp, { type Channel, type ChannelModel, type Message } from "amqplib";
import type { AmqpChannel, AmqpConnection, AmqpDriver, Delivery } from "./client.js";

// amqplib's ack/nack read nothing of a message but its delivery tag.
const tagged = (deliveryTag: number) => ({ fields: { deliveryTag } }) as Message;

function channelOf(channel: Channel): AmqpChannel {
  let lastError: unknown;
  // Without an 'error' listener amqplib rethrows a channel error into the connection.
  channel.on("error", (error: unknown) => {
    lastError = error;
  });
  return {
    async prepareQueue(queue, declaration) {
      if (declaration === undefined) await channel.checkQueue(queue);
      else {
        const { durable, exclusive, autoDelete, arguments: args } = declaration;
        await channel.assertQueue(queue, {
          ...(durable === undefined ? {} : { durable }),
          ...(exclusive === undefined ? {} : { exclusive }),
          ...(autoDelete === undefined ? {} : { autoDelete }),
          ...(args === undefined ? {} : { arguments: args }),
        });
      }
    },
    async bind(queue, { exchange, routingKey, arguments: args }) {
      await channel.bindQueue(queue, exchange, routingKey, args);
    },
    async prefetch(count) {
      await channel.prefetch(count, false);
    },
    async consume(queue, onDelivery, onCancel) {
      const { consumerTag } = await channel.consume(queue, (message) => {
        if (message === null) onCancel();
        else onDelivery(message as Delivery);
      });
      return consumerTag;
    },
    async cancel(consumerTag) {
      await channel.cancel(consumerTag);
    },
    ack(deliveryTag, multiple) {
      channel.ack(tagged(deliveryTag), multiple);
    },
    nack(deliveryTag, multiple, requeue) {
      channel.nack(tagged(deliveryTag), multiple, requeue);
    },
    onClose(listener) {
      channel.once("close", () => listener(lastError));
    },
    close: () => channel.close(),
  };
}

function connectionOf(model: ChannelModel, owned: boolean): AmqpConnection {
  let lastError: unknown;
  const onError = (error: unknown) => {
    lastError = error;
  };
  const listeners: Array<() => void> = [];
  model.on("error", onError);
  return {
    async openChannel() {
      return channelOf(await model.createChannel());
    },
    onClose(listener) {
      const onClose = (error?: unknown) => listener(error ?? lastError);
      model.once("close", onClose);
      listeners.push(() => model.removeListener("close", onClose));
    },
    release() {
      for (const remove of listeners.splice(0)) remove();
      // Ours keeps its error listener for good (an 'error' with none throws); the user's
      // connection goes back to the listeners the user gave it.
      if (!owned) model.removeListener("error", onError);
    },
    close: () => model.close(),
  };
}

/** @internal amqplib as the producer's driver. */
export const amqplibDriver: AmqpDriver = {
  async connect(url, name) {
    // TCP_NODELAY: with Nagle on (amqplib's default), a small frame written while the last one
    // waits for the broker's delayed ACK is held 40 ms: every channel close at a stop took that.
    const model = await amqp.connect(url, {
      noDelay: true,
      clientProperties: { connection_name: name },
    });
    return connectionOf(model, true);
  },
  adopt(connection) {
    return connectionOf(connection as ChannelModel, false);
  },
  retryable(error) {
    // 403 ACCESS_REFUSED (credentials) and 530 NOT_ALLOWED (vhost) fail the same way next time.
    const message = error instanceof Error ? error.message : String(error);
    return !/ACCESS[-_]REFUSED|NOT[-_]ALLOWED|\b403\b|\b530\b/.test(message);
  },
};
