/**
 * @internal The RabbitMQ producer against the client interface of `client.ts`. Each producer
 * stage holds one channel with one consumer; the broker pushes deliveries, which wait in the
 * stage's buffer (bounded by the prefetch) until demand takes them. Network work never runs
 * inside a callback of the stage: it is started there, and its outcome comes back as a message
 * to the stage, so that a drain is never stuck behind a broker that does not answer.
 */
import { cancelTimer, send, sendAfter } from "../../kernel/api.js";
import type { Message, ProducerDefinition, ProducerResult } from "../../pipeline/index.js";
import { publishConnection } from "../../pipeline/index.js";
import { emit } from "../../stage/definition.js";
import { backoffDelay, redact } from "../reconnect.js";
import { emptyStats, type RabbitmqStats, rabbitmqAcknowledger } from "./acknowledger.js";
import type { AmqpDriver, Delivery } from "./client.js";
import { cancelConsumers, maybeGrow, startConsuming } from "./consumer.js";
import { decoder, toMessage } from "./delivery.js";
import { ConnectionLostError, ConsumerCancelledError } from "./errors.js";
import { parseRabbitmqOptions } from "./options.js";
import { close, discard, open, restore } from "./session.js";
import {
  ChannelLost,
  CONNECTOR,
  ConnectionClosed,
  ConsumerCancelled,
  type Context,
  READY,
  RETRY,
  Restored,
  RestoreFailed,
  type StageState,
} from "./stage.js";

export { AUTO_PREFETCH_MAX } from "./consumer.js";

/**
 * A RabbitMQ producer: a pipeline's `producer.module`, with its counters.
 *
 * @example
 * ```ts
 * const orders: RabbitmqProducer<Order> = rabbitmqProducer<Order>({ queue: "orders" });
 * await Pipeline.start({ producer: { module: orders }, ... });
 * console.log(orders.stats().acked);
 * ```
 */
export interface RabbitmqProducer<T = unknown> extends ProducerDefinition<T, StageState> {
  /** What the producer did so far, over all its stages (a copy). */
  stats(): RabbitmqStats;
}

