/**
 * The options of the CPU pool, declared once with zod: types, defaults and validation, with bad
 * values reported in the pipeline's one message shape (`InvalidOptionsError`, one line each).
 */
import { availableParallelism } from "node:os";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import { z } from "zod";
import { type Clock, systemClock } from "../../kernel/clock.js";
import { InvalidArgumentError } from "../../kernel/errors.js";
import { parseOptions } from "../../pipeline/index.js";

const integer = (expected: string, min: number) =>
  z.number({ error: expected }).int({ error: expected }).min(min, { error: expected });
const positiveInteger = integer("a positive integer", 1);
const isCount = (v: unknown): boolean =>
  v === Number.POSITIVE_INFINITY || (Number.isInteger(v) && (v as number) >= 1);
// Custom checks rather than unions: a union reports only its closest branch's expectation.
const positiveIntegerOrInfinity = z.custom<number>(isCount, {
  error: "a positive integer or Infinity",
});
const timeout = z.custom<number>(isCount, { error: "a positive integer (ms) or Infinity" });
const megabytes = z
  .number({ error: "a positive number (MB)" })
  .positive({ error: "a positive number (MB)" });

/** A strict object whose unknown keys are reported with the list of the known ones. */
function options<S extends z.ZodRawShape>(shape: S) {
  const known = Object.keys(shape).join(", ");
  return z.strictObject(shape, {
    error: (issue) =>
      issue.code === "unrecognized_keys" ? `one of the options ${known}` : "an object of options",
  });
}

const isClock = (v: unknown): boolean =>
  typeof v === "object" &&
  v !== null &&
  typeof (v as Clock).setTimer === "function" &&
  typeof (v as Clock).clearTimer === "function" &&
  typeof (v as Clock).now === "function";

/**
 * The options of `CpuPool.start`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `threads` | positive integer | the number of cores | worker threads, each running one task at a time |
 * | `tasksPerThread` | positive integer | `2` | tasks handed to a thread at once: the one it runs and the next ones, waiting there, so that it starts the next as soon as one ends instead of waiting for the main thread; `1` hands a thread a task only when it is idle |
 * | `maxQueue` | non-negative integer | `threads × 2` | tasks waiting for a thread (beyond those handed to threads), at most; past it, `run` waits for room before queueing (the caller waits, memory does not grow) |
 * | `taskTimeout` | positive integer (ms) or `Infinity` | `Infinity` | a task running longer is stopped: its thread is terminated and replaced, the caller gets `PoolTaskTimeoutError`; counted from when the function starts (a thread's first load of a module is not counted); the tasks the thread held behind it go to other threads and run once |
 * | `recycleAfter` | positive integer or `Infinity` | `Infinity` | a thread is replaced by a fresh one after this many tasks (it finishes those it holds first) |
 * | `recycleHeapMb` | positive number (MB) | none | a thread whose heap in use passes this after a task is handed no more, finishes those it holds and is replaced by a fresh one |
 * | `maxHeapMb` | positive number (MB) | none | the hard heap limit of each thread (`resourceLimits.maxOldGenerationSizeMb`): a task that needs more fails with `PoolWorkerDiedError` (`reason: "outOfMemory"`) and its thread is replaced |
 * | `stopTimeout` | positive integer (ms) or `Infinity` | `5000` | how long `stop()` waits for running tasks before terminating their threads |
 * | `execArgv` | string[] | the main thread's | node options of the threads |
 * | `clock` | `Clock` | the system clock | where task timeouts take their time |
 */
export const poolSchema = options({
  threads: positiveInteger.default(() => availableParallelism()),
  tasksPerThread: positiveInteger.default(2),
  maxQueue: integer("a non-negative integer", 0).optional(),
  taskTimeout: timeout.default(Number.POSITIVE_INFINITY),
  recycleAfter: positiveIntegerOrInfinity.default(Number.POSITIVE_INFINITY),
  recycleHeapMb: megabytes.optional(),
  maxHeapMb: megabytes.optional(),
  stopTimeout: timeout.default(5000),
  execArgv: z.array(z.string(), { error: "an array of strings" }).optional(),
  clock: z
    .custom<Clock>(isClock, { error: "a Clock (now, setTimer, clearTimer)" })
    .default(systemClock),
});

