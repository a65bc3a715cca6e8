/**
 * What the producer stages of one `redisProducer` share: the connection, the ids they hold, the
 * acknowledgements in flight and the counters.
 */
import type { StreamClient } from "./stream-client.js";

/**
 * What happened to the entries of one producer, since it was created.
 *
 * @example
 * ```ts
 * const { acked, deadLettered, ackFailures } = producer.counters;
 * ```
 */
export interface RedisProducerCounters {
  /** Fresh entries read with XREADGROUP. */
  delivered: number;
  /** Entries taken over with XAUTOCLAIM after `minIdle` (another instance's, or failed ones). */
  claimed: number;
  /** This consumer's own pending entries taken back after a reconnection or at start. */
  recovered: number;
  /** Entries acknowledged with XACK after success. */
  acked: number;
  /** Failed entries left pending for a later delivery. */
  retried: number;
  /** Failed entries acknowledged and dropped (`onFailure: "discard"`). */
  discarded: number;
  /** Failed entries moved to a dead-letter stream. */
  deadLettered: number;
  /**
   * Entries whose XACK or dead-letter move failed (the connection dropped): they stay pending
   * and are delivered again after `minIdle`, so they may be handled twice.
   */
  ackFailures: number;
  /** XREADGROUP, XAUTOCLAIM or recovery calls that failed and were retried with backoff. */
  readFailures: number;
}

export function newCounters(): RedisProducerCounters {
  return {
    delivered: 0,
    claimed: 0,
    recovered: 0,
    acked: 0,
    retried: 0,
    discarded: 0,
    deadLettered: 0,
    ackFailures: 0,
    readFailures: 0,
  };
}

/** The `ackRef` of every message of one producer. */
export class Session {
  /**
   * Ids emitted or buffered and not yet acknowledged. An id is held at most once per instance:
   * a claim or a recovery that returns an entry still being handled here is ignored, which is
   * what makes recovering concurrently with reading safe.
   */
  readonly held = new Set<string>();
  /** Acknowledgements sent and not settled: `terminate` waits for them before closing. */
  readonly inFlight = new Set<Promise<void>>();
  /**
   * The ids of the XACK that goes at the end of the current run (and how many of them are
   * discards): the acknowledger adds to it until then.
   */
  pendingAck: { readonly ids: string[]; discarded: number } | undefined = undefined;
  /** Producer stages using the session; the last one to terminate closes it. */
  stages = 0;
  closed = false;

  constructor(
    readonly client: StreamClient,
    readonly counters: RedisProducerCounters,
  ) {}

  /** Keeps `promise` until it settles; it must not reject. */
  track(promise: Promise<void>): void {
    this.inFlight.add(promise);
    promise.finally(() => this.inFlight.delete(promise));
  }
}
