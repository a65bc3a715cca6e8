import { type Clock, systemClock } from "./clock.js";
import { describeReason, type ExitReason, NameTakenError } from "./exit.js";
import { Pid, Ref } from "./pid.js";
import { type Actor, Process, type ProcessBody, type SpawnOptions } from "./process.js";
import type { Transport } from "./remote.js";
import { Scheduler } from "./scheduler.js";
import { publishCrash, publishSpawn } from "./telemetry.js";

/** A crash as the logger hook receives it. */
export interface CrashReport {
  readonly pid: Pid;
  readonly name: string | null;
  readonly error: unknown;
}

/**
 * Where the runtime reports crashes (a throw or a rejected promise inside a process). A crash is
 * never an unhandled rejection of Node: it is reported here, then the process exits with it.
 *
 * @example
 * ```ts
 * setLogger({ crash: (r) => myLogger.error({ pid: String(r.pid), err: r.error }) });
 * ```
 */
export interface Logger {
  crash(report: CrashReport): void;
  /**
   * An error a process reports and survives (an acknowledger that failed, a producer that
   * overflowed). Without it, such reports go to `crash`.
   */
  error?(report: CrashReport): void;
}

/** The default logger: one line and the stack on stderr. */
export const consoleLogger: Logger = {
  crash({ pid, name, error }) {
    const who = name === null ? String(pid) : `${pid} (${name})`;
    const detail =
      error instanceof Error ? (error.stack ?? describeReason(error)) : describeReason(error);
    console.error(`[beamish] process ${who} crashed: ${detail}`);
  },
  error({ pid, name, error }) {
    const who = name === null ? String(pid) : `${pid} (${name})`;
    console.error(`[beamish] process ${who} reported: ${describeReason(error)}`);
  },
};

/** Options of a {@link Runtime}. */
export interface RuntimeOptions {
  /** Node number printed in pids; 0 is the main thread. */
  readonly node?: number;
  readonly clock?: Clock;
  readonly logger?: Logger;
}

/**
 * One node: a process table, local names, a scheduler and a clock. Each thread has one current
 * runtime; `beamish/testing` runs each test in a fresh one.
 *
 * @example
 * ```ts
 * const runtime = currentRuntime();
 * runtime.processCount; // live processes
 * ```
 */
export class Runtime {
  readonly node: number;
  readonly scheduler = new Scheduler();
  clock: Clock;
  logger: Logger;
  /** The pid standing for code that runs outside any process. */
  readonly rootPid: Pid;
  // Live processes form an intrusive list: a Map keyed by pid costs a hash-table insert and
  // delete per process, which dominated spawning short-lived tasks. A local pid reaches its
  // process directly through `pid.process`.
  private liveHead: Process | null = null;
  private liveCount = 0;
  private readonly names = new Map<string, Process>();
  private nextId = 1;
  private nextRef = 1;
  private readonly exitQueue: Array<{ target: Process; from: Pid; reason: ExitReason }> = [];
  private propagating = false;
  /**
   * Where pids of other nodes lead (`beamish/threads` installs one); with none, a pid of another
   * node is a dead pid.
   */
  transport: Transport | null = null;

  constructor(options: RuntimeOptions = {}) {
    this.node = options.node ?? 0;
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? consoleLogger;
    this.rootPid = new Pid(this.node, 0);
  }

  /** @internal */
  spawnProcess(body: ProcessBody | null, actor: Actor | null, options?: SpawnOptions): Process {
    const process = new Process(this, this.nextId++, body, actor);
    if (options !== undefined) {
      if (options.name !== undefined) this.register(options.name, process);
      if (options.trapExit) process.trapExits = true;
    }
    process.nextLive = this.liveHead;
    if (this.liveHead !== null) this.liveHead.prevLive = process;
    this.liveHead = process;
    this.liveCount++;
    publishSpawn(process.pid);
    this.scheduler.enqueue(process);
    return process;
  }

  /** @internal The live local process behind `pid`. */
  lookup(pid: Pid): Process | undefined {
    const process = pid.process;
    if (process !== undefined) return process.runtime === this ? process : undefined;
    // Only a dead or never-seen pid gets here: a live local one has `pid.process`.
    return pid.node !== this.node && this.transport !== null
      ? this.transport.remote(pid)
      : undefined;
  }

