/**
 * @internal The NATS JetStream producer, against the client interface of `client.ts`: pull
 * requests sized by the pipeline's demand plus a bounded prefetch and bounded by the consumer's
 * `max_ack_pending`, deliveries kept until demanded, in-progress signals for messages that stay long, and a
 * connection that comes and goes without the producer noticing more than a pause.
 *
 * Deliveries arrive outside the stage's turn (the client calls back); they are put aside and a
 * message to the stage emits them, as `Pipeline.fromIterable` does with an async source, so a
 * drain never waits on the network.
 */
import { cancelTimer, send, sendAfter } from "../../kernel/api.js";
import { currentRuntime } from "../../kernel/runtime.js";
import {
  type Acknowledger,
  type Message,
  type ProducerDefinition,
  type ProducerResult,
  publishConnection,
} from "../../pipeline/index.js";
import { emit } from "../../stage/definition.js";
import { backoffDelay } from "../reconnect.js";
import { emptyStats, type NatsStats, natsAcknowledger } from "./acknowledger.js";
import type {
  ConnectionChange,
  JetStreamClient,
  JetStreamConnect,
  JetStreamDelivery,
} from "./client.js";
import { decoder, toMessage } from "./delivery.js";
import { JetStreamPullError, NatsConnectionClosedError } from "./errors.js";
import type { Decode, ParsedNatsOptions } from "./options.js";
import { type Pull, type Shared, Stage, WAKE } from "./stage.js";

/** A NATS producer: a pipeline's `producer.module`, with its counters. */
export interface NatsProducer<T = unknown> extends ProducerDefinition<T, Stage> {
  /** What the producer did so far, over all its stages (a copy). */
  stats(): NatsStats;
}

/** Deliveries are waiting in the stage's buffer. */
const READY = Symbol("beamish.connectors.nats.ready");
/** Time to pull again after a failed pull. */
const RETRY = Symbol("beamish.connectors.nats.retry");
/** Time to look at the messages in the pipeline: signal them in progress, or give up on them. */
const TICK = Symbol("beamish.connectors.nats.tick");

class PullEnded {
  constructor(readonly error: unknown) {}
}
class ConnectionClosed {
  constructor(readonly error: unknown) {}
}

/**
 * Pull requests a stage keeps open at once: later ones ask for the demand that came in while the
 * first was being answered, so the server always holds a request and the pipeline does not wait
 * a round trip between batches. With 2, broker-nats spent a third of its time idle waiting for
 * deliveries (CPU profile, node's own work equal to the raw client's); 4 gave 1.13x the msgs/s.
 */
const OPEN_PULLS = 4;
/** Pulls failing in a row while connected before the stage exits (and is restarted). */
export const MAX_PULL_FAILURES = 10;

