import {
  type Clock,
  type CrashReport,
  consoleLogger,
  Runtime,
  type Self,
  setCurrentRuntime,
  systemClock,
} from "../kernel/index.js";
import { VirtualClock } from "./virtual-clock.js";

/** What a test run by {@link withRuntime} gets. */
export interface RuntimeTest<C extends Clock = VirtualClock> {
  /** The fresh runtime, current for the test's duration. */
  readonly runtime: Runtime;
  /** The runtime's clock: a {@link VirtualClock} unless `clock: "real"` was asked. */
  readonly clock: C;
  /** A live process standing for the test, to receive messages, link and monitor. */
  readonly self: Self;
  /** Crashes reported while the test ran, in order. */
  readonly crashes: CrashReport[];
  /** Resolves once every runnable process has run and the run queue is empty. */
  settle(): Promise<void>;
}

/** Options of {@link withRuntime}. */
export interface WithRuntimeOptions<K extends "virtual" | "real"> {
  /** `"virtual"` (default): time moves only by `clock.advance`; `"real"`: wall-clock time. */
  readonly clock?: K;
  /** Also print crash reports to stderr (they are always collected in `crashes`). */
  readonly logCrashes?: boolean;
}

/**
 * Runs a test inside a fresh runtime that is torn down after it: every process still alive is
 * killed, so nothing leaks into the next test. Returns a function for `node:test`'s `test`.
 *
 * @example
 * ```ts
 * test("a timeout fires", withRuntime(async ({ self, clock }) => {
 *   sendAfter(self.pid, "tick", 1000);
 *   await clock.advance(1000);
 *   await assertReceive(self, "tick");
 * }));
 * ```
 */
export function withRuntime(
  fn: (t: RuntimeTest<VirtualClock>) => unknown,
  options?: WithRuntimeOptions<"virtual">,
): () => Promise<void>;
export function withRuntime(
  fn: (t: RuntimeTest<Clock>) => unknown,
  options: WithRuntimeOptions<"real">,
): () => Promise<void>;
export function withRuntime(
  // biome-ignore lint/suspicious/noExplicitAny: the overloads above type the clock
  fn: (t: RuntimeTest<any>) => unknown,
  options: WithRuntimeOptions<"virtual" | "real"> = {},
): () => Promise<void> {
  return async () => {
    await runInRuntime(fn, options);
  };
}

/**
 * Like {@link withRuntime}, but runs at once and returns what `fn` returns.
 *
 * @example
 * ```ts
 * const value = await runInRuntime(async ({ self }) => 42);
 * ```
 */
export async function runInRuntime<T>(
  fn: (t: RuntimeTest<VirtualClock>) => T | Promise<T>,
  options: WithRuntimeOptions<"virtual" | "real"> = {},
): Promise<T> {
  const clock = options.clock === "real" ? systemClock : new VirtualClock();
  const crashes: CrashReport[] = [];
  const runtime = new Runtime({
    clock,
    logger: {
      crash(report) {
        crashes.push(report);
        if (options.logCrashes) consoleLogger.crash(report);
      },
    },
  });
  const settle = () => settleRuntime(runtime);
  if (clock instanceof VirtualClock) clock.settle = settle;
  const previous = setCurrentRuntime(runtime);
  try {
    let self: Self | undefined;
    let release: () => void = () => {};
    runtime.spawnProcess(
      (process) =>
        new Promise<void>((resolve) => {
          self = process;
          release = resolve;
        }),
      null,
    );
    await settle();
    try {
      return await fn({
        runtime,
        clock: clock as VirtualClock,
        self: self as Self,
        crashes,
        settle,
      });
    } finally {
      release();
    }
  } finally {
    runtime.killAll();
    await settle();
    setCurrentRuntime(previous);
  }
}

/**
 * Resolves once `runtime`'s run queue is empty and the microtasks it caused have run, waiting
 * through at most `maxTurns` turns of the event loop.
 *
 * @example
 * ```ts
 * send(pid, "go");
 * await settleRuntime(currentRuntime());
 * ```
 */
export async function settleRuntime(runtime: Runtime, maxTurns = 10_000): Promise<void> {
  for (let i = 0; i < maxTurns; i++) {
    await new Promise<void>((resolve) => setImmediate(resolve));
    if (!runtime.scheduler.busy) return;
  }
  throw new Error(`the runtime did not settle within ${maxTurns} turns of the event loop`);
}
