import { BeamishError } from "../kernel/errors.js";
import { describeReason, type ExitReason } from "../kernel/exit.js";
import type { Pid } from "../kernel/pid.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_CHILD_START: ChildStartError;
    ERR_CHILD_NOT_FOUND: ChildNotFoundError;
    ERR_CHILD_RUNNING: ChildRunningError;
    ERR_CHILD_EXISTS: ChildExistsError;
    ERR_MAX_CHILDREN: MaxChildrenError;
  }
}

/**
 * A child did not start: its `start` threw, rejected (other than with a `StartError` whose
 * reason is `"ignore"`) or returned something that is not a pid. `childId` names it (`undefined`
 * for a DynamicSupervisor child without id); `reason` is what `start` failed with.
 *
 * @example
 * ```ts
 * try {
 *   await Supervisor.start([db, cache]);
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_CHILD_START")) console.log(e.childId, e.reason);
 * }
 * ```
 */
export class ChildStartError extends BeamishError {
  readonly code = "ERR_CHILD_START";
  constructor(
    readonly childId: string | undefined,
    readonly reason: ExitReason,
  ) {
    super(
      `${describeChild(childId)} failed to start: ${describeReason(reason)}`,
      reason instanceof Error ? { cause: reason } : undefined,
    );
  }
}

/**
 * No child with this id (Supervisor) or pid (DynamicSupervisor).
 *
 * @example
 * ```ts
 * await Supervisor.terminateChild(sup, "nope").catch((e) => {
 *   if (isBeamishError(e, "ERR_CHILD_NOT_FOUND")) console.log(e.child); // "nope"
 * });
 * ```
 */
export class ChildNotFoundError extends BeamishError {
  readonly code = "ERR_CHILD_NOT_FOUND";
  constructor(
    /** The id or pid that was asked for. */
    readonly child: string | Pid,
  ) {
    super(`no child ${typeof child === "string" ? JSON.stringify(child) : String(child)}`);
  }
}

/**
 * `restartChild` or `deleteChild` on a child that is running (or being restarted): terminate it
 * first.
 *
 * @example
 * ```ts
 * await Supervisor.deleteChild(sup, "db"); // rejects: child "db" is running
 * ```
 */
export class ChildRunningError extends BeamishError {
  readonly code = "ERR_CHILD_RUNNING";
  constructor(readonly childId: string) {
    super(`${describeChild(childId)} is running`);
  }
}

/**
 * `startChild` with an id the supervisor already has: `pid` is the running child, `undefined`
 * when the spec is there but not running (use `restartChild`, or `deleteChild` first).
 *
 * @example
 * ```ts
 * await Supervisor.startChild(sup, spec).catch((e) => {
 *   if (isBeamishError(e, "ERR_CHILD_EXISTS")) return e.pid;
 * });
 * ```
 */
export class ChildExistsError extends BeamishError {
  readonly code = "ERR_CHILD_EXISTS";
  constructor(
    readonly childId: string,
    readonly pid: Pid | undefined,
  ) {
    super(
      pid === undefined
        ? `${describeChild(childId)} is already present (not running)`
        : `${describeChild(childId)} is already started as ${pid}`,
    );
  }
}

/**
 * `DynamicSupervisor.startChild` when the supervisor already has `maxChildren` children.
 *
 * @example
 * ```ts
 * await DynamicSupervisor.startChild(sup, spec).catch((e) => {
 *   if (isBeamishError(e, "ERR_MAX_CHILDREN")) console.log(e.maxChildren);
 * });
 * ```
 */
export class MaxChildrenError extends BeamishError {
  readonly code = "ERR_MAX_CHILDREN";
  constructor(readonly maxChildren: number) {
    super(`the supervisor already has its maximum of ${maxChildren} children`);
  }
}

function describeChild(id: string | undefined): string {
  return id === undefined ? "a child" : `child ${JSON.stringify(id)}`;
}

/** @internal A reply that may carry an error: a bad request never crashes a supervisor. */
export type Outcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly error: unknown };

/** @internal */
export function success<T>(value: T): Outcome<T> {
  return { ok: true, value };
}

/** @internal */
export function failure(error: unknown): Outcome<never> {
  return { ok: false, error };
}

/** @internal Resolves with the outcome's value or rejects with its error. */
export async function settle<T>(reply: Promise<Outcome<T>>): Promise<T> {
  const outcome = await reply;
  if (outcome.ok) return outcome.value;
  throw outcome.error;
}
