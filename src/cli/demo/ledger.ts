/**
 * What the demo checks from the outside: every message the producer made is acknowledged
 * exactly once, and how long each took from production to acknowledgement. Fed by a wrapper
 * around the producer (production) and the producer's `onAck` (acknowledgement); messages are
 * told apart by their line number, so the ledger never touches them.
 */

import type { Message, ProducerDefinition } from "../../pipeline/index.js";
import { Emit } from "../../stage/index.js";

/** Latency percentiles, in ms. */
export interface Latency {
  readonly p50: number;
  readonly p99: number;
  readonly max: number;
}

/** What `Ledger.check` found. */
export interface LedgerCheck {
  readonly produced: number;
  readonly acknowledged: number;
  /** Messages acknowledged more than once. */
  readonly duplicates: number;
  /** Messages produced and never acknowledged. */
  readonly missing: number;
}

/**
 * @example
 * ```ts
 * const ledger = new Ledger();
 * const source = Pipeline.fromNdjson(path, { onAck: (ok, failed) => ledger.acked(ok, failed) });
 * await Pipeline.start({ producer: { module: ledger.stamp(source) }, ... });
 * ```
 */
export class Ledger {
  produced = 0;
  acknowledged = 0;
  /** Acknowledgements per line number (saturating at 255). */
  private acks = new Uint8Array(1 << 16);
  /** Production time per line number (`performance.now()`), 0 for a line never produced. */
  private producedAt = new Float64Array(1 << 16);
  private latencies = new Float64Array(1 << 16);

  /**
   * `producer`, with each message it emits stamped with its production time and counted. Only
   * the producer contract is used: whatever a callback returns, an `Emit` carries the messages.
   */
  stamp<T, S>(producer: ProducerDefinition<T, S>): ProducerDefinition<T, S> {
    const mark = <R>(result: R): R => {
      if (result instanceof Emit) {
        const now = performance.now();
        for (const m of result.events as readonly Message[]) this.produce(m, now);
      }
      return result;
    };
    const wrap =
      <A extends unknown[], R>(fn: (...args: A) => R) =>
      (...args: A): R => {
        const result = fn.apply(producer, args);
        return result instanceof Promise ? (result.then(mark) as R) : mark(result);
      };
    const stamped: ProducerDefinition<T, S> = { ...producer };
    stamped.handleDemand = wrap(producer.handleDemand);
    if (producer.handleInfo) stamped.handleInfo = wrap(producer.handleInfo);
    if (producer.prepareForDraining) {
      stamped.prepareForDraining = wrap(producer.prepareForDraining);
    }
    return stamped;
  }

  /** For a producer's `onAck`. */
  acked(successful: readonly Message[], failed: readonly Message[]): void {
    const now = performance.now();
    for (const m of successful) this.ack(m, now);
    for (const m of failed) this.ack(m, now);
  }

  check(): LedgerCheck {
    let duplicates = 0;
    let missing = 0;
    for (let i = 0; i < this.producedAt.length; i++) {
      if (this.producedAt[i] === 0) continue;
      const acks = this.acks[i] as number;
      if (acks === 0) missing++;
      else if (acks > 1) duplicates++;
    }
    return { produced: this.produced, acknowledged: this.acknowledged, duplicates, missing };
  }

  latency(): Latency {
    const sorted = this.latencies.subarray(0, this.acknowledged).sort();
    const at = (q: number) =>
      sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? 0;
    return { p50: at(0.5), p99: at(0.99), max: sorted[sorted.length - 1] ?? 0 };
  }

  private produce(m: Message, now: number): void {
    const line = lineOf(m);
    if (line >= this.producedAt.length) {
      this.producedAt = grow(this.producedAt, line);
      this.acks = grow(this.acks, line);
    }
    this.producedAt[line] = now;
    this.produced++;
  }

  private ack(m: Message, now: number): void {
    const line = lineOf(m);
    if (line >= this.acks.length) this.acks = grow(this.acks, line);
    const acks = this.acks[line] as number;
    if (acks < 255) this.acks[line] = acks + 1;
    if (this.acknowledged === this.latencies.length) {
      this.latencies = grow(this.latencies, this.acknowledged);
    }
    const at = this.producedAt[line] ?? 0;
    this.latencies[this.acknowledged++] = at === 0 ? Number.NaN : now - at;
  }
}

/** `fromNdjson` puts each message's line number in its metadata. */
const lineOf = (m: Message): number => m.metadata.line as number;

function grow<A extends Uint8Array | Float64Array>(array: A, index: number): A {
  let size = array.length;
  while (size <= index) size *= 2;
  const bigger = new (array.constructor as new (n: number) => A)(size);
  bigger.set(array);
  return bigger;
}
