import type { TimerHandle } from "./clock.js";
import { invalidArgument } from "./errors.js";
import { type ExitReason, NoProcError } from "./exit.js";
import { Pid, type Ref } from "./pid.js";
import { checkSpawn, type Process, type ProcessBody, type SpawnOptions } from "./process.js";
import { currentRuntime, type Logger } from "./runtime.js";

/**
 * A name resolved by something other than the local name table: a Registry, for instance. The
 * kernel only knows this interface; the upper layer implements it, as OTP's `{:via, Mod, name}`.
 *
 * @example
 * ```ts
 * const name: Via<string> = { via: registry, key: "user:42" };
 * send(name, "hello");
 * ```
 */
export interface Naming<K = unknown> {
  registerName(key: K, pid: Pid): void;
  unregisterName(key: K): void;
  whereisName(key: K): Pid | undefined;
}

/** A name looked up through a {@link Naming}. */
export interface Via<K = unknown> {
  readonly via: Naming<K>;
  readonly key: K;
}

/** A local name or a via-name. */
export type Name = string | Via;

/** Where a message can go: a pid or a name. */
export type Dest = Pid | Name;

/**
 * Starts a process running `body`. The process starts on the scheduler's next turn; its pid is
 * returned at once. When the body returns, the process exits `"normal"`; when it throws or its
 * promise rejects, the crash is reported and the process exits with the error.
 *
 * @example
 * ```ts
 * const echo = spawn(async (self) => {
 *   for (;;) {
 *     const { from, text } = (await self.receive()) as { from: Pid; text: string };
 *     send(from, text);
 *   }
 * });
 * ```
 */
export function spawn(body: ProcessBody, options?: SpawnOptions): Pid {
  checkSpawn(body, options, "spawn");
  return currentRuntime().spawnProcess(body, null, options).pid;
}

/**
 * Sends `message` to a pid or name. To a dead pid the message is dropped, as in Erlang; to a
 * name nobody holds it throws {@link NoProcError}. Messages from one sender to one receiver
 * arrive in the order sent.
 *
 * @example
 * ```ts
 * send(pid, { type: "ping" });
 * send("logger", "hello");
 * ```
 */
export function send(dest: Dest, message: unknown): void {
  if (dest instanceof Pid) {
    const process = dest.process ?? currentRuntime().lookup(dest);
    if (process !== undefined) process.deliver(message);
    return;
  }
  const process = resolveName(dest);
  if (process === undefined) throw new NoProcError(dest);
  process.deliver(message);
}

/**
 * The live local process behind a pid or name, or `undefined`.
 * @internal
 */
export function resolve(dest: Dest): Process | undefined {
  if (dest instanceof Pid) return currentRuntime().lookup(dest);
  return resolveName(dest);
}

function resolveName(name: Name): Process | undefined {
  const runtime = currentRuntime();
  if (typeof name === "string") return runtime.whereis(name);
  if (typeof name !== "object" || name === null || typeof name.via?.whereisName !== "function") {
    invalidArgument("dest", "a pid, a registered name or a via-name { via, key }", name);
  }
  const pid = name.via.whereisName(name.key);
  return pid === undefined ? undefined : runtime.lookup(pid);
}

/**
 * Sends an exit signal to `pid`, as Erlang's `exit/2`: `"kill"` always kills (reason
 * `"killed"`); a process trapping exits gets an {@link ExitMessage} for any other reason; one that
 * does not trap dies with the reason, except `"normal"`, which it ignores.
 *
 * @example
 * ```ts
 * exit(pid, "shutdown");
 * exit(pid, "kill");
 * ```
 */
export function exit(pid: Pid, reason: ExitReason): void {
  if (!(pid instanceof Pid)) invalidArgument("pid", "a pid", pid);
  const runtime = currentRuntime();
  runtime.lookup(pid)?.exitSignal(runtime.rootPid, reason, false);
}

/**
 * Registers a local name for a live process; the name is freed when the process exits.
 *
 * @example
 * ```ts
 * register("cache", pid);
 * whereis("cache"); // pid
 * ```
 */
export function register(name: string, pid: Pid): void {
  if (typeof name !== "string" || name.length === 0)
    invalidArgument("name", "a non-empty string", name);
  const runtime = currentRuntime();
  const process = runtime.lookup(pid);
  if (process === undefined) throw new NoProcError(pid);
  runtime.register(name, process);
}

