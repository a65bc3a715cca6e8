/**
 * @internal The RabbitMQ producer against the client interface of `client.ts`. Each producer
 * stage holds one channel with one consumer; the broker pushes deliveries, which wait in the
 * stage's buffer (bounded by the prefetch) until demand takes them. Network work never runs
 * inside a callback of the stage: it is started there, and its outcome comes back as a message
 * to the stage, so that a drain is never stuck behind a broker that does not answer.
 */
import { cancelTimer, send, sendAfter, type TimerRef } from "../../kernel/api.js";
import type { Pid } from "../../kernel/pid.js";
import { currentRuntime } from "../../kernel/runtime.js";
import type { Message, ProducerDefinition, ProducerResult } from "../../pipeline/index.js";
import { publishConnection } from "../../pipeline/index.js";
import { emit } from "../../stage/definition.js";
import { backoffDelay, connectWithRetry, redact } from "../reconnect.js";
import {
  ChannelLink,
  emptyStats,
  type RabbitmqStats,
  rabbitmqAcknowledger,
} from "./acknowledger.js";
import type { AmqpConnection, AmqpDriver, Delivery } from "./client.js";
import { decoder, toMessage } from "./delivery.js";
import { ConnectionLostError, ConsumerCancelledError } from "./errors.js";
import { type ParsedOptions, parseRabbitmqOptions } from "./options.js";
import { TagWindow } from "./tag-window.js";

/** The adaptive prefetch never grows past this; a fixed `prefetch` may go up to 65535. */
export const AUTO_PREFETCH_MAX = 1000;
const AUTO_PREFETCH_MIN = 10;
/** How long `terminate` waits for the broker to confirm a close. */
const CLOSE_TIMEOUT = 2000;
const CONNECTOR = "rabbitmq";

/** A RabbitMQ producer: a pipeline's `producer.module`, with its counters. */
export interface RabbitmqProducer<T = unknown> extends ProducerDefinition<T, StageState> {
  /** What the producer did so far, over all its stages (a copy). */
  stats(): RabbitmqStats;
}

/** A connection and whether it is still open. */
interface Connection {
  readonly client: AmqpConnection;
  /** Opened by the producer from `url` (else the user's: never closed by the producer). */
  readonly owned: boolean;
  open: boolean;
}

interface StageState {
  readonly pid: Pid;
  /** The connection's name in the broker's list: `beamish PIPELINE producer INDEX`. */
  readonly name: string;
  connection: Connection | undefined;
  link: ChannelLink | undefined;
  /** Deliveries not emitted yet, from `head` on. */
  buffer: Delivery[];
  head: number;
  /** Demanded and not emitted. */
  pending: number;
  /** A READY is on its way to the stage. */
  signalled: boolean;
  /** Demand came: consume whenever a channel is open. */
  started: boolean;
  draining: boolean;
  stopped: boolean;
  /** The broker cancelled the consumer and `onConsumerCancel` is `"stop"`. */
  cancelled: boolean;
  prefetch: number;
  growing: boolean;
  /** A reconnection is running. */
  restoring: boolean;
  /** Failed attempts since the last success, for the backoff. */
  attempt: number;
  timer: TimerRef | undefined;
}

const READY = Symbol("beamish.rabbitmq.ready");
const RETRY = Symbol("beamish.rabbitmq.retry");

/** The channel closed (or the connection under it). */
class ChannelLost {
  constructor(
    readonly link: ChannelLink,
    readonly error: unknown,
  ) {}
}
class ConnectionClosed {
  constructor(
    readonly connection: Connection,
    readonly error: unknown,
  ) {}
}
class ConsumerCancelled {
  constructor(readonly link: ChannelLink) {}
}
/** A reconnection (or a new consumer after a cancel) succeeded. */
class Restored {
  constructor(
    readonly connection: Connection,
    readonly link: ChannelLink,
  ) {}
}
class RestoreFailed {
  constructor(readonly error: unknown) {}
}