  /** @internal */
  register(name: string, process: Process): void {
    const holder = this.names.get(name);
    if (holder !== undefined) throw new NameTakenError(name, holder.pid);
    if (process.name !== null) {
      throw new NameTakenError(process.name, process.pid);
    }
    this.names.set(name, process);
    process.name = name;
  }

  /** @internal */
  unregister(name: string): boolean {
    const process = this.names.get(name);
    if (process === undefined) return false;
    this.names.delete(name);
    process.name = null;
    return true;
  }

  /** @internal */
  whereis(name: string): Process | undefined {
    return this.names.get(name);
  }

  /** Names registered now. */
  registered(): string[] {
    return [...this.names.keys()];
  }

  /** Live processes now. */
  pids(): Pid[] {
    return this.live().map((p) => p.pid);
  }

  /** How many processes are alive. */
  get processCount(): number {
    return this.liveCount;
  }

  private live(): Process[] {
    const out: Process[] = [];
    for (let p = this.liveHead; p !== null; p = p.nextLive) out.push(p);
    return out;
  }

  /** @internal */
  makeRef(): Ref {
    return new Ref(this.node, this.nextRef++);
  }

  /** @internal Called once by an exiting process. */
  forget(process: Process): void {
    // A remote process's stand-in was never in the live list.
    if (process.pid.node !== this.node) {
      process.pid.process = undefined;
      return;
    }
    if (process.prevLive !== null) process.prevLive.nextLive = process.nextLive;
    else if (this.liveHead === process) this.liveHead = process.nextLive;
    if (process.nextLive !== null) process.nextLive.prevLive = process.prevLive;
    process.prevLive = null;
    process.nextLive = null;
    this.liveCount--;
    process.pid.process = undefined;
    if (process.name !== null) {
      this.names.delete(process.name);
      process.name = null;
    }
  }

  /**
   * @internal Exit signals along links are delivered from a queue, not by recursion, so a long
   * chain of linked processes cannot overflow the stack.
   */
  queueExitSignal(target: Process, from: Pid, reason: ExitReason): void {
    this.exitQueue.push({ target, from, reason });
    if (this.propagating) return;
    this.propagating = true;
    try {
      for (let i = 0; i < this.exitQueue.length; i++) {
        const signal = this.exitQueue[i] as { target: Process; from: Pid; reason: ExitReason };
        signal.target.exitSignal(signal.from, signal.reason, true);
      }
    } finally {
      this.exitQueue.length = 0;
      this.propagating = false;
    }
  }

  /** @internal */
  reportCrash(process: Process, error: unknown): void {
    publishCrash(process.pid, process.name, error);
    try {
      this.logger.crash({ pid: process.pid, name: process.name, error });
    } catch {
      // A failing logger must not turn one crash into two.
    }
  }

  /** @internal An error `process` reports and survives; see {@link Logger.error}. */
  reportError(process: Process, error: unknown): void {
    try {
      const report = { pid: process.pid, name: process.name, error };
      if (this.logger.error !== undefined) this.logger.error(report);
      else this.logger.crash(report);
    } catch {
      // A failing logger must not turn one report into a crash.
    }
  }

  /** Kills every process (reason `"kill"`); used to tear a runtime down. */
  killAll(): void {
    for (const process of this.live()) process.exitSignal(this.rootPid, "kill", false);
  }
}

let current = new Runtime();

/**
 * The runtime that free functions (`spawn`, `send`, ...) act on.
 *
 * @example
 * ```ts
 * currentRuntime().processCount;
 * ```
 */
export function currentRuntime(): Runtime {
  return current;
}

/**
 * Makes `runtime` current and returns the one it replaces; `beamish/testing` uses it to give each
 * test a fresh runtime.
 *
 * @example
 * ```ts
 * const previous = setCurrentRuntime(new Runtime());
 * try { ... } finally { setCurrentRuntime(previous); }
 * ```
 */
export function setCurrentRuntime(runtime: Runtime): Runtime {
  const previous = current;
  current = runtime;
  return previous;
}
