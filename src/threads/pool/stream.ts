/**
 * `pool.asyncStream`: one task per item, at most `maxConcurrency` items between being read and
 * being yielded, so a long or endless input is read only as fast as results are taken.
 */
import { setMaxListeners } from "node:events";
import type { TaskResult } from "../../task/index.js";

/** The input of `pool.asyncStream`. */
export type PoolStreamInput<I> = Iterable<I> | AsyncIterable<I>;

type Run = (item: unknown, signal: AbortSignal) => Promise<unknown>;

function iteratorOf<I>(input: PoolStreamInput<I>): Iterator<I> | AsyncIterator<I> {
  const asyncIterator = (input as Partial<AsyncIterable<I>>)[Symbol.asyncIterator];
  if (typeof asyncIterator === "function") return asyncIterator.call(input);
  return (input as Iterable<I>)[Symbol.iterator]();
}

export function isStreamInput(value: unknown): value is PoolStreamInput<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    (typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function" ||
      typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === "function")
  );
}

const settle = (promise: Promise<unknown>): Promise<TaskResult<unknown>> =>
  promise.then(
    (value) => ({ status: "ok", value }),
    (reason: unknown) => ({ status: "exit", reason }),
  );

/**
 * Results of `run(item)` for every item, in input order or as they finish. Leaving the loop
 * early drops the queued items and terminates the threads of the running ones.
 */
export async function* streamResults<I>(
  input: PoolStreamInput<I>,
  run: Run,
  maxConcurrency: number,
  ordered: boolean,
): AsyncGenerator<TaskResult<unknown>, void, undefined> {
  const controller = new AbortController();
  // One signal shared by every item in flight, each listening while it runs.
  setMaxListeners(0, controller.signal);
  const iterator = iteratorOf(input);
  let exhausted = false;
  let inFlight = 0;
  const pending: Array<Promise<TaskResult<unknown>>> = [];
  const finished: Array<TaskResult<unknown>> = [];
  let wake: (() => void) | undefined;
  try {
    for (;;) {
      while (!exhausted && inFlight < maxConcurrency) {
        const next = await iterator.next();
        if (next.done === true) {
          exhausted = true;
          break;
        }
        inFlight++;
        const result = settle(run(next.value, controller.signal));
        if (ordered) pending.push(result);
        else {
          void result.then((r) => {
            finished.push(r);
            wake?.();
          });
        }
      }
      if (inFlight === 0) return;
      let result: TaskResult<unknown> | undefined;
      if (ordered) result = await pending.shift();
      else {
        while (finished.length === 0) await new Promise<void>((resolve) => (wake = resolve));
        wake = undefined;
        result = finished.shift();
      }
      inFlight--;
      yield result as TaskResult<unknown>;
    }
  } finally {
    if (inFlight > 0) controller.abort(new Error("asyncStream closed before its items finished"));
    if (!exhausted) await iterator.return?.();
  }
}
