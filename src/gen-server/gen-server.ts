/**
 * The functions of the `GenServer` namespace. A server is a process that holds a state and
 * handles calls (request and reply), casts (fire and forget) and other messages one at a time,
 * through the callbacks of its {@link Definition}.
 */
import type { Name } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import type { ExitReason } from "../kernel/exit.js";
import { isPid, type Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { callServer, callTimeout, castServer, replyTo, serverProcess, stopServer } from "./call.js";
import type { Definition } from "./definition.js";
import type {
  CallArgs,
  CallName,
  CallReply,
  CallRest,
  CastArgs,
  CastName,
  CastRest,
  From,
  NamedServer,
  Server,
  ServerRef,
} from "./protocol.js";
import { type StartOptions, startServer } from "./start.js";

/** Options of {@link call}. */
export interface CallOptions {
  /** How long to wait for the reply, in ms, or `Infinity`. Default `5000`. */
  readonly timeout?: number | undefined;
}

/**
 * Starts a server running `definition`, passing `arg` to its `init`. Resolves with the typed
 * pid once `init` has returned; rejects with a `StartError` (the process is gone) when `init`
 * throws or rejects (`reason`: the error), returns `stop(reason)` (`reason`), returns `ignore()`
 * (`reason: "ignore"`), does not finish within `timeout` (`reason: "timeout"`, the process is
 * killed), or when the name is taken (`reason`: the `NameTakenError`). Bad options reject with
 * an `InvalidArgumentError`.
 *
 * Options: `name` (string or `{ via, key }`), `timeout` (default 5000 ms), `trapExit` (default
 * false).
 *
 * @example
 * ```ts
 * const counter = await GenServer.start(counterDefinition, 0, { name: "counter" });
 * await GenServer.call(counter, "add", 5); // 5
 * ```
 */
export function start<P, S, A>(
  definition: Definition<P, S, A>,
  arg: A,
  options?: StartOptions,
): Promise<Server<P>> {
  return startServer(definition, arg, options, undefined) as Promise<Server<P>>;
}

/**
 * Like {@link start}, and links the server to `self` (its parent) before it runs, as a
 * supervisor starts its children. If the server crashes, `self` gets the exit signal (it dies
 * unless it traps exits); if `self` exits and the server traps exits, the server runs
 * `terminate` with that reason and exits. A failing `init` also signals `self`; a start timeout
 * unlinks before killing, so only the rejection tells it.
 *
 * @example
 * ```ts
 * spawn(async (self) => {
 *   const server = await GenServer.startLink(self, definition, arg, { trapExit: true });
 * });
 * ```
 */
export function startLink<P, S, A>(
  self: Self,
  definition: Definition<P, S, A>,
  arg: A,
  options?: StartOptions,
): Promise<Server<P>> {
  return startServer(definition, arg, options, self) as Promise<Server<P>>;
}

/**
 * Sends the call `request` (with its argument) and resolves with the reply. Rejects with
 * `CallTimeoutError` when no reply came within `timeout` (default 5000 ms; a late reply is
 * dropped), `NoProcError` when no process is behind the pid or name, `CallExitError` when the
 * server exits before replying, `CallSelfError` when a server calls itself from its own
 * callback, and `InvalidArgumentError` for a bad timeout.
 *
 * @example
 * ```ts
 * const total = await GenServer.call(counter, "add", 5);
 * const now = await GenServer.call(counter, "get", undefined, { timeout: 100 });
 * ```
 */
export function call<P, K extends CallName<P>>(
  server: ServerRef<P>,
  request: K,
  ...rest: CallRest<CallArgs<P, K>, CallOptions>
): Promise<CallReply<P, K>> {
  let timeout: number;
  try {
    timeout = callTimeout(rest[1] as CallOptions | undefined);
  } catch (error) {
    return Promise.reject(error);
  }
  return callServer(server, request, rest[0], timeout) as Promise<CallReply<P, K>>;
}

/**
 * Sends the cast `request` (with its argument) and returns at once. A cast to a dead pid or to
 * a name nobody holds is dropped silently, as Elixir's `GenServer.cast`.
 *
 * @example
 * ```ts
 * GenServer.cast(counter, "inc", 1);
 * GenServer.cast(counter, "reset");
 * ```
 */
export function cast<P, K extends CastName<P>>(
  server: ServerRef<P>,
  request: K,
  ...rest: CastRest<CastArgs<P, K>>
): void {
  castServer(server, request, rest[0]);
}

/**
 * Replies to a call whose `handleCall` returned `noreply(...)`; works from any process, any time
 * before the call's timeout. Only the first reply counts: a second or late one is dropped, and
 * never reaches another call.
 *
 * @example
 * ```ts
 * handleCall: {
 *   fetch: (url, from, state) => {
 *     fetch(url).then((r) => GenServer.reply(from, r.status));
 *     return noreply(state);
 *   },
 * }
 * ```
 */
export function reply<R>(from: From<R>, value: R): void {
  replyTo(from, value);
}

/**
 * Stops the server: it runs `terminate(reason)` after the messages already in its mailbox and
 * exits with `reason` (default `"normal"`). Resolves once it is gone. Rejects with
 * `NoProcError` when it is not alive, and `StopTimeoutError` when it has not exited within
 * `timeout` ms (default `Infinity`; the server is left running).
 *
 * @example
 * ```ts
 * await GenServer.stop(counter);
 * await GenServer.stop(counter, "shutdown", 5000);
 * ```
 */
export function stop<P>(
  server: ServerRef<P>,
  reason: ExitReason = "normal",
  timeout = Infinity,
): Promise<void> {
  try {
    return stopServer(server, reason, timeout);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * A typed handle for a server registered under a local name or a via-name: the type says which
 * protocol the caller expects behind it (nothing is checked at run time).
 *
 * @example
 * ```ts
 * await GenServer.start(counterDefinition, 0, { name: "counter" });
 * const counter = GenServer.named<Counter>("counter");
 * await GenServer.call(counter, "get");
 * ```
 */
export function named<P>(name: Name): NamedServer<P> {
  if (!(typeof name === "string" || (typeof name === "object" && name !== null && "via" in name))) {
    invalidArgument("name", "a non-empty string or a via-name { via, key }", name);
  }
  return name as NamedServer<P>;
}

/**
 * The typed pid of the live server behind a name, or `undefined`.
 *
 * @example
 * ```ts
 * const pid = GenServer.whereis<Counter>("counter");
 * ```
 */
export function whereis<P>(name: Name): Server<P> | undefined {
  return serverProcess(name)?.pid as Server<P> | undefined;
}

/**
 * Types a pid as a server of protocol `P` (nothing is checked at run time).
 *
 * @example
 * ```ts
 * const counter = GenServer.server<Counter>(pid);
 * ```
 */
export function server<P>(pid: Pid): Server<P> {
  if (!isPid(pid)) invalidArgument("pid", "a pid", pid);
  return pid as Server<P>;
}

export type { Definition, From, NamedServer, Server, ServerRef, StartOptions };
