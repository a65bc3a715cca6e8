/**
 * What callbacks return to tell the server what to do next. Directives are class instances, so
 * a cast, info or continue callback may also return the new state itself: any value that is not
 * a directive is the state.
 */
import type { ExitReason } from "../kernel/exit.js";

/** Options of {@link reply}, {@link noreply} and {@link ok}. */
export interface ContinueOption<C = unknown> {
  /** Run `handleContinue(continue, state)` before the next message. */
  readonly continue?: C;
}

/** @internal Marks "no continue asked", since `undefined` is a valid continue argument. */
export const NO_CONTINUE: unique symbol = Symbol("beamish.noContinue");

/** @internal Which directive: one `instanceof` and a switch instead of a chain of checks. */
export const REPLY = 0;
/** @internal */
export const NOREPLY = 1;
/** @internal */
export const STOP = 2;
/** @internal */
export const IGNORE = 3;
/** @internal */
export const OK = 4;
type Kind = typeof REPLY | typeof NOREPLY | typeof STOP | typeof IGNORE | typeof OK;

/** The base of every directive: whatever a callback returns that is not one is the state. */
export abstract class Directive {
  /** @internal */
  abstract readonly kind: Kind;
}

/** Returned by `handleCall`: reply `value`, keep `state`. Made by {@link reply}. */
export class Reply<R = unknown, S = unknown> extends Directive {
  /** @internal */
  readonly kind = REPLY;
  constructor(
    readonly value: R,
    readonly state: S,
    readonly next: unknown,
  ) {
    super();
  }
}

/** Keep `state` without replying now (reply later with `GenServer.reply`). Made by {@link noreply}. */
export class NoReply<S = unknown> extends Directive {
  /** @internal */
  readonly kind = NOREPLY;
  constructor(
    readonly state: S,
    readonly next: unknown,
  ) {
    super();
  }
}

/** Run `terminate(reason)` and exit with `reason`. Made by {@link stop}. */
export class Stop<S = unknown, R = unknown> extends Directive {
  /** @internal */
  readonly kind = STOP;
  constructor(
    readonly reason: ExitReason,
    readonly state: S | undefined,
    readonly reply: R | undefined,
    readonly hasReply: boolean,
  ) {
    super();
  }
}

/** Options of {@link stop}. */
export interface StopOptions<R> {
  /** From `handleCall`: the reply sent to the caller before `terminate` runs. */
  readonly reply: R;
}

/** Returned by `init`: the server is not started, and exits `"normal"`. Made by {@link ignore}. */
export class Ignore extends Directive {
  /** @internal */
  readonly kind = IGNORE;
}

/** Returned by `init`: start with `state`, then run `handleContinue`. Made by {@link ok}. */
export class Ok<S = unknown> extends Directive {
  /** @internal */
  readonly kind = OK;
  constructor(
    readonly state: S,
    readonly next: unknown,
  ) {
    super();
  }
}

const nextOf = (options: ContinueOption | undefined): unknown =>
  options !== undefined && "continue" in options ? options.continue : NO_CONTINUE;

/**
 * The `handleCall` directive: reply `value` to the caller and continue with `state`
 * (Elixir's `{:reply, value, state}`). With `{ continue }`, `handleContinue` runs before the
 * next message.
 *
 * @example
 * ```ts
 * handleCall: { add: (n, _from, state) => reply(state + n, state + n) }
 * ```
 */
export function reply<R, S>(value: R, state: S, options?: ContinueOption): Reply<R, S> {
  return new Reply(value, state, nextOf(options));
}

/**
 * Continue with `state` (Elixir's `{:noreply, state}`). In `handleCall` it leaves the caller
 * waiting: reply later with `GenServer.reply(from, value)`. In other callbacks it is the same as
 * returning the state, unless `{ continue }` is given.
 *
 * @example
 * ```ts
 * handleCall: { later: (_, from, state) => noreply({ ...state, waiting: from }) }
 * handleCast: { load: (_, state) => noreply(state, { continue: "fetch" }) }
 * ```
 */
export function noreply<S>(state: S, options?: ContinueOption): NoReply<S> {
  return new NoReply(state, nextOf(options));
}

/**
 * Stop the server: `terminate(reason, state)` runs, then the server exits with `reason`. Without
 * `state` (or with `undefined`) the current state is kept. From `handleCall`, `{ reply }` goes to
 * the caller first. From `init`, `start` rejects with a `StartError` carrying `reason`. A reason other than `"normal"`,
 * `"shutdown"` or `{ shutdown }` is reported to the logger, as OTP does.
 *
 * @example
 * ```ts
 * handleCall: { quit: (_, _from, state) => stop("normal", state, { reply: "bye" }) }
 * init: (config) => (config.valid ? config : stop("bad config"))
 * ```
 */
export function stop<S = never, R = never>(
  reason: ExitReason,
  state?: S,
  options?: StopOptions<R>,
): Stop<S, R> {
  const hasReply = options !== undefined && "reply" in options;
  return new Stop<S, R>(reason, state, hasReply ? options.reply : undefined, hasReply);
}

/**
 * The `init` directive: do not start; `start` rejects with a `StartError` whose reason is
 * `"ignore"`, and the process exits `"normal"` (a supervisor treats it as "nothing to run").
 *
 * @example
 * ```ts
 * init: (config) => (config.enabled ? config : ignore())
 * ```
 */
export function ignore(): Ignore {
  return new Ignore();
}

/**
 * The `init` directive for starting with a continuation: start with `state`, then run
 * `handleContinue(continue, state)` before any message (Elixir's `{:ok, state, {:continue, x}}`).
 * `start` resolves as soon as `init` returns, without waiting for `handleContinue`.
 *
 * @example
 * ```ts
 * init: (url) => ok({ url, data: null }, { continue: "load" })
 * ```
 */
export function ok<S>(state: S, options?: ContinueOption): Ok<S> {
  return new Ok(state, nextOf(options));
}
