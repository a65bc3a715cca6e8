/**
 * GenServer: a process holding a state, handling typed calls and casts one at a time.
 *
 * `GenServer` is the namespace of functions (`start`, `startLink`, `call`, `cast`, `reply`,
 * `stop`, `named`, `whereis`, `server`); callbacks return the directives `reply`, `noreply`,
 * `stop`, and `init` also `ok` and `ignore`. Elixir has the same pairs: `GenServer.reply(from,
 * value)` answers a deferred call while `reply(value, state)` is `{:reply, value, state}`;
 * `GenServer.stop(server)` stops a server while `stop(reason, state)` is `{:stop, reason, state}`.
 *
 * @example
 * ```ts
 * import { GenServer, reply } from "beamish";
 *
 * interface Counter {
 *   calls: { get(): number; add(n: number): number };
 *   casts: { reset(): void };
 * }
 * const counter: GenServer.Definition<Counter, number, number> = {
 *   init: (start) => start,
 *   handleCall: {
 *     get: (_, _from, n) => reply(n, n),
 *     add: (by, _from, n) => reply(n + by, n + by),
 *   },
 *   handleCast: { reset: () => 0 },
 * };
 * const server = await GenServer.start(counter, 10);
 * await GenServer.call(server, "add", 5); // 15
 * ```
 */
export type {
  CallHandlers,
  CallResult,
  CastHandlers,
  InitResult,
  NoReplyResult,
} from "./definition.js";
export {
  type ContinueOption,
  Ignore,
  ignore,
  NoReply,
  noreply,
  Ok,
  ok,
  Reply,
  reply,
  Stop,
  type StopOptions,
  stop,
} from "./directives.js";
export {
  BadReturnError,
  CallExitError,
  CallSelfError,
  CallTimeoutError,
  StartError,
  StopTimeoutError,
  UnknownRequestError,
} from "./errors.js";
export type { CallOptions } from "./gen-server.js";
export * as GenServer from "./gen-server.js";
export type {
  ArgOf,
  CallArgs,
  CallName,
  CallReply,
  CastArgs,
  CastName,
  From,
  NamedServer,
  Protocol,
  Server,
  ServerRef,
} from "./protocol.js";
export { type StartOptions, startOptions } from "./start.js";
