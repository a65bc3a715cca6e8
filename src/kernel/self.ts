/**
 * The face of a process: the handle its body gets (`Self`), what it is spawned with, and what
 * `receive` takes and gives. The implementation is `Process`, in process.ts.
 */
import type { ExitReason } from "./exit.js";
import { checkFunction, option, schema } from "./options.js";
import type { Pid, Ref } from "./pid.js";
import type { Process } from "./process.js";

/** What `receive` resolves to when its timeout passes first. */
export const TIMEOUT: unique symbol = Symbol("beamish.timeout");
/** The type of {@link TIMEOUT}. */
export type Timeout = typeof TIMEOUT;

/** A predicate choosing which message `receive` takes: a type guard narrows the result. */
export type Matcher<T> = ((message: unknown) => message is T) | ((message: unknown) => boolean);

/** The body of a process spawned with `spawn`: an (async) function of its own process handle. */
export type ProcessBody = (self: Self) => unknown;

/** @internal Receives the value a process body returned, before the process exits `"normal"`. */
export interface ReturnHook {
  onReturn(value: unknown): void;
}

/** @internal A process driven by a handler per message instead of a body (GenServer and kin). */
export interface Actor {
  /** Runs first, inside the process; messages wait until it settles. */
  init(self: Process): void | PromiseLike<void>;
  /** Runs once per message; while a returned thenable is pending, messages wait. */
  handle(message: unknown, self: Process): void | PromiseLike<void>;
}

/** Options of `spawn`. */
export interface SpawnOptions {
  /** Registers the process under this local name before it runs. */
  readonly name?: string | undefined;
  /** Starts the process trapping exits. */
  readonly trapExit?: boolean | undefined;
}

const spawnOptions = schema({
  name: option
    .custom("a non-empty string", (v): v is string => typeof v === "string" && v !== "")
    .optional()
    .doc("Registers the process under this local name before it runs."),
  trapExit: option.boolean(false).doc("Starts the process trapping exits."),
});

/**
 * @internal Checks the arguments of `spawn`, `spawnLink` and `spawnMonitor` at the boundary, so
 * that a bad body fails the caller instead of crashing the new process, and a bad name never
 * reaches the name table.
 */
export function checkSpawn(body: unknown, options: unknown, path: string): void {
  checkFunction(body, "body");
  if (options !== undefined) spawnOptions.parse(options, path);
}

/**
 * A process's handle on itself, given to its body: everything that needs to know which process
 * is asking (receive, links, monitors, trapping exits) lives here, so no hidden global decides it.
 *
 * @example
 * ```ts
 * const pid = spawn(async (self) => {
 *   self.trapExit(true);
 *   const child = self.spawnLink(async () => { throw new Error("boom"); });
 *   const msg = await self.receive({ match: isExitMessage, timeout: 1000 });
 * });
 * ```
 */
export interface Self {
  /** This process's pid. */
  readonly pid: Pid;
  /** The pid of the process that spawned this one with `spawnLink`, if any. */
  readonly parent: Pid | undefined;
  /**
   * Aborts when this process exits. Hand it to `fetch` or a client library so that killing the
   * process stops its I/O. CPU-bound code is not interrupted: one thread cannot be preempted.
   */
  readonly signal: AbortSignal;
  /**
   * Takes the oldest message that `match` accepts (any message without `match`), waiting for
   * one. With `timeout` (ms) it resolves to {@link TIMEOUT} when none came in time. Messages that
   * do not match stay in the mailbox, in order.
   */
  receive<T>(options: {
    match: (message: unknown) => message is T;
    timeout: number;
  }): Promise<T | Timeout>;
  receive<T>(options: {
    match: (message: unknown) => message is T;
    timeout?: undefined;
  }): Promise<T>;
  receive(options: { match?: (message: unknown) => boolean; timeout: number }): Promise<unknown>;
  receive(options?: {
    match?: (message: unknown) => boolean;
    timeout?: undefined;
  }): Promise<unknown>;
  /** Resolves after `ms` milliseconds of the runtime's clock; rejects if this process exits. */
  sleep(ms: number): Promise<void>;
  /** Turns exit signals into {@link ExitMessage}s (true) or not; returns the previous setting. */
  trapExit(flag: boolean): boolean;
  /** Links this process and `pid` both ways; linking a dead pid sends this one `noproc`. */
  link(pid: Pid): void;
  /** Removes a link both ways. */
  unlink(pid: Pid): void;
  /** Monitors `pid`: one {@link DownMessage} arrives when it exits, or at once if it is dead. */
  monitor(pid: Pid): Ref;
  /** Stops a monitor; with `flush`, also drops its DOWN message if it already arrived. */
  demonitor(ref: Ref, options?: { flush?: boolean }): boolean;
  /** Spawns a process linked to this one, atomically. */
  spawnLink(body: ProcessBody, options?: SpawnOptions): Pid;
  /** Spawns a process monitored by this one. */
  spawnMonitor(body: ProcessBody, options?: SpawnOptions): [Pid, Ref];
  /** Exits this process now with `reason`; its pending waits reject. */
  exit(reason: ExitReason): void;
  /** Sends an exit signal from this process to `pid` (see the free function `exit`). */
  sendExit(pid: Pid, reason: ExitReason): void;
}
