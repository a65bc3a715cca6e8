import { availableParallelism } from "node:os";
import { invalidArgument } from "../kernel/errors.js";
import { checkFunction, type OptionsInput, option, schema } from "../kernel/options.js";
import type { Process, Self } from "../kernel/process.js";
import { type StreamMode, StreamRun } from "./stream-run.js";
import { ownerProcess, type TaskResult } from "./task.js";

export type { ItemSpawner, StreamMode } from "./stream-run.js";

/** The options of `Task.asyncStream`, declared once: types, defaults, checks and doc rows. */
export const asyncStreamOptions = schema({
  maxConcurrency: option
    .positiveInteger(availableParallelism())
    .doc(
      "Items between being read from the input and being yielded, at most; so also tasks running at once. Default: the number of cores.",
    ),
  ordered: option
    .boolean(true)
    .doc("Yield results in input order (true) or as tasks finish (false)."),
  timeout: option
    .timeout(5000)
    .doc("How long each task may run, in ms of the runtime's clock; Infinity for no limit."),
  onTimeout: option
    .oneOf(["exit", "killTask"], "exit")
    .doc(
      '"exit": kill the running tasks and throw TaskTimeoutError from the iterator; "killTask": kill that task and yield { status: "exit", reason: "timeout" } for it.',
    ),
});

/** The options of `Task.asyncStream` (see {@link asyncStreamOptions} for the defaults). */
export type AsyncStreamOptions = OptionsInput<typeof asyncStreamOptions>;

/** The function `Task.asyncStream` runs per item, in the item's own task process. */
export type StreamFunction<I, R> = (item: I, self: Self) => R;

/** The input of `Task.asyncStream`. */
export type StreamInput<I> = Iterable<I> | AsyncIterable<I>;

function isStreamInput(value: unknown): value is StreamInput<unknown> {
  return (
    value !== null &&
    value !== undefined &&
    (typeof (value as Partial<AsyncIterable<unknown>>)[Symbol.asyncIterator] === "function" ||
      typeof (value as Partial<Iterable<unknown>>)[Symbol.iterator] === "function")
  );
}

export function asyncStream<I, R>(
  input: StreamInput<I>,
  fn: StreamFunction<I, R>,
  options?: AsyncStreamOptions,
): AsyncIterable<TaskResult<Awaited<R>>>;
export function asyncStream<I, R>(
  self: Self,
  input: StreamInput<I>,
  fn: StreamFunction<I, R>,
  options?: AsyncStreamOptions,
): AsyncIterable<TaskResult<Awaited<R>>>;
export function asyncStream(
  a: unknown,
  b: unknown,
  c?: unknown,
  d?: unknown,
): AsyncIterable<TaskResult<unknown>> {
  const linked = typeof b !== "function";
  const owner = linked ? ownerProcess(a, "self") : null;
  const input = linked ? b : a;
  const fn = checkFunction(linked ? c : b, "fn") as StreamFunction<unknown, unknown>;
  if (!isStreamInput(input)) invalidArgument("input", "an iterable or async iterable", input);
  return streamWith(owner, input, fn, linked ? d : c, {});
}

/**
 * @internal `Task.asyncStream` with its items' processes spawned by `mode.spawn` (a supervisor,
 * for Task.Supervisor): checks `input` and `options`, and returns the lazy stream. `owner` is the
 * caller the items are linked to, unlinked before the stream kills one.
 */
export function streamWith<I, R>(
  owner: Process | null,
  input: unknown,
  fn: StreamFunction<I, R>,
  options: unknown,
  mode: StreamMode,
): AsyncIterable<TaskResult<Awaited<R>>> {
  if (!isStreamInput(input)) invalidArgument("input", "an iterable or async iterable", input);
  const parsed = asyncStreamOptions.parse(options);
  return {
    [Symbol.asyncIterator]: () =>
      new StreamRun<I, Awaited<R>>(
        owner,
        input as StreamInput<I>,
        fn as StreamFunction<I, Awaited<R>>,
        parsed,
        mode,
      ),
  };
}