/** @internal The producer over any `JetStreamConnect` (the real client, or a fake in tests). */
export function createNatsProducer<T>(
  options: ParsedNatsOptions,
  connect: JetStreamConnect,
): NatsProducer<T> {
  const {
    stream,
    consumer,
    maxBatch,
    prefetch,
    expires,
    inProgressEvery,
    inProgressLimit,
    address,
  } = options;
  const prefetchStep = Math.max(1, Math.ceil(prefetch / 4));
  const decode = decoder(options.decode as Decode<T>);
  const shared: Shared = {
    client: undefined,
    connecting: undefined,
    connected: false,
    requested: 0,
    starved: false,
    stages: new Set(),
    stats: emptyStats(),
  };
  const stats = shared.stats;
  const acknowledger: Acknowledger = natsAcknowledger(options, stats) as Acknowledger;

  const onChange = (change: ConnectionChange, error?: unknown): void => {
    if (change === "up") {
      shared.connected = true;
      stats.reconnections++;
      publishConnection({ connector: "nats", state: "up", address });
      for (const stage of shared.stages) send(stage.pid, WAKE);
      return;
    }
    shared.connected = false;
    publishConnection({
      connector: "nats",
      state: "down",
      address,
      ...(error === undefined ? {} : { error }),
    });
    if (change === "down") {
      stats.drops++;
      return;
    }
    for (const stage of shared.stages) send(stage.pid, new ConnectionClosed(error));
  };

  const connectOnce = (): Promise<JetStreamClient> => {
    if (shared.connecting === undefined) {
      shared.connecting = connect(onChange).then(
        (client) => {
          shared.client = client;
          shared.connected = true;
          return client;
        },
        (error: unknown) => {
          shared.connecting = undefined;
          throw error;
        },
      );
    }
    return shared.connecting;
  };

  /** Back to the server at once, for another consumer (or this one, later) to take. */
  const giveBack = (delivery: JetStreamDelivery): void => {
    stats.returned++;
    try {
      delivery.nak();
    } catch {
      // The connection is closed: the server delivers it again once `ack_wait` runs out.
    }
  };

  const receive = (stage: Stage, pull: Pull, delivery: JetStreamDelivery): void => {
    stats.delivered++;
    if (pull.remaining > 0) {
      pull.remaining--;
      stage.requested--;
      shared.requested--;
      // Answered in full: the client ends it a moment later, but it no longer holds a place
      // among the open pulls, so the next one need not wait for that.
      if (pull.remaining === 0) stage.activePulls--;
    }
    if (stage.closed) {
      giveBack(delivery);
      return;
    }
    stats.unsettled++;
    stage.buffer.push(delivery);
    stage.arrived++;
    // While draining, what a pull still brings is held, not emitted, and given back by
    // `terminate`: given back now, it would come straight back to this stage's open pulls.
    if (!stage.signalled && !stage.draining) {
      stage.signalled = true;
      send(stage.pid, READY);
    }
  };

  const endPull = (stage: Stage, pull: Pull, error: unknown): void => {
    if (pull.ended) return;
    pull.ended = true;
    stage.pulls.delete(pull);
    if (pull.remaining > 0) stage.activePulls--;
    stage.requested -= pull.remaining;
    shared.requested -= pull.remaining;
    pull.remaining = 0;
    if (error !== undefined) stats.pullFailures++;
    if (!stage.closed) send(stage.pid, new PullEnded(error));
  };

  const startPull = (stage: Stage, client: JetStreamClient, batch: number): void => {
    const pull: Pull = { remaining: batch, request: undefined, ended: false };
    stage.pulls.add(pull);
    stage.activePulls++;
    stage.requested += batch;
    shared.requested += batch;
    stats.pulls++;
    pull.request = client.pull(batch, expires, {
      message: (delivery) => receive(stage, pull, delivery),
      end: (error) => endPull(stage, pull, error),
    });
  };

  /**
   * Asks the server for what the pipeline demanded and no pull covers yet, and for up to
   * `prefetch` more, so that the next demand finds messages waiting instead of a round trip.
   */
  const pullMore = (stage: Stage): void => {
    const client = shared.client;
    if (client === undefined || !shared.connected) return;
    if (stage.draining || stage.closed || stage.retry !== undefined) return;
    while (stage.activePulls < OPEN_PULLS) {
      const covered = stage.buffer.length + stage.requested;
      const wanted = stage.demand + prefetch - covered;
      if (wanted <= 0) return;
      // Demand covered: topping the prefetch up a few messages at a time would cost a pull
      // request each.
      if (covered >= stage.demand && wanted < prefetchStep) return;
      // The server delivers no more than `max_ack_pending` unsettled messages: asking for more
      // would leave a pull waiting on the server, unanswered until acks come.
      const room = client.maxAckPending - stats.unsettled - shared.requested;
      if (room <= 0) {
        stage.starved = true;
        shared.starved = true;
        return;
      }
      startPull(stage, client, Math.min(wanted, room, maxBatch));
    }
  };

  const take = (stage: Stage, n: number): Message<T>[] => {
    const out = new Array<Message<T>>(n);
    const inPipeline = stage.inPipeline;
    const now = currentRuntime().clock.now();
    stage.taken += n;
    for (let i = 0; i < n; i++) {
      const delivery = stage.buffer.shift() as JetStreamDelivery;
      inPipeline.set(delivery, now);
      out[i] = toMessage(delivery, decode, acknowledger, stage, stream, consumer);
    }
    return out;
  };

  /** Emits what arrived, up to demand, and pulls for the rest. */
  const flush = (stage: Stage): ProducerResult<T, Stage> => {
    stage.signalled = false;
    const n = Math.min(stage.demand, stage.buffer.length);
    pullMore(stage);
    if (n === 0) return stage;
    stage.demand -= n;
    // Pulled before emitting so that the next batch is on its way while this one is handled.
    return emit(take(stage, n), stage);
  };

  const pullEnded = (stage: Stage, ended: PullEnded): ProducerResult<T, Stage> => {
    if (stage.draining) return stage;
    if (ended.error === undefined) {
      stage.failures = 0;
      return flush(stage);
    }
    // While the connection is down the client holds the pulls; its return wakes the stage.
    if (!shared.connected) return stage;
    stage.failures++;
    if (stage.failures >= MAX_PULL_FAILURES) {
      throw new JetStreamPullError(stream, consumer, stage.failures, ended.error);
    }
    if (stage.retry === undefined) {
      stage.retry = sendAfter(stage.pid, RETRY, backoffDelay(stage.failures - 1, options.backoff));
    }
    return stage;
  };

  /**
   * How often a stage looks at its messages (twice per `ack_wait` without in-progress signals,
   * so that a prefetched message is signalled before the server gives up on it), and how long it
   * keeps one in the pipeline.
   */
  const tickEvery = (client: JetStreamClient): number =>
    inProgressEvery ?? Math.max(1, Math.floor(client.ackWait / 2));
  const keepFor = (client: JetStreamClient): number =>
    inProgressEvery === undefined ? client.ackWait : inProgressLimit;

  /**
   * Signals the messages held in progress, and gives up on those in the pipeline for longer
   * than it keeps them: past `ack_wait` without in-progress signals the server delivers them
   * again anyway, and a message whose processor died (a crash loses what it held, never
   * settled) must neither count against `max_ack_pending` for ever nor be kept in progress.
   * Prefetched messages still waiting for demand are signalled too: all of them with
   * `inProgressEvery`, else those that were already waiting at the previous look.
   */
  const sweep = (stage: Stage, client: JetStreamClient): void => {
    const signal = (delivery: JetStreamDelivery) => {
      try {
        delivery.working();
        stats.inProgress++;
      } catch {
        // The connection is closed: nothing to tell.
      }
    };
    const oldest = currentRuntime().clock.now() - keepFor(client);
    let released = 0;
    for (const [delivery, since] of stage.inPipeline) {
      if (since <= oldest) {
        stage.inPipeline.delete(delivery);
        released++;
      } else if (inProgressEvery !== undefined) signal(delivery);
    }
    const waiting =
      inProgressEvery !== undefined ? stage.buffer.length : stage.arrivedAtTick - stage.taken;
    for (let i = 0; i < waiting; i++) signal(stage.buffer.at(i) as JetStreamDelivery);
    stage.arrivedAtTick = stage.arrived;
    if (released > 0) {
      stats.released += released;
      stage.forget(released);
    }
    stage.tick = sendAfter(stage.pid, TICK, tickEvery(client));
  };

  const cancelRetry = (stage: Stage): void => {
    if (stage.retry !== undefined) cancelTimer(stage.retry);
    stage.retry = undefined;
  };

  return {
    name: "nats",
    stats: () => ({ ...stats }),

    async init(_context, self) {
      const stage = new Stage(self.pid, shared);
      const client = await connectOnce();
      shared.stages.add(stage);
      stage.tick = sendAfter(self.pid, TICK, tickEvery(client));
      return stage;
    },

    handleDemand(demand, stage) {
      stage.demand += demand;
      return flush(stage);
    },

    handleInfo(message, stage) {
      if (message === READY) return flush(stage);
      if (message === WAKE) {
        pullMore(stage);
        return stage;
      }
      if (message === RETRY) {
        stage.retry = undefined;
        pullMore(stage);
        return stage;
      }
      if (message === TICK) {
        const client = shared.client;
        if (client !== undefined) sweep(stage, client);
        pullMore(stage);
        return stage;
      }
      if (message instanceof PullEnded) return pullEnded(stage, message);
      if (message instanceof ConnectionClosed) {
        throw new NatsConnectionClosedError(address, message.error);
      }
      return stage;
    },

    prepareForDraining(stage) {
      // No pull is started from now on. Open ones are left to end by themselves: closing one
      // now would drop what the server already sent for it, held by the server until
      // `ack_wait` runs out; `terminate` closes what is still open.
      stage.draining = true;
      cancelRetry(stage);
      // What was demanded and arrived goes through the pipeline before it stops; what was
      // prefetched past demand is given back by `terminate`.
      const n = Math.min(stage.buffer.length, stage.demand);
      stage.demand = 0;
      return n === 0 ? stage : emit(take(stage, n), stage);
    },

    async terminate(_reason, stage) {
      stage.closed = true;
      for (const pull of stage.pulls) pull.request?.stop();
      cancelRetry(stage);
      if (stage.tick !== undefined) cancelTimer(stage.tick);
      // Never emitted, or emitted and never settled (after a normal stop, none: the stages
      // after the producer stop first; after a crash, what they held is lost): back to the
      // server now rather than after `ack_wait`.
      stats.unsettled -= stage.buffer.length + stage.inPipeline.size;
      while (stage.buffer.length > 0) giveBack(stage.buffer.shift() as JetStreamDelivery);
      for (const delivery of stage.inPipeline.keys()) giveBack(delivery);
      stage.inPipeline.clear();
      shared.stages.delete(stage);
      const client = shared.client;
      if (shared.stages.size > 0 || client === undefined) return;
      shared.client = undefined;
      shared.connecting = undefined;
      shared.connected = false;
      // Nothing more can be done for a connection that fails to close.
      await client.close().catch(() => {});
    },
  };
}
