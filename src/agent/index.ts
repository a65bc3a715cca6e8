/**
 * Agent: a process holding one state, read and changed with functions run inside it.
 *
 * @example
 * ```ts
 * import { Agent } from "beamish";
 * const counter = await Agent.start(() => 0);
 * await Agent.update(counter, (n) => n + 1);
 * await Agent.get(counter, (n) => n); // 1
 * ```
 */
import { cast, get, getAndUpdate, named, start, startLink, stop, update } from "./agent.js";

export type { AgentProtocol, AgentRef } from "./agent.js";

/** A handle on an agent holding a state of type `S`. @example `const a: Agent<number> = await Agent.start(() => 0)` */
export type Agent<S> = import("./agent.js").Agent<S>;

/**
 * The Agent functions: `start`, `startLink`, `get`, `update`, `getAndUpdate`, `cast`, `stop`,
 * `named`.
 *
 * @example
 * ```ts
 * const ids = await Agent.start(() => 1);
 * await Agent.getAndUpdate(ids, (n) => [n, n + 1]); // 1
 * ```
 */
export const Agent = Object.freeze({
  start,
  startLink,
  get,
  update,
  getAndUpdate,
  cast,
  stop,
  named,
});
