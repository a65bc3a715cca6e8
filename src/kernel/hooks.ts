import type { ExitReason } from "./exit.js";
import type { Pid } from "./pid.js";
import type { Process } from "./process.js";

/**
 * @internal Something to run once when a process exits: a monitor, a pending call, a sleep.
 * Hooks form an intrusive doubly linked list on the watched process, so that adding and removing
 * one (once per GenServer call) costs no allocation and no map operation.
 */
export abstract class ExitHook {
  hookPrev: ExitHook | null = null;
  hookNext: ExitHook | null = null;
  hookOwner: Process | null = null;

  /** Runs once, after the process has left the process table. */
  abstract onExit(pid: Pid, reason: ExitReason): void;
}

/** @internal Appends `hook` to `owner`'s list. */
export function attachHook(owner: Process, hook: ExitHook): void {
  hook.hookOwner = owner;
  hook.hookPrev = null;
  hook.hookNext = owner.hooks;
  if (owner.hooks !== null) owner.hooks.hookPrev = hook;
  owner.hooks = hook;
}

/** @internal Removes `hook` from the list it is on, if any. */
export function detachHook(hook: ExitHook): void {
  const owner = hook.hookOwner;
  if (owner === null) return;
  if (hook.hookPrev !== null) hook.hookPrev.hookNext = hook.hookNext;
  else owner.hooks = hook.hookNext;
  if (hook.hookNext !== null) hook.hookNext.hookPrev = hook.hookPrev;
  hook.hookPrev = null;
  hook.hookNext = null;
  hook.hookOwner = null;
}

/**
 * @internal Detaches every hook of `owner` and runs each once. Each hook is taken off the head of
 * the live list before it runs, so a hook that detaches another hook of the same process (a
 * via-name release emptying a registry's record) leaves the rest of the list intact.
 */
export function fireHooks(owner: Process, pid: Pid, reason: ExitReason): void {
  let hook = owner.hooks;
  while (hook !== null) {
    const next = hook.hookNext;
    owner.hooks = next;
    if (next !== null) next.hookPrev = null;
    hook.hookPrev = null;
    hook.hookNext = null;
    hook.hookOwner = null;
    hook.onExit(pid, reason);
    hook = owner.hooks;
  }
}
