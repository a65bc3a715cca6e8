/** What supervisors track per child, and how they report it. */
import { isPid, type Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import type { ChildType, NormalizedDynamicChildSpec, Restart } from "./child-spec.js";
import { shutdownChild } from "./shutdown.js";

/** The `pid` of a child whose restart failed and will be tried again. */
export const RESTARTING = "restarting";

/** @internal A child as its supervisor tracks it. */
export interface Child<S extends NormalizedDynamicChildSpec = NormalizedDynamicChildSpec> {
  readonly spec: S;
  /** The running process; {@link RESTARTING} while a failed restart waits; `undefined` when stopped. */
  pid: Pid | typeof RESTARTING | undefined;
}

/**
 * One child as `whichChildren` reports it: `pid` is the running process, `"restarting"` while a
 * failed restart waits to be tried again, or `undefined` when it is not running.
 *
 * @example
 * ```ts
 * for (const { id, pid } of await Supervisor.whichChildren(sup)) console.log(id, String(pid));
 * ```
 */
export interface ChildInfo<Id = string> {
  readonly id: Id;
  readonly pid: Pid | typeof RESTARTING | undefined;
  readonly type: ChildType;
  readonly restart: Restart;
}

/**
 * What `countChildren` reports: `specs` children in all, `active` of them running, and how many
 * are `supervisors` and `workers`.
 *
 * @example
 * ```ts
 * const { active } = await Supervisor.countChildren(sup);
 * ```
 */
export interface ChildCounts {
  readonly specs: number;
  readonly active: number;
  readonly supervisors: number;
  readonly workers: number;
}

/** @internal */
export function childInfo<Id>(child: Child, id: Id): ChildInfo<Id> {
  return { id, pid: child.pid, type: child.spec.type, restart: child.spec.restart };
}

/** @internal */
export function countChildren(children: Iterable<Child>): ChildCounts {
  let specs = 0;
  let active = 0;
  let supervisors = 0;
  for (const child of children) {
    specs++;
    if (isPid(child.pid)) active++;
    if (child.spec.type === "supervisor") supervisors++;
  }
  return { specs, active, supervisors, workers: specs - supervisors };
}

/**
 * @internal Stops the running ones of `children`, last first, each within its shutdown time, and
 * marks them not running.
 */
export async function stopChildren(children: readonly Child[], supervisor: Self): Promise<void> {
  for (let i = children.length - 1; i >= 0; i--) {
    const child = children[i] as Child;
    const pid = child.pid;
    child.pid = undefined;
    if (isPid(pid)) await shutdownChild(supervisor, pid, child.spec.shutdown);
  }
}
