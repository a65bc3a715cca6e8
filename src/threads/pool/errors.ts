/** The errors of the CPU pool: each with a stable code and its payload. */
import { BeamishError } from "../../kernel/errors.js";
import { describeFunction, describeModule } from "../errors.js";

declare module "../../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_POOL_TASK_TIMEOUT: PoolTaskTimeoutError;
    ERR_POOL_WORKER_DIED: PoolWorkerDiedError;
    ERR_POOL_STOPPED: PoolStoppedError;
    ERR_POOL_TASK_CANCELLED: PoolTaskCancelledError;
    ERR_THREAD_MODULE_NOT_FOUND: ThreadModuleNotFoundError;
    ERR_THREAD_MODULE_LOAD: ThreadModuleLoadError;
    ERR_THREAD_EXPORT_NOT_FUNCTION: ThreadExportNotFunctionError;
  }
}

/**
 * A task ran longer than its `taskTimeout`: its thread was terminated (the work really stopped)
 * and replaced by a fresh one.
 *
 * @example
 * ```ts
 * try {
 *   await pool.run(mod, "spin");
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_POOL_TASK_TIMEOUT")) console.log(e.timeout, e.exportName);
 * }
 * ```
 */
export class PoolTaskTimeoutError extends BeamishError {
  readonly code = "ERR_POOL_TASK_TIMEOUT";
  constructor(
    readonly module: string,
    readonly exportName: string,
    readonly timeout: number,
  ) {
    super(
      `task ${describeFunction(module, exportName)} timed out after ${timeout} ms: its thread was terminated`,
    );
  }
}

/**
 * The thread running a task died before answering: an uncaught error outside the task's promise,
 * `process.exit`, or running out of memory (`maxHeapMb`). `reason` is `"exit"` (with `exitCode`),
 * `"error"` (with the error as `cause`) or `"outOfMemory"`. The thread is replaced.
 *
 * @example
 * ```ts
 * if (isBeamishError(e, "ERR_POOL_WORKER_DIED") && e.reason === "outOfMemory") shrinkInput();
 * ```
 */
export class PoolWorkerDiedError extends BeamishError {
  readonly code = "ERR_POOL_WORKER_DIED";
  constructor(
    readonly module: string,
    readonly exportName: string,
    readonly reason: "exit" | "error" | "outOfMemory",
    readonly exitCode: number | undefined,
    override readonly cause?: unknown,
  ) {
    const why =
      reason === "exit"
        ? `exited with code ${exitCode}`
        : reason === "outOfMemory"
          ? "ran out of memory (maxHeapMb)"
          : `crashed: ${cause instanceof Error ? cause.message : String(cause)}`;
    super(
      `the thread running ${describeFunction(module, exportName)} ${why}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * The pool is stopping or stopped, or was never started: a task given then, or one still queued,
 * or one still running when the stop's timeout passed.
 *
 * @example
 * ```ts
 * if (isBeamishError(e, "ERR_POOL_STOPPED")) console.log(e.started); // false: it never ran
 * ```
 */
export class PoolStoppedError extends BeamishError {
  readonly code = "ERR_POOL_STOPPED";
  constructor(
    /** Whether the task had started on a thread (it was then terminated). */
    readonly started: boolean,
    /** Whether the pool was made with `create()` and never started. */
    readonly neverStarted = false,
  ) {
    super(
      started
        ? "the pool stopped: the task was still running when the stop timeout passed"
        : neverStarted
          ? "the pool is not started (call start() or supervise its childSpec()): the task was not run"
          : "the pool is stopped: the task was not run",
    );
  }
}

/**
 * A task's `signal` aborted: a queued task is dropped, a running one's thread is terminated and
 * replaced. `reason` is the signal's reason.
 *
 * @example
 * ```ts
 * const controller = new AbortController();
 * const result = pool.exec({ module, exportName: "spin", signal: controller.signal });
 * controller.abort(); // result rejects with PoolTaskCancelledError
 * ```
 */
export class PoolTaskCancelledError extends BeamishError {
  readonly code = "ERR_POOL_TASK_CANCELLED";
  constructor(override readonly cause: unknown) {
    super("the task was cancelled by its signal", { cause });
  }
}

/**
 * The module named for a thread does not exist. `module` is the file URL asked for.
 *
 * @example
 * ```ts
 * if (isBeamishError(e, "ERR_THREAD_MODULE_NOT_FOUND")) console.log(e.module);
 * ```
 */
export class ThreadModuleNotFoundError extends BeamishError {
  readonly code = "ERR_THREAD_MODULE_NOT_FOUND";
  constructor(readonly module: string) {
    super(`cannot run a function of ${describeModule(module)} on a thread: no such module`);
  }
}

/**
 * The module named for a thread exists but did not load: it threw while loading, or it is
 * TypeScript and the thread has no TypeScript loader (`tsx` is not installed). `cause` is the
 * error seen in the thread.
 *
 * @example
 * ```ts
 * if (isBeamishError(e, "ERR_THREAD_MODULE_LOAD")) console.log(e.module, e.cause);
 * ```
 */
export class ThreadModuleLoadError extends BeamishError {
  readonly code = "ERR_THREAD_MODULE_LOAD";
  constructor(
    readonly module: string,
    readonly detail: string,
    override readonly cause?: unknown,
  ) {
    super(
      `cannot load ${module} in a thread: ${detail}`,
      cause === undefined ? undefined : { cause },
    );
  }
}

/**
 * The export named for a thread is not a function, or not exported. `got` describes what it is
 * (`"not exported"` when absent), `exports` lists the module's function exports.
 *
 * @example
 * ```ts
 * if (isBeamishError(e, "ERR_THREAD_EXPORT_NOT_FUNCTION")) console.log(e.exportName, e.got);
 * ```
 */
export class ThreadExportNotFunctionError extends BeamishError {
  readonly code = "ERR_THREAD_EXPORT_NOT_FUNCTION";
  constructor(
    readonly module: string,
    readonly exportName: string,
    readonly got: string,
    readonly exports: readonly string[],
  ) {
    const known = exports.length === 0 ? "none" : exports.join(", ");
    super(
      got === "not exported"
        ? `${describeModule(module)} has no export ${JSON.stringify(exportName)} (its function exports: ${known})`
        : `export ${JSON.stringify(exportName)} of ${describeModule(module)} is not a function: it is ${got} (its function exports: ${known})`,
    );
  }
}