/** @internal `rabbitmqProducer` with its driver: amqplib, or a fake broker in unit tests. */
export function createRabbitmqProducer<T>(input: unknown, driver: AmqpDriver): RabbitmqProducer<T> {
  const options = parseRabbitmqOptions(input);
  const stats = emptyStats();
  const decode = decoder<T>(options.decode);
  const context: Context<unknown> = {
    options,
    driver,
    stats,
    acknowledger: rabbitmqAcknowledger(options.onFailure),
    decode,
    declaration:
      options.declare === false ? undefined : options.declare === true ? {} : options.declare,
    address: options.connection === undefined ? redact(options.url) : "given connection",
  };
  const { acknowledger, address } = context;
  const queue = options.queue;

  const publish = (state: "up" | "down" | "failed", error?: unknown) =>
    publishConnection({
      connector: CONNECTOR,
      state,
      address,
      ...(error === undefined ? {} : { error }),
    });

  /** Emits what is buffered, up to `limit`. */
  const take = (state: StageState, limit: number): ProducerResult<T, StageState> => {
    const link = state.link;
    const buffer = state.buffer;
    const n = Math.min(limit, buffer.length - state.head);
    if (n === 0 || link === undefined) return state;
    const messages = new Array<Message<T>>(n);
    let at = state.head;
    for (let i = 0; i < n; i++, at++) {
      messages[i] = toMessage(buffer[at] as Delivery, link, acknowledger, decode, queue);
    }
    if (at === buffer.length) clearBuffer(state);
    else if (at > 1024 && at * 2 > buffer.length) {
      state.buffer = buffer.slice(at);
      state.head = 0;
    } else state.head = at;
    state.pending = Math.max(0, state.pending - n);
    return emit(messages, state);
  };

  const clearBuffer = (state: StageState) => {
    state.buffer = [];
    state.head = 0;
  };

  /** Takes what demand allows, and lets the adaptive prefetch see whether demand waits. */
  const serve = (state: StageState): ProducerResult<T, StageState> => {
    const result = take(state, state.pending);
    maybeGrow(context, state);
    return result;
  };

  const scheduleRetry = (state: StageState) => {
    if (state.timer !== undefined || state.draining || state.stopped) return;
    const delay = backoffDelay(state.attempt, options.backoff);
    state.attempt++;
    state.timer = sendAfter(state.pid, RETRY, delay);
  };

  const onRetry = (state: StageState) => {
    state.timer = undefined;
    if (state.restoring || state.draining || state.stopped) return;
    state.restoring = true;
    const pid = state.pid;
    restore(context, state).then(
      (restored) => send(pid, restored),
      (error: unknown) => send(pid, new RestoreFailed(error)),
    );
  };

  const onRestored = (state: StageState, { connection, link }: Restored) => {
    state.restoring = false;
    if (state.draining || state.stopped) {
      if (link !== state.link) {
        discard(link, connection !== state.connection ? connection : undefined);
      }
      return;
    }
    if (!connection.open || !link.open) {
      scheduleRetry(state);
      return;
    }
    const reconnected = link !== state.link;
    if (connection !== state.connection) state.connection?.client.release();
    state.connection = connection;
    state.link = link;
    state.attempt = 0;
    if (reconnected) stats.reconnections++;
    publish("up");
    if (state.started) startConsuming(context, state);
  };

  const onChannelLost = (state: StageState, { link, error }: ChannelLost) => {
    if (link !== state.link) return;
    state.link = undefined;
    // Undelivered to the pipeline, unsettled: the broker requeues them with the channel.
    clearBuffer(state);
    stats.drops++;
    publish("down", error);
    scheduleRetry(state);
  };

  const onConnectionClosed = (state: StageState, { connection, error }: ConnectionClosed) => {
    if (connection !== state.connection) return;
    const link = state.link;
    if (link !== undefined) {
      link.close();
      onChannelLost(state, new ChannelLost(link, error));
    }
    state.connection = undefined;
    connection.client.release();
    if (state.draining || state.stopped) return;
    // A connection the user gave cannot be reopened here: the stage exits, the user decides.
    if (!connection.owned) throw new ConnectionLostError(error);
  };

  const onConsumerCancelled = (state: StageState, { link }: ConsumerCancelled) => {
    if (link !== state.link || !link.open) return;
    link.consuming = false;
    stats.consumerCancels++;
    publish("down", new ConsumerCancelledError(queue));
    if (options.onConsumerCancel === "stop") state.cancelled = true;
    else scheduleRetry(state);
  };

  const stopTimer = (state: StageState) => {
    if (state.timer !== undefined) cancelTimer(state.timer);
    state.timer = undefined;
  };

  return {
    name: "rabbitmq",
    stats: () => ({ ...stats }),

    async init(pipeline, self) {
      const name = `beamish ${pipeline.pipeline} producer ${pipeline.index}`;
      const { connection, link } = await open(context, self.pid, name);
      const state: StageState = {
        pid: self.pid,
        name,
        connection,
        link,
        buffer: [],
        head: 0,
        pending: 0,
        signalled: false,
        started: false,
        draining: false,
        stopped: false,
        cancelled: false,
        prefetch: 0,
        growing: false,
        restoring: false,
        attempt: 0,
        timer: undefined,
      };
      return state;
    },

    handleDemand(demand, state) {
      state.pending += demand;
      if (!state.started) {
        state.started = true;
        startConsuming(context, state);
      }
      return serve(state);
    },

    handleInfo(message, state) {
      if (message === READY) {
        state.signalled = false;
        return serve(state);
      }
      if (message === RETRY) onRetry(state);
      else if (message instanceof Restored) onRestored(state, message);
      else if (message instanceof RestoreFailed) {
        state.restoring = false;
        publish("failed", message.error);
        scheduleRetry(state);
      } else if (message instanceof ChannelLost) onChannelLost(state, message);
      else if (message instanceof ConnectionClosed) onConnectionClosed(state, message);
      else if (message instanceof ConsumerCancelled) onConsumerCancelled(state, message);
      return state;
    },

    prepareForDraining(state) {
      state.draining = true;
      stopTimer(state);
      if (state.link !== undefined) cancelConsumers(state.link);
      // What is held was delivered before the cancel: it goes through the pipeline.
      return take(state, Number.POSITIVE_INFINITY);
    },

    async terminate(_reason, state) {
      state.stopped = true;
      stopTimer(state);
      clearBuffer(state);
      const { link, connection } = state;
      state.link = undefined;
      state.connection = undefined;
      await close(link, connection);
    },
  };
}