/** Frees a local name; returns whether it was registered. @example `unregister("cache")` */
export function unregister(name: string): boolean {
  return currentRuntime().unregister(name);
}

/** The pid registered under a local name, or `undefined`. @example `whereis("cache")` */
export function whereis(name: string): Pid | undefined {
  return currentRuntime().whereis(name)?.pid;
}

/** True while the process lives. @example `isAlive(pid)` */
export function isAlive(pid: Pid): boolean {
  return currentRuntime().lookup(pid) !== undefined;
}

/** What `processInfo` tells about a live process. */
export interface ProcessInfo {
  readonly pid: Pid;
  readonly name: string | undefined;
  /** `runnable`: in the run queue; `running`: its code is between awaits; `waiting`: idle. */
  readonly status: "runnable" | "running" | "waiting";
  readonly mailboxLength: number;
  readonly messagesHandled: number;
  readonly links: Pid[];
  readonly monitors: Ref[];
  readonly monitoredBy: Pid[];
  readonly trapExit: boolean;
  readonly parent: Pid | undefined;
}

/**
 * A snapshot of a live process, or `undefined` when it is dead.
 *
 * @example
 * ```ts
 * processInfo(pid)?.mailboxLength;
 * ```
 */
export function processInfo(pid: Pid): ProcessInfo | undefined {
  const process = currentRuntime().lookup(pid);
  if (process === undefined || !process.alive) return undefined;
  return {
    pid: process.pid,
    name: process.name ?? undefined,
    status: process.status as ProcessInfo["status"],
    mailboxLength: process.mailboxLength,
    messagesHandled: process.handled,
    links: process.linkedPids(),
    monitors: process.monitorRefs(),
    monitoredBy: process.monitoredBy(),
    trapExit: process.trapExits,
    parent: process.parent,
  };
}

/** A timer started by {@link sendAfter}. */
export class TimerRef {
  /** @internal */
  handle: TimerHandle = undefined;
  /** @internal */
  fired = false;
  constructor(
    /** When it fires, in the runtime clock's milliseconds. */
    readonly deadline: number,
  ) {}
}

/**
 * Sends `message` to `dest` after `ms` milliseconds of the runtime's clock. A name is resolved
 * when the timer fires; a message for a dead pid is dropped.
 *
 * @example
 * ```ts
 * const timer = sendAfter(self.pid, "tick", 1000);
 * cancelTimer(timer); // remaining ms, or false if it already fired
 * ```
 */
export function sendAfter(dest: Dest, message: unknown, ms: number): TimerRef {
  if (!(Number.isFinite(ms) && ms >= 0)) invalidArgument("ms", "a non-negative number (ms)", ms);
  const clock = currentRuntime().clock;
  const timer = new TimerRef(clock.now() + ms);
  timer.handle = clock.setTimer(ms, () => {
    timer.fired = true;
    try {
      send(dest, message);
    } catch {
      // Erlang drops a timer message for a name nobody holds any more.
    }
  });
  return timer;
}

/**
 * Cancels a {@link sendAfter} timer: returns the milliseconds that were left, or `false` when it
 * had already fired or been cancelled.
 *
 * @example
 * ```ts
 * const left = cancelTimer(timer);
 * ```
 */
export function cancelTimer(timer: TimerRef): number | false {
  if (!(timer instanceof TimerRef)) invalidArgument("timer", "a TimerRef from sendAfter", timer);
  if (timer.fired) return false;
  const clock = currentRuntime().clock;
  clock.clearTimer(timer.handle);
  timer.fired = true;
  return Math.max(0, timer.deadline - clock.now());
}

/**
 * A new unique reference.
 *
 * @example
 * ```ts
 * const ref = makeRef();
 * send(server, { ref, from: self.pid });
 * ```
 */
export function makeRef(): Ref {
  return currentRuntime().makeRef();
}

/**
 * Sets where the current runtime reports crashes; returns the logger it replaces. The default
 * writes one line and the stack to stderr.
 *
 * @example
 * ```ts
 * setLogger({ crash: ({ pid, error }) => log.error({ pid: String(pid), error }, "process crashed") });
 * ```
 */
export function setLogger(logger: Logger): Logger {
  if (typeof logger !== "object" || logger === null || typeof logger.crash !== "function") {
    invalidArgument("logger", "an object with a crash(report) method", logger);
  }
  const runtime = currentRuntime();
  const previous = runtime.logger;
  runtime.logger = logger;
  return previous;
}
