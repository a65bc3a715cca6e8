/**
 * The types that tie a server's protocol (its calls with their replies, its casts) to `call`,
 * `cast` and the callbacks, so that a wrong message name, argument or reply type fails to
 * compile. Nothing here exists at run time.
 */
import type { Via } from "../kernel/api.js";
import type { Pid } from "../kernel/pid.js";

/**
 * The shape of a protocol: calls and casts as method signatures of zero or one argument.
 *
 * @example
 * ```ts
 * interface Counter {
 *   calls: { get(): number; add(n: number): number };
 *   casts: { inc(n: number): void; reset(): void };
 * }
 * ```
 */
export interface Protocol {
  readonly calls?: object;
  readonly casts?: object;
}

declare const protocolBrand: unique symbol;

/** Type-level only: the protocol a pid or name speaks. */
export interface Speaks<P> {
  readonly [protocolBrand]?: P;
}

/**
 * A server's pid, carrying its protocol as a type. `GenServer.start` returns one.
 *
 * @example
 * ```ts
 * const counter: Server<Counter> = await GenServer.start(definition, 0);
 * ```
 */
export type Server<P> = Pid & Speaks<P>;

/** A local or via-name that a server of protocol `P` is registered under; see `GenServer.named`. */
export type NamedServer<P> = (string | Via) & Speaks<P>;

/** Anything `call` and `cast` accept: a typed pid or a typed name. */
export type ServerRef<P> = Server<P> | NamedServer<P>;

type Calls<P> = P extends { readonly calls: infer C } ? C : Record<never, never>;
type Casts<P> = P extends { readonly casts: infer C } ? C : Record<never, never>;

/** The names of the calls of `P`. */
export type CallName<P> = keyof Calls<P> & string;
/** The names of the casts of `P`. */
export type CastName<P> = keyof Casts<P> & string;

type Method<T, K> = K extends keyof T
  ? T[K] extends (...args: infer A) => infer R
    ? { args: A; result: R }
    : never
  : never;

/** The argument list of call `K` of `P`: `[]`, `[arg]` or `[arg?]`. */
export type CallArgs<P, K extends CallName<P>> = Method<Calls<P>, K>["args"];
/** The reply type of call `K` of `P`. */
export type CallReply<P, K extends CallName<P>> = Method<Calls<P>, K>["result"];
/** The argument list of cast `K` of `P`. */
export type CastArgs<P, K extends CastName<P>> = Method<Casts<P>, K>["args"];

/** The one argument a handler gets for an argument list (`undefined` for none). */
export type ArgOf<A> = A extends []
  ? undefined
  : A extends [infer X]
    ? X
    : A extends [(infer X)?]
      ? X | undefined
      : never;

/** What follows the message name in `call`: the argument (when the call has one), then options. */
export type CallRest<A, O> = A extends []
  ? [arg?: undefined, options?: O]
  : A extends [infer X]
    ? [arg: X, options?: O]
    : A extends [(infer X)?]
      ? [arg?: X, options?: O]
      : never;

/** What follows the message name in `cast`: the argument, when the cast has one. */
export type CastRest<A> = A extends []
  ? []
  : A extends [infer X]
    ? [arg: X]
    : A extends [(infer X)?]
      ? [arg?: X]
      : never;

declare const fromBrand: unique symbol;

/**
 * Who is waiting for a call's reply, handed to `handleCall`. Keep it to reply later, from any
 * process, with `GenServer.reply(from, value)`; the first reply wins, later ones are dropped.
 */
export interface From<R> {
  readonly [fromBrand]: (reply: R) => void;
}