/** Options of `CpuPool.start`; see {@link poolSchema}. @example `{ threads: 4, taskTimeout: 10_000 }` */
export type CpuPoolOptions = z.input<typeof poolSchema>;
/** The parsed options, defaults applied. */
export type ParsedPoolOptions = z.output<typeof poolSchema> & { readonly maxQueue: number };

export function parsePoolOptions(input: unknown): ParsedPoolOptions {
  const parsed = parseOptions("CpuPool.start", poolSchema, input ?? {});
  return { ...parsed, maxQueue: parsed.maxQueue ?? parsed.threads * 2 };
}

const isSignal = (v: unknown): boolean => v instanceof AbortSignal;

/**
 * The options of `pool.exec`, the long form of `pool.run`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `module` | absolute path, `file:` URL string or URL | required | the module whose export runs |
 * | `exportName` | string | `"default"` | the export to call |
 * | `args` | array | `[]` | the arguments, structured-cloned |
 * | `transfer` | TransferListItem[] | `[]` | buffers and ports among `args` to move instead of copy |
 * | `timeout` | positive integer (ms) or `Infinity` | the pool's `taskTimeout` | this task's timeout |
 * | `signal` | AbortSignal | none | aborting drops the task, or terminates its thread if it runs |
 */
export const execSchema = options({
  module: z.union([z.string(), z.instanceof(URL)], {
    error: "an absolute path or a file: URL",
  }),
  exportName: z.string({ error: "an export name" }).default("default"),
  args: z.array(z.unknown(), { error: "an array of arguments" }).default([]),
  transfer: z.array(z.unknown(), { error: "an array of transferables" }).optional(),
  timeout: timeout.optional(),
  signal: z.custom<AbortSignal>(isSignal, { error: "an AbortSignal" }).optional(),
});

/** Options of `pool.exec`; see {@link execSchema}. @example `{ module: url, exportName: "hash", args: [buf], transfer: [buf.buffer] }` */
export type ExecOptions = z.input<typeof execSchema>;

export function parseExecOptions(input: unknown): z.output<typeof execSchema> {
  return parseOptions("pool.exec", execSchema, input);
}

/**
 * The options of `pool.asyncStream`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `maxConcurrency` | positive integer | the pool's `threads × tasksPerThread` | items between being read and being yielded, at most (the default keeps every thread holding its next item) |
 * | `ordered` | boolean | `true` | yield results in input order, or as they finish |
 * | `timeout` | positive integer (ms) or `Infinity` | the pool's `taskTimeout` | each item's timeout |
 */
export const streamSchema = options({
  maxConcurrency: positiveInteger.optional(),
  ordered: z.boolean({ error: "a boolean" }).default(true),
  timeout: timeout.optional(),
});

/** Options of `pool.asyncStream`; see {@link streamSchema}. @example `{ maxConcurrency: 4, ordered: false }` */
export type PoolStreamOptions = z.input<typeof streamSchema>;

export function parseStreamOptions(input: unknown): z.output<typeof streamSchema> {
  return parseOptions("pool.asyncStream", streamSchema, input ?? {});
}

const moduleUrls = new Map<string, string>();

/**
 * The file URL of a module named by absolute path or file URL; throws `InvalidArgumentError`
 * (at `path`) for anything else. Cached: the pool names modules on every task.
 */
export function moduleUrl(module: unknown, path: string): string {
  if (typeof module === "string") {
    const known = moduleUrls.get(module);
    if (known !== undefined) return known;
    let url: string | undefined;
    if (module.startsWith("file:")) url = new URL(module).href;
    else if (isAbsolute(module)) url = pathToFileURL(module).href;
    if (url !== undefined) {
      if (moduleUrls.size > 10_000) moduleUrls.clear();
      moduleUrls.set(module, url);
      return url;
    }
  } else if (module instanceof URL && module.protocol === "file:") {
    return module.href;
  }
  throw new InvalidArgumentError({
    path,
    expected:
      "an absolute path or a file: URL (import.meta.resolve or new URL(..., import.meta.url))",
    got: module,
  });
}

/** Checks an export name given to `run`. */
export function checkExportName(exportName: unknown, path: string): string {
  if (typeof exportName === "string" && exportName !== "") return exportName;
  throw new InvalidArgumentError({
    path,
    expected: "an export name (a non-empty string)",
    got: exportName,
  });
}