/** @internal `rabbitmqProducer` with its driver: amqplib, or a fake broker in unit tests. */
export function createRabbitmqProducer<T>(input: unknown, driver: AmqpDriver): RabbitmqProducer<T> {
  const options: ParsedOptions = parseRabbitmqOptions(input);
  const { queue, bindings, connect } = options;
  const declaration =
    options.declare === false ? undefined : options.declare === true ? {} : options.declare;
  const address = options.connection === undefined ? redact(options.url) : "given connection";
  const stats = emptyStats();
  const acknowledger = rabbitmqAcknowledger(options.onFailure);
  const decode = decoder<T>(options.decode);

  const down = (error: unknown) =>
    publishConnection({ connector: CONNECTOR, state: "down", address, error });

  const watchConnection = (pid: Pid, client: AmqpConnection, owned: boolean): Connection => {
    const connection: Connection = { client, owned, open: true };
    client.onClose((error) => {
      if (!connection.open) return;
      connection.open = false;
      send(pid, new ConnectionClosed(connection, error));
    });
    return connection;
  };

  /** Opens a channel on `connection` and gets the queue ready: declared or checked, bound. */
  const openLink = async (pid: Pid, connection: Connection): Promise<ChannelLink> => {
    const channel = await connection.client.openChannel();
    const link = new ChannelLink(channel, stats);
    channel.onClose((error) => {
      if (!link.open) return;
      link.close();
      send(pid, new ChannelLost(link, error));
    });
    try {
      await prepare(link);
    } catch (error) {
      link.close();
      channel.close().catch(() => {});
      throw error;
    }
    return link;
  };

  const prepare = async (link: ChannelLink): Promise<void> => {
    await link.channel.prepareQueue(queue, declaration);
    for (const binding of bindings) await link.channel.bind(queue, binding);
  };

  const onDelivery = (state: StageState, link: ChannelLink, delivery: Delivery) => {
    if (link !== state.link) return;
    link.delivered++;
    stats.delivered++;
    if (state.draining || state.stopped) {
      // Not emitted once the drain began: back to the queue for whoever consumes next.
      link.settle([TagWindow.encode(delivery.fields.deliveryTag, "requeue")], true);
      return;
    }
    state.buffer.push(delivery);
    if (state.pending > 0 && !state.signalled) {
      state.signalled = true;
      send(state.pid, READY);
    }
  };

  /** Starts a consumer with the current prefetch; its outcome comes back as messages. */
  const consume = async (state: StageState, link: ChannelLink): Promise<string> => {
    const prefetch = state.prefetch;
    await link.channel.prefetch(prefetch);
    stats.prefetch = prefetch;
    link.setPrefetch(prefetch);
    let tag = "";
    tag = await link.channel.consume(
      queue,
      (delivery) => onDelivery(state, link, delivery),
      () => {
        link.consumers.delete(tag);
        if (link.consumers.size === 0) send(state.pid, new ConsumerCancelled(link));
      },
    );
    link.consumers.add(tag);
    // The drain began while the consumer was starting.
    if (state.draining || state.stopped) cancelConsumers(link);
    return tag;
  };

  const startConsuming = (state: StageState) => {
    const link = state.link;
    if (link === undefined || !link.open || link.consuming) return;
    if (state.draining || state.stopped || state.cancelled) return;
    if (options.prefetch !== undefined) state.prefetch = options.prefetch;
    else if (state.prefetch === 0) {
      state.prefetch = Math.min(AUTO_PREFETCH_MAX, Math.max(AUTO_PREFETCH_MIN, 2 * state.pending));
    }
    link.consuming = true;
    // A failure closes the channel (AMQP channel errors do): ChannelLost follows.
    consume(state, link).catch(() => {});
  };

  /**
   * The adaptive prefetch: demand waits, nothing is buffered, and the window is full of
   * deliveries still in the pipeline (in a batcher, being handled). A consumer's prefetch is
   * fixed when it starts, so a new consumer with twice the window replaces it; deliveries of
   * the old one stay on the channel and are settled there as usual.
   */
  const maybeGrow = (state: StageState) => {
    const link = state.link;
    if (options.prefetch !== undefined || state.growing || link === undefined) return;
    if (!link.open || link.consumers.size === 0 || state.draining || state.cancelled) return;
    if (state.pending === 0 || state.head < state.buffer.length) return;
    if (link.unsettled < state.prefetch || state.prefetch >= AUTO_PREFETCH_MAX) return;
    state.growing = true;
    const old = [...link.consumers];
    state.prefetch = Math.min(AUTO_PREFETCH_MAX, state.prefetch * 2);
    (async () => {
      await consume(state, link);
      for (const tag of old) {
        link.consumers.delete(tag);
        await link.channel.cancel(tag);
      }
    })()
      .catch(() => {})
      .finally(() => {
        state.growing = false;
      });
  };

  const cancelConsumers = (link: ChannelLink) => {
    if (!link.open) return;
    for (const tag of link.consumers) link.channel.cancel(tag).catch(() => {});
    link.consumers.clear();
  };

  /** Emits what is buffered, up to `limit`. */
  const take = (state: StageState, limit: number): ProducerResult<T, StageState> => {
    const link = state.link;
    const available = state.buffer.length - state.head;
    const n = Math.min(limit, available);
    if (n === 0 || link === undefined) return state;
    const messages = new Array<Message<T>>(n);
    const buffer = state.buffer;
    let at = state.head;
    for (let i = 0; i < n; i++, at++) {
      messages[i] = toMessage(buffer[at] as Delivery, link, acknowledger, decode, queue);
    }
    if (at === buffer.length) {
      state.buffer = [];
      state.head = 0;
    } else if (at > 1024 && at * 2 > buffer.length) {
      state.buffer = buffer.slice(at);
      state.head = 0;
    } else {
      state.head = at;
    }
    state.pending = Math.max(0, state.pending - n);
    return emit(messages, state);
  };

  const clearBuffer = (state: StageState) => {
    state.buffer = [];
    state.head = 0;
  };

  const scheduleRetry = (state: StageState) => {
    if (state.timer !== undefined || state.draining || state.stopped) return;
    const delay = backoffDelay(state.attempt, options.backoff);
    state.attempt++;
    state.timer = sendAfter(state.pid, RETRY, delay);
  };

  /**
   * Gets a consuming channel back: a new connection if the old one closed (one attempt; the
   * backoff is between attempts), a new channel if the old one closed, or the same channel when
   * only the consumer was cancelled (its deliveries in flight can still be settled there).
   */
  const restore = async (state: StageState): Promise<Restored> => {
    const link = state.link;
    if (link?.open && state.connection !== undefined) {
      await prepare(link);
      return new Restored(state.connection, link);
    }
    let connection = state.connection;
    let fresh = false;
    if (connection === undefined || !connection.open) {
      connection = watchConnection(state.pid, await driver.connect(options.url, state.name), true);
      fresh = true;
    }
    try {
      return new Restored(connection, await openLink(state.pid, connection));
    } catch (error) {
      if (fresh) {
        connection.open = false;
        connection.client.close().catch(() => {});
      }
      throw error;
    }
  };

  const onRetry = (state: StageState) => {
    state.timer = undefined;
    if (state.restoring || state.draining || state.stopped) return;
    state.restoring = true;
    const pid = state.pid;
    restore(state).then(
      (restored) => send(pid, restored),
      (error: unknown) => send(pid, new RestoreFailed(error)),
    );
  };

  const onRestored = (state: StageState, { connection, link }: Restored) => {
    state.restoring = false;
    if (state.draining || state.stopped) {
      if (link !== state.link) closeQuietly(link, connection, connection !== state.connection);
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
    publishConnection({ connector: CONNECTOR, state: "up", address });
    if (state.started) startConsuming(state);
  };

  const closeQuietly = (link: ChannelLink, connection: Connection, closeConnection: boolean) => {
    link.close();
    link.channel.close().catch(() => {});
    if (closeConnection && connection.owned) {
      connection.open = false;
      connection.client.close().catch(() => {});
    }
  };

  const onChannelLost = (state: StageState, link: ChannelLink, error: unknown) => {
    if (link !== state.link) return;
    state.link = undefined;
    // Undelivered to the pipeline, unsettled: the broker requeues them with the channel.
    clearBuffer(state);
    stats.drops++;
    down(error);
    scheduleRetry(state);
  };

  const onConnectionClosed = (state: StageState, connection: Connection, error: unknown) => {
    if (connection !== state.connection) return;
    if (state.link !== undefined) {
      state.link.close();
      onChannelLost(state, state.link, error);
    }
    state.connection = undefined;
    connection.client.release();
    if (state.draining || state.stopped) return;
    // A connection the user gave cannot be reopened here: the stage exits, the user decides.
    if (!connection.owned) throw new ConnectionLostError(error);
  };

  const onConsumerCancelled = (state: StageState, link: ChannelLink) => {
    if (link !== state.link || !link.open) return;
    link.consuming = false;
    stats.consumerCancels++;
    down(new ConsumerCancelledError(queue));
    if (options.onConsumerCancel === "stop") state.cancelled = true;
    else scheduleRetry(state);
  };

  const terminateStage = async (state: StageState) => {
    state.stopped = true;
    if (state.timer !== undefined) cancelTimer(state.timer);
    state.timer = undefined;
    clearBuffer(state);
    const link = state.link;
    const connection = state.connection;
    state.link = undefined;
    state.connection = undefined;
    const clock = currentRuntime().clock;
    let timer: unknown;
    const timeout = new Promise<void>((resolve) => {
      timer = clock.setTimer(CLOSE_TIMEOUT, resolve);
    });
    const close = async () => {
      // In this order: amqplib writes each channel's frames through a buffer of its own, so a
      // connection.close sent at once could reach the broker before the last acks. The
      // channel's close-ok comes back after the broker has taken every frame before it.
      if (link?.open) {
        link.flush();
        link.close();
        await link.channel.close().catch(() => {});
      }
      if (connection === undefined) return;
      connection.client.release();
      if (connection.owned && connection.open) {
        connection.open = false;
        await connection.client.close().catch(() => {});
      }
    };
    // A broker that no longer answers must not hold the pipeline's stop.
    await Promise.race([close(), timeout]);
    clock.clearTimer(timer);
    if (connection?.owned && connection.open) {
      connection.open = false;
      connection.client.close().catch(() => {});
    }
  };

  return {
    name: "rabbitmq",
    stats: () => ({ ...stats }),

    async init(context, self) {
      const pid = self.pid;
      const name = `beamish ${context.pipeline} producer ${context.index}`;
      const connection =
        options.connection !== undefined
          ? watchConnection(pid, driver.adopt(options.connection), false)
          : watchConnection(
              pid,
              await connectWithRetry(CONNECTOR, address, () => driver.connect(options.url, name), {
                attempts: connect.attempts,
                backoff: options.backoff,
                retryable: driver.retryable,
              }),
              true,
            );
      let link: ChannelLink;
      try {
        link = await openLink(pid, connection);
      } catch (error) {
        connection.client.release();
        if (connection.owned) await connection.client.close().catch(() => {});
        throw error;
      }
      if (!connection.owned) publishConnection({ connector: CONNECTOR, state: "up", address });
      const state: StageState = {
        pid,
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
        startConsuming(state);
      }
      const result = take(state, state.pending);
      maybeGrow(state);
      return result;
    },

    handleInfo(message, state) {
      if (message === READY) {
        state.signalled = false;
        const result = take(state, state.pending);
        maybeGrow(state);
        return result;
      }
      if (message === RETRY) onRetry(state);
      else if (message instanceof Restored) onRestored(state, message);
      else if (message instanceof RestoreFailed) {
        state.restoring = false;
        publishConnection({ connector: CONNECTOR, state: "failed", address, error: message.error });
        scheduleRetry(state);
      } else if (message instanceof ChannelLost) onChannelLost(state, message.link, message.error);
      else if (message instanceof ConnectionClosed) {
        onConnectionClosed(state, message.connection, message.error);
      } else if (message instanceof ConsumerCancelled) onConsumerCancelled(state, message.link);
      return state;
    },

    prepareForDraining(state) {
      state.draining = true;
      if (state.timer !== undefined) cancelTimer(state.timer);
      state.timer = undefined;
      if (state.link !== undefined) cancelConsumers(state.link);
      // What is held was delivered before the cancel: it goes through the pipeline.
      return take(state, Number.POSITIVE_INFINITY);
    },

    terminate(_reason, state) {
      return terminateStage(state);
    },
  };
}
