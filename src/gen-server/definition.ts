/** The callbacks of a server, typed by its protocol `P`, its state `S` and its init argument `A`. */
import type { ExitReason } from "../kernel/exit.js";
import type { Self } from "../kernel/process.js";
import type { Ignore, NoReply, Ok, Reply, Stop } from "./directives.js";
import type { ArgOf, CallArgs, CallName, CallReply, CastArgs, CastName, From } from "./protocol.js";

/** What `init` may return: the state, `ok(state, { continue })`, `ignore()` or `stop(reason)`. */
export type InitResult<S> = S | Ok<S> | Ignore | Stop<never, never>;

/** What a `handleCall` callback may return for a call replying `R`. */
export type CallResult<R, S> = Reply<R, S> | NoReply<S> | Stop<S, R>;

/** What `handleCast`, `handleInfo` and `handleContinue` may return: the new state or a directive. */
export type NoReplyResult<S> = S | NoReply<S> | Stop<S, never>;

type MaybeAsync<T> = T | PromiseLike<T>;

/** The `handleCall` map of protocol `P`: one callback per call, keyed by its name. */
export type CallHandlers<P, S> = {
  readonly [K in CallName<P>]: (
    arg: ArgOf<CallArgs<P, K>>,
    from: From<CallReply<P, K>>,
    state: S,
    self: Self,
  ) => MaybeAsync<CallResult<CallReply<P, K>, S>>;
};

/** The `handleCast` map of protocol `P`: one callback per cast, keyed by its name. */
export type CastHandlers<P, S> = {
  readonly [K in CastName<P>]: (
    arg: ArgOf<CastArgs<P, K>>,
    state: S,
    self: Self,
  ) => MaybeAsync<NoReplyResult<S>>;
};

interface Callbacks<S, A> {
  /**
   * Runs first, inside the new process; `start` resolves when it returns (or its promise
   * resolves) and rejects with a `StartError` when it throws, rejects, returns `stop(reason)` or
   * `ignore()`, or outlasts the start timeout.
   */
  init(arg: A, self: Self): MaybeAsync<InitResult<S>>;
  /**
   * Every message that is not a call, a cast or a stop: `sendAfter` messages, DOWN messages,
   * exit messages when trapping exits (except the parent's). Without it they are dropped.
   */
  handleInfo?(message: unknown, state: S, self: Self): MaybeAsync<NoReplyResult<S>>;
  /** Runs when a callback returned `{ continue: arg }`, before the next message. */
  handleContinue?(arg: unknown, state: S, self: Self): MaybeAsync<NoReplyResult<S>>;
  /**
   * Runs before the server exits: on `GenServer.stop`, on a `stop(...)` directive, when a
   * callback throws, and on an exit signal from its parent while trapping exits. Not on `"kill"`
   * nor on a linked exit it does not trap. May be async; the exit waits for it.
   */
  terminate?(reason: ExitReason, state: S, self: Self): void | PromiseLike<void>;
}

/**
 * A server's callbacks. `handleCall` and `handleCast` are maps keyed by message name and are
 * required when the protocol has calls or casts. Every callback may be async: messages wait
 * until its promise settles.
 *
 * @example
 * ```ts
 * interface Counter { calls: { get(): number }; casts: { inc(n: number): void } }
 * const counter: GenServer.Definition<Counter, number, number> = {
 *   init: (start) => start,
 *   handleCall: { get: (_, _from, n) => reply(n, n) },
 *   handleCast: { inc: (by, n) => n + by },
 * };
 * ```
 */
export type Definition<P, S, A = undefined> = Callbacks<S, A> &
  ([CallName<P>] extends [never]
    ? { readonly handleCall?: Record<never, never> }
    : { readonly handleCall: CallHandlers<P, S> }) &
  ([CastName<P>] extends [never]
    ? { readonly handleCast?: Record<never, never> }
    : { readonly handleCast: CastHandlers<P, S> });

/** @internal The untyped view of a definition the server runs. */
export interface AnyDefinition {
  init(arg: unknown, self: Self): unknown;
  readonly handleCall?: Readonly<
    Record<string, (a: unknown, f: unknown, s: unknown, self: Self) => unknown>
  >;
  readonly handleCast?: Readonly<Record<string, (a: unknown, s: unknown, self: Self) => unknown>>;
  handleInfo?(message: unknown, state: unknown, self: Self): unknown;
  handleContinue?(arg: unknown, state: unknown, self: Self): unknown;
  terminate?(reason: ExitReason, state: unknown, self: Self): unknown;
}
