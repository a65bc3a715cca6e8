/**
 * Agent: a process that only holds a state, read and changed with functions, as Elixir's Agent.
 * It is a GenServer whose calls carry the function to run on the state.
 */

import {
  GenServer,
  type NamedServer,
  noreply,
  ok,
  reply,
  type Server,
  type ServerRef,
  type StartOptions,
} from "../gen-server/index.js";
import type { Name } from "../kernel/api.js";
import type { ExitReason } from "../kernel/exit.js";
import { checkFunction, checkTimeout } from "../kernel/options.js";
import type { Self } from "../kernel/process.js";
import { isThenable } from "../kernel/process.js";

/** The protocol an agent of state `S` speaks; the functions run inside the agent. */
export interface AgentProtocol<S> {
  calls: {
    get(fn: (state: S) => unknown): unknown;
    update(fn: (state: S) => S): undefined;
    getAndUpdate(fn: (state: S) => readonly [unknown, S]): unknown;
  };
  casts: { cast(fn: (state: S) => S): void };
}

/** An agent holding a state of type `S`: its pid, as `Agent.start` returns it. */
export type Agent<S> = Server<AgentProtocol<S>>;

/** What the Agent functions accept: an {@link Agent} pid or a name typed by `Agent.named<S>`. */
export type AgentRef<S> = ServerRef<AgentProtocol<S>>;

const definition: GenServer.Definition<AgentProtocol<unknown>, unknown, () => unknown> = {
  init: (fn) => {
    const state = fn();
    return isThenable(state) ? Promise.resolve(state).then((s) => ok(s)) : ok(state);
  },
  handleCall: {
    get: (fn, _from, state) => reply(fn(state), state),
    update: (fn, _from, state) => reply(undefined, fn(state)),
    getAndUpdate: (fn, _from, state) => {
      const [value, next] = fn(state);
      return reply(value, next);
    },
  },
  // noreply, not the bare state: any value (a directive-like object, a promise) is a valid state.
  handleCast: { cast: (fn, state) => noreply(fn(state)) },
};

function rejecting<T>(run: () => Promise<T>): Promise<T> {
  try {
    return run();
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Starts an agent whose state is what `fn` returns (or resolves to: `fn` may be async).
 * Options as `GenServer.start`: `name`, `timeout` (default 5000 ms for `fn`). Rejects with a
 * `StartError` when `fn` throws, rejects or times out.
 *
 * @example
 * ```ts
 * const hits = await Agent.start(() => new Map<string, number>(), { name: "hits" });
 * ```
 */
export function start<S>(fn: () => S | PromiseLike<S>, options?: StartOptions): Promise<Agent<S>> {
  return rejecting(() => GenServer.start(definition, checkFunction(fn, "fn"), options)) as Promise<
    Agent<S>
  >;
}

/**
 * Like {@link start}, linked to `self`, as a supervisor starts its children.
 *
 * @example
 * ```ts
 * spawn(async (self) => {
 *   const cache = await Agent.startLink(self, () => ({}));
 * });
 * ```
 */
export function startLink<S>(
  self: Self,
  fn: () => S | PromiseLike<S>,
  options?: StartOptions,
): Promise<Agent<S>> {
  return rejecting(() =>
    GenServer.startLink(self, definition, checkFunction(fn, "fn"), options),
  ) as Promise<Agent<S>>;
}

/**
 * Runs `fn` on the state inside the agent and resolves with its result. Rejects as
 * `GenServer.call` does: `CallTimeoutError` after `timeout` ms (default 5000), `NoProcError`,
 * `CallExitError` when the agent dies (a throwing `fn` crashes the agent).
 *
 * @example
 * ```ts
 * const count = await Agent.get(hits, (m) => m.get("/") ?? 0);
 * ```
 */
export function get<S, R>(agent: AgentRef<S>, fn: (state: S) => R, timeout = 5000): Promise<R> {
  return rejecting(
    () =>
      GenServer.call(
        agent as AgentRef<unknown>,
        "get",
        checkFunction(fn, "fn") as (s: unknown) => R,
        {
          timeout: checkTimeout(timeout, "timeout"),
        },
      ) as Promise<R>,
  );
}

/**
 * Replaces the state with `fn(state)`; resolves once done. Errors as {@link get}.
 *
 * @example
 * ```ts
 * await Agent.update(hits, (m) => m.set("/", (m.get("/") ?? 0) + 1));
 * ```
 */
export function update<S>(agent: AgentRef<S>, fn: (state: S) => S, timeout = 5000): Promise<void> {
  return rejecting(
    () =>
      GenServer.call(
        agent as AgentRef<unknown>,
        "update",
        checkFunction(fn, "fn") as (s: unknown) => unknown,
        {
          timeout: checkTimeout(timeout, "timeout"),
        },
      ) as Promise<void>,
  );
}

/**
 * Runs `fn` on the state; `fn` returns `[reply, newState]`: the state becomes `newState` and the
 * promise resolves with `reply`. Errors as {@link get}.
 *
 * @example
 * ```ts
 * const next = await Agent.getAndUpdate(ids, (n) => [n, n + 1]);
 * ```
 */
export function getAndUpdate<S, R>(
  agent: AgentRef<S>,
  fn: (state: S) => readonly [R, S],
  timeout = 5000,
): Promise<R> {
  return rejecting(
    () =>
      GenServer.call(
        agent as AgentRef<unknown>,
        "getAndUpdate",
        checkFunction(fn, "fn") as (s: unknown) => readonly [unknown, unknown],
        { timeout: checkTimeout(timeout, "timeout") },
      ) as Promise<R>,
  );
}

/**
 * Replaces the state with `fn(state)` without waiting; dropped if the agent is not there.
 *
 * @example
 * ```ts
 * Agent.cast(hits, (m) => m.set("/", 0));
 * ```
 */
export function cast<S>(agent: AgentRef<S>, fn: (state: S) => S): void {
  GenServer.cast(
    agent as AgentRef<unknown>,
    "cast",
    checkFunction(fn, "fn") as (s: unknown) => unknown,
  );
}

/**
 * Stops the agent with `reason` (default `"normal"`), waiting at most `timeout` ms (default
 * `Infinity`), as `GenServer.stop`.
 *
 * @example
 * ```ts
 * await Agent.stop(hits);
 * ```
 */
export function stop<S>(
  agent: AgentRef<S>,
  reason: ExitReason = "normal",
  timeout = Infinity,
): Promise<void> {
  return GenServer.stop(agent, reason, timeout);
}

/**
 * A typed handle for an agent registered under a local or via-name.
 *
 * @example
 * ```ts
 * const hits = Agent.named<Map<string, number>>("hits");
 * ```
 */
export function named<S>(name: Name): NamedServer<AgentProtocol<S>> {
  return GenServer.named<AgentProtocol<S>>(name);
}
