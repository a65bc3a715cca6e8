/** The units of BENCH.md: higher is better for rates, lower for `ms` and `bytes/process`. */
export type Unit = "ops/s" | "msgs/s" | "events/s" | "ms" | "bytes/process";

/**
 * One benchmark workload: each implementation runs one timed repetition and returns its figure
 * in `unit`. The driver runs every implementation in a fresh Node process.
 */
export interface Workload {
  readonly name: string;
  readonly unit: Unit;
  readonly params: Record<string, number | string>;
  /** Implementations by results key: `beamish` and the peers measured in the same run. */
  readonly impls: Record<string, () => Promise<number>>;
  /** Ratio pairs [A, B] reported as `A/B`; default `beamish/<peer>` for every peer. */
  readonly ratios?: ReadonlyArray<readonly [string, string]>;
  /** Timed repetitions (at least 5) and warm-up repetitions. */
  readonly repetitions?: number;
  readonly warmup?: number;
  /**
   * Fresh processes per implementation, taken in turn (A, B, A, B, ...) so that drift in the
   * machine or a broker over the run weighs on every implementation alike; the figure is the
   * median of all their samples. Default 1.
   */
  readonly rounds?: number;
}

/**
 * Repetitions for a short workload (a fraction of a second each): its first runs in a process are
 * still compiling and growing the heap (up to twice as slow), and how fast the compiled code runs
 * varies from one process to the next. Three warm-ups and three fresh processes per
 * implementation, for every implementation alike, measure the steady state a service runs in.
 */
export const STEADY = { warmup: 3, rounds: 3 } as const;

/** Defines a workload (an identity function that checks the shape at compile time). */
export function workload(definition: Workload): Workload {
  return definition;
}

/** Runs `fn` and returns `count` per second of wall time. */
export async function rate(count: number, fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return count / ((performance.now() - start) / 1000);
}

/** Runs `fn` and returns the wall time in ms. */
export async function elapsed(fn: () => unknown): Promise<number> {
  const start = performance.now();
  await fn();
  return performance.now() - start;
}

/** A promise resolved by calling `done`: what a workload awaits until its last event came. */
export function latch(): { readonly done: () => void; readonly finished: Promise<void> } {
  let done: () => void = () => {};
  const finished = new Promise<void>((resolve) => {
    done = resolve;
  });
  return { done, finished };
}

/** Throws unless ids 0..n-1 were each handled once: `count` of them, summing to `sum`. */
export function checkIds(count: number, sum: number, n: number): void {
  const expected = (n * (n - 1)) / 2;
  if (count !== n || sum !== expected) {
    throw new Error(`handled ${count}, sum ${sum}; expected ${n}, ${expected}`);
  }
}
