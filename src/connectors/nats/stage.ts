/**
 * @internal One producer stage's state (its demand, its buffer, its pulls, the messages it has
 * in the pipeline) and the connection its stages share. A stage is also the `ackRef` of the
 * messages it emits: settling them frees room under `max_ack_pending`.
 */
import { send, type TimerRef } from "../../kernel/api.js";
import type { Pid } from "../../kernel/pid.js";
import { Queue } from "../../kernel/queue.js";
import type { Message } from "../../pipeline/index.js";
import type { AckRef, NatsStats } from "./acknowledger.js";
import type { JetStreamClient, JetStreamDelivery, PullRequest } from "./client.js";
import { deliveryOf } from "./delivery.js";

/** There may be room to pull again: acks freed some, or the connection is back. */
export const WAKE = Symbol("beamish.connectors.nats.wake");

/** One pull request of a stage. */
export interface Pull {
  /** Asked for and not arrived yet. */
  remaining: number;
  request: PullRequest | undefined;
  ended: boolean;
}

/** The connection and counters shared by a producer's stages. */
export interface Shared {
  client: JetStreamClient | undefined;
  connecting: Promise<JetStreamClient> | undefined;
  connected: boolean;
  /** Asked for in open pulls over every stage, not arrived yet. */
  requested: number;
  /** A stage found no room under `max_ack_pending`: acks must wake it. */
  starved: boolean;
  readonly stages: Set<Stage>;
  readonly stats: NatsStats;
}

/** One producer stage's state, and the `ackRef` of the messages it emits. */
export class Stage implements AckRef {
  /** Demanded by the pipeline, not emitted yet. */
  demand = 0;
  /** Asked for in this stage's open pulls, not arrived yet. */
  requested = 0;
  /** Arrived, not emitted yet. */
  readonly buffer = new Queue<JetStreamDelivery>();
  /** Put into the buffer, taken out of it for the pipeline, ever: the buffer holds the rest. */
  arrived = 0;
  taken = 0;
  /** `arrived` at the previous sweep: what is left of those has waited since. */
  arrivedAtTick = 0;
  readonly pulls = new Set<Pull>();
  /** Open pulls still waiting for some of what they asked for. */
  activePulls = 0;
  /** A READY is on its way. */
  signalled = false;
  starved = false;
  draining = false;
  closed = false;
  /** Pulls failed in a row. */
  failures = 0;
  retry: TimerRef | undefined;
  tick: TimerRef | undefined;
  /**
   * Emitted and not settled yet, with when (the runtime clock's ms). Only these count as
   * unsettled: a message given up on (see `sweep`) and settled later is not counted twice.
   */
  readonly inPipeline = new Map<JetStreamDelivery, number>();

  constructor(
    readonly pid: Pid,
    private readonly shared: Shared,
  ) {}

  settled(messages: readonly Message[]): void {
    let n = 0;
    const inPipeline = this.inPipeline;
    for (let i = 0; i < messages.length; i++) {
      if (inPipeline.delete(deliveryOf((messages[i] as Message).ackData))) n++;
    }
    if (n > 0) this.forget(n);
  }

  /** `n` messages no longer count against `max_ack_pending`: wake the stages waiting for room. */
  forget(n: number): void {
    const shared = this.shared;
    shared.stats.unsettled -= n;
    if (!shared.starved) return;
    shared.starved = false;
    for (const stage of shared.stages) {
      if (stage.starved) {
        stage.starved = false;
        send(stage.pid, WAKE);
      }
    }
  }
}
