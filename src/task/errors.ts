import { BeamishError } from "../kernel/errors.js";
import { describeReason, type ExitReason } from "../kernel/exit.js";
import type { Pid } from "../kernel/pid.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_TASK_EXIT: TaskExitError;
    ERR_TASK_TIMEOUT: TaskTimeoutError;
  }
}

/**
 * A task exited without producing its value: it threw, its promise rejected, or it was killed.
 * `reason` is its exit reason (the thrown error itself for a crash, `"killed"` for a kill).
 *
 * @example
 * ```ts
 * try {
 *   await Task.await(Task.async(() => { throw new Error("boom"); }));
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_TASK_EXIT")) console.log(e.reason); // Error: boom
 * }
 * ```
 */
export class TaskExitError extends BeamishError {
  readonly code = "ERR_TASK_EXIT";
  constructor(
    /** The task's pid. */
    readonly pid: Pid,
    /** Why it exited. */
    readonly reason: ExitReason,
  ) {
    super(
      `task ${pid} exited: ${describeReason(reason)}`,
      reason instanceof Error ? { cause: reason } : undefined,
    );
  }
}

/**
 * A task did not finish within its timeout (`Task.await`, or an item of `Task.asyncStream` with
 * `onTimeout: "exit"`). The task has been killed by the time this is thrown.
 *
 * @example
 * ```ts
 * try {
 *   await Task.await(task, 100);
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_TASK_TIMEOUT")) console.log(e.timeout); // 100
 * }
 * ```
 */
export class TaskTimeoutError extends BeamishError {
  readonly code = "ERR_TASK_TIMEOUT";
  constructor(
    /** The task that timed out (it is dead now). */
    readonly pid: Pid,
    /** The timeout that passed, in ms. */
    readonly timeout: number,
  ) {
    super(`task ${pid} timed out after ${timeout} ms`);
  }
}
