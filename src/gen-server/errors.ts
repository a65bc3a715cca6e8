import { BeamishError } from "../kernel/errors.js";
import { describeReason, type ExitReason } from "../kernel/exit.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_START: StartError;
    ERR_CALL_TIMEOUT: CallTimeoutError;
    ERR_CALL_EXIT: CallExitError;
    ERR_CALL_SELF: CallSelfError;
    ERR_STOP_TIMEOUT: StopTimeoutError;
    ERR_BAD_RETURN: BadReturnError;
    ERR_UNKNOWN_REQUEST: UnknownRequestError;
  }
}

/**
 * A server did not start. `reason` says why: the error `init` threw or rejected with, the reason
 * of `stop(reason)` returned by `init`, `"ignore"` when `init` returned `ignore()`, `"timeout"`
 * when `init` outran the start timeout (the process is then killed), or the
 * `NameTakenError` when the name was taken. The process is gone when this is raised.
 *
 * @example
 * ```ts
 * try {
 *   await GenServer.start(definition, arg);
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_START") && e.reason === "ignore") console.log("not started");
 * }
 * ```
 */
export class StartError extends BeamishError {
  readonly code = "ERR_START";
  constructor(readonly reason: ExitReason) {
    super(
      `the server did not start: ${describeReason(reason)}`,
      reason instanceof Error ? { cause: reason } : undefined,
    );
  }
}

/**
 * A call got no reply within its timeout. A reply that comes later is dropped.
 *
 * @example
 * ```ts
 * try { await GenServer.call(server, "slow", undefined, { timeout: 100 }); }
 * catch (e) { if (isBeamishError(e, "ERR_CALL_TIMEOUT")) console.log(e.request, e.timeout); }
 * ```
 */
export class CallTimeoutError extends BeamishError {
  readonly code = "ERR_CALL_TIMEOUT";
  constructor(
    /** The pid or name that was called. */
    readonly server: unknown,
    /** The name of the call (`"add"`). */
    readonly request: string,
    readonly timeout: number,
  ) {
    super(
      `call ${JSON.stringify(request)} to ${describeServer(server)} timed out after ${timeout} ms`,
    );
  }
}

/**
 * The server exited while a call waited for its reply; `reason` is its exit reason.
 *
 * @example
 * ```ts
 * try { await GenServer.call(server, "crash"); }
 * catch (e) { if (isBeamishError(e, "ERR_CALL_EXIT")) console.log(e.reason); }
 * ```
 */
export class CallExitError extends BeamishError {
  readonly code = "ERR_CALL_EXIT";
  constructor(
    readonly server: unknown,
    readonly request: string,
    readonly reason: ExitReason,
  ) {
    super(
      `${describeServer(server)} exited during call ${JSON.stringify(request)}: ${describeReason(reason)}`,
      reason instanceof Error ? { cause: reason } : undefined,
    );
  }
}

/**
 * A server called (or stopped) itself from inside one of its own callbacks: it would wait
 * forever for a reply only it can give.
 *
 * @example
 * ```ts
 * handleCall: { a: async (_, _from, s, self) => reply(await GenServer.call(self.pid, "b"), s) }
 * // rejects with CallSelfError
 * ```
 */
export class CallSelfError extends BeamishError {
  readonly code = "ERR_CALL_SELF";
  constructor(
    readonly server: unknown,
    readonly request: string,
  ) {
    super(
      `${describeServer(server)} called itself (${JSON.stringify(request)}) from its own callback: that would deadlock`,
    );
  }
}

/**
 * `GenServer.stop` waited `timeout` ms and the server had not exited (it is left running).
 *
 * @example
 * ```ts
 * await GenServer.stop(server, "shutdown", 1000).catch((e) => {
 *   if (isBeamishError(e, "ERR_STOP_TIMEOUT")) exit(e.server as Pid, "kill");
 * });
 * ```
 */
export class StopTimeoutError extends BeamishError {
  readonly code = "ERR_STOP_TIMEOUT";
  constructor(
    readonly server: unknown,
    readonly timeout: number,
  ) {
    super(`${describeServer(server)} did not stop within ${timeout} ms`);
  }
}

/**
 * A callback returned something it may not: `handleCall` must return `reply(...)`,
 * `noreply(...)` or `stop(...)`; other callbacks may not return `reply(...)`. The server crashes
 * with this error.
 *
 * @example
 * ```ts
 * handleCall: { get: (_, _from, state) => state } // crashes the server: ERR_BAD_RETURN
 * ```
 */
export class BadReturnError extends BeamishError {
  readonly code = "ERR_BAD_RETURN";
  constructor(
    /** The callback, e.g. `handleCall.get`. */
    readonly callback: string,
    readonly value: unknown,
  ) {
    super(`${callback} returned a value it may not return: ${describeReason(value)}`);
  }
}

function describeServer(server: unknown): string {
  if (typeof server === "string") return `server ${JSON.stringify(server)}`;
  if (typeof server === "object" && server !== null && "key" in server) {
    return `server via ${describeReason((server as { key: unknown }).key)}`;
  }
  return `server ${String(server)}`;
}

/**
 * A server got a call or cast its definition has no callback for; the server crashes with this
 * error, as an Elixir server without a matching clause does.
 *
 * @example
 * ```ts
 * // handleCall has no "reset": the server crashes, the caller gets CallExitError(reason: this)
 * ```
 */
export class UnknownRequestError extends BeamishError {
  readonly code = "ERR_UNKNOWN_REQUEST";
  constructor(
    /** `"handleCall"`, `"handleCast"` or `"handleContinue"`. */
    readonly callback: string,
    readonly request: string,
  ) {
    super(`the server has no ${callback} callback for ${JSON.stringify(request)}`);
  }
}
