// Helpers for workloads that run processes: a fresh runtime per repetition, torn down after it,
// and a body run inside a spawned process.
import { Runtime, type Self, setCurrentRuntime, spawn } from "beamish";
import { settleRuntime } from "beamish/testing";

/**
 * Runs `fn` with a fresh `Runtime` as the current one, then kills every process left in it and
 * waits for it to settle, so that repetitions do not accumulate processes.
 */
export async function inFreshRuntime<T>(fn: () => Promise<T>): Promise<T> {
  const runtime = new Runtime();
  const previous = setCurrentRuntime(runtime);
  try {
    return await fn();
  } finally {
    runtime.killAll();
    await settleRuntime(runtime);
    setCurrentRuntime(previous);
  }
}

/** Runs `body` in a spawned process and resolves with what it returns (rejects if it throws). */
export function inProcess<T>(body: (self: Self) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    spawn(async (self) => {
      try {
        resolve(await body(self));
      } catch (error) {
        reject(error);
      }
    });
  });
}
