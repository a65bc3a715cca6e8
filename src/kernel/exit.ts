import { BeamishError } from "./errors.js";
import type { Pid, Ref } from "./pid.js";

/**
 * Why a process exited. Any value may be a reason; these are the ones the runtime gives meaning:
 * - `"normal"`: the process finished; linked processes that do not trap exits ignore it.
 * - `"shutdown"` or `{ shutdown: detail }`: an orderly stop asked by a supervisor or `stop`.
 * - `"kill"`: sent with `exit(pid, "kill")`, cannot be trapped; the target exits with `"killed"`.
 * - `"noproc"`: the process did not exist (a monitor or link on a dead pid).
 * - an `Error`: a crash, with its stack.
 */
export type ExitReason = unknown;

/** `{ shutdown: detail }`, an orderly stop with a detail attached. */
export interface ShutdownReason {
  readonly shutdown: unknown;
}

/**
 * True for the reasons OTP counts as a clean stop: `"normal"`, `"shutdown"` and `{ shutdown: x }`.
 * A transient child is restarted only when it exits with any other reason.
 *
 * @example
 * ```ts
 * isNormalExit("shutdown"); // true
 * isNormalExit(new Error("boom")); // false
 * ```
 */
export function isNormalExit(reason: ExitReason): boolean {
  return (
    reason === "normal" ||
    reason === "shutdown" ||
    (typeof reason === "object" && reason !== null && "shutdown" in reason)
  );
}

/**
 * The message a process that traps exits receives instead of dying.
 *
 * @example
 * ```ts
 * self.trapExit(true);
 * const msg = await self.receive({ match: isExitMessage });
 * console.log(`${msg.from} exited: ${String(msg.reason)}`);
 * ```
 */
export class ExitMessage {
  readonly type = "EXIT";
  constructor(
    readonly from: Pid,
    readonly reason: ExitReason,
  ) {}
}

/**
 * The one message a monitor delivers when the monitored process exits (or was already dead,
 * with reason `"noproc"`).
 *
 * @example
 * ```ts
 * const ref = self.monitor(pid);
 * const down = await self.receive({ match: (m) => isDownMessage(m) && m.ref === ref });
 * ```
 */
export class DownMessage {
  readonly type = "DOWN";
  constructor(
    readonly ref: Ref,
    readonly pid: Pid,
    readonly reason: ExitReason,
  ) {}
}

/** Type guard for {@link ExitMessage}. @example `if (isExitMessage(msg)) console.log(msg.reason)` */
export function isExitMessage(value: unknown): value is ExitMessage {
  return value instanceof ExitMessage;
}

/** Type guard for {@link DownMessage}. @example `if (isDownMessage(msg)) console.log(msg.reason)` */
export function isDownMessage(value: unknown): value is DownMessage {
  return value instanceof DownMessage;
}

/**
 * A wait of beamish (`receive`, `sleep`, a call made with the process's signal) rejects with this
 * when its own process has exited, so that killed async work stops at its next await.
 *
 * @example
 * ```ts
 * try { await self.receive(); } catch (e) { if (e instanceof ProcessExitedError) return; throw e; }
 * ```
 */
export class ProcessExitedError extends BeamishError {
  readonly code = "ERR_PROCESS_EXITED";
  constructor(
    readonly pid: Pid,
    readonly reason: ExitReason,
  ) {
    super(`process ${pid} exited (${describeReason(reason)})`);
  }
}

/**
 * No live process answers to this pid or name.
 *
 * @example
 * ```ts
 * try { send("nobody", 1); } catch (e) { if (isBeamishError(e, "ERR_NOPROC")) console.log(e.dest); }
 * ```
 */
export class NoProcError extends BeamishError {
  readonly code = "ERR_NOPROC";
  constructor(
    readonly dest: unknown,
    detail?: string,
  ) {
    super(`no process: ${describeDest(dest)}${detail ? ` (${detail})` : ""}`);
  }
}

/**
 * A name is already taken by another live process.
 *
 * @example
 * ```ts
 * register("cache", pid); register("cache", other); // throws NameTakenError
 * ```
 */
export class NameTakenError extends BeamishError {
  readonly code = "ERR_NAME_TAKEN";
  constructor(
    readonly takenName: unknown,
    readonly pid: Pid,
  ) {
    super(`name ${describeDest(takenName)} is already registered to ${pid}`);
  }
}

/** A short text for an exit reason, for messages and logs. @example `describeReason("normal")` */
export function describeReason(reason: ExitReason): string {
  if (reason instanceof Error) return `${reason.name}: ${reason.message}`;
  if (typeof reason === "string") return reason;
  try {
    return JSON.stringify(reason) ?? String(reason);
  } catch {
    return String(reason);
  }
}

function describeDest(dest: unknown): string {
  if (typeof dest === "string") return JSON.stringify(dest);
  if (typeof dest === "object" && dest !== null && "key" in dest) {
    return `via name ${describeReason((dest as { key: unknown }).key)}`;
  }
  return String(dest);
}
