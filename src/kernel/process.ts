import type { TimerHandle } from "./clock.js";
import { invalidArgument } from "./errors.js";
import { DownMessage, ExitMessage, type ExitReason, ProcessExitedError } from "./exit.js";
import { attachHook, detachHook, ExitHook, fireHooks } from "./hooks.js";
import { LinkSet } from "./links.js";
import { checkFunction, checkTimeout } from "./options.js";
import { Pid, type Ref } from "./pid.js";
import { Queue } from "./queue.js";
import type { Runtime } from "./runtime.js";
import {
  type Actor,
  checkSpawn,
  type ProcessBody,
  type ReturnHook,
  type Self,
  type SpawnOptions,
  TIMEOUT,
} from "./self.js";
import { publishExit } from "./telemetry.js";

export {
  type Actor,
  checkSpawn,
  type Matcher,
  type ProcessBody,
  type ReturnHook,
  type Self,
  type SpawnOptions,
  TIMEOUT,
  type Timeout,
} from "./self.js";

const NEW = 0;
const ALIVE = 1;
const EXITED = 2;

/** @internal The one implementation of a process, for bodies and actors alike. */
export class Process implements Self {
  readonly pid: Pid;
  parent: Pid | undefined;
  queued = false;
  hooks: ExitHook | null = null;
  prevLive: Process | null = null;
  nextLive: Process | null = null;
  name: string | null = null;
  trapExits = false;
  handled = 0;
  exitReason: ExitReason = undefined;
  private state = NEW;
  private body: ProcessBody | null;
  private readonly actor: Actor | null;
  private mailbox: Queue<unknown> | null = null;
  // A link made by spawnLink (a task to its caller, a worker to its supervisor) puts the child
  // in its parent's intrusive list of children: making and dropping it costs no allocation and no
  // hashing, however many children the parent has. Other links: one takes a field, several a
  // LinkSet.
  private linkParent: Process | null = null;
  private siblingPrev: Process | null = null;
  private siblingNext: Process | null = null;
  private firstChild: Process | null = null;
  private linkOne: Process | null = null;
  private linkMany: LinkSet<Process> | null = null;
  private monitoring: Map<number, Monitor> | null = null;
  private controller: AbortController | null = null;
  private busy = false;
  private resumeActor: (() => void) | null = null;
  private failActor: ((error: unknown) => void) | null = null;
  private waitResolve: ((message: unknown) => void) | null = null;
  private waitReject: ((error: unknown) => void) | null = null;
  private waitMatch: ((message: unknown) => boolean) | null = null;
  private waitScan = 0;
  private waitTimer: TimerHandle = undefined;

  constructor(
    readonly runtime: Runtime,
    id: number,
    body: ProcessBody | null,
    actor: Actor | null,
    /** Another node's number makes this the local stand-in of a remote process (remote.ts). */
    node: number = runtime.node,
  ) {
    this.pid = new Pid(node, id, this);
    this.body = body;
    this.actor = actor;
  }

  get alive(): boolean {
    return this.state !== EXITED;
  }

  get signal(): AbortSignal {
    if (this.controller === null) {
      this.controller = new AbortController();
      if (this.state === EXITED) this.controller.abort(this.exitedError());
    }
    return this.controller.signal;
  }

  /** Status as `processInfo` reports it. */
  get status(): "runnable" | "running" | "waiting" | "exited" {
    if (this.state === EXITED) return "exited";
    if (this.queued) return "runnable";
    if (this.actor !== null ? !this.busy : this.waitResolve !== null) return "waiting";
    return "running";
  }

  get mailboxLength(): number {
    return this.mailbox === null ? 0 : this.mailbox.length;
  }

  /**
   * @internal The newest message waiting in the mailbox, if any: a sender that finds its own
   * last message there may add to it, as nothing was delivered after it.
   */
  lastMessage(): unknown {
    return this.mailbox === null ? undefined : this.mailbox.last();
  }

  mailboxSnapshot(): unknown[] {
    return this.mailbox === null ? [] : this.mailbox.toArray();
  }

  linkedPids(): Pid[] {
    return this.linked().map((p) => p.pid);
  }

  monitorRefs(): Ref[] {
    return this.monitoring === null ? [] : [...this.monitoring.values()].map((m) => m.ref);
  }

  monitoredBy(): Pid[] {
    const out: Pid[] = [];
    for (let h = this.hooks; h !== null; h = h.hookNext) {
      if (h instanceof Monitor) out.push(h.watcher.pid);
    }
    return out;
  }

  // ---- scheduling -------------------------------------------------------------------------

  run(budget: number): number {
    if (this.state === NEW) {
      this.start();
      return 1;
    }
    if (this.state === EXITED) return 0;
    if (this.actor !== null) return this.runActor(budget);
    this.wake();
    return 1;
  }

  /** Puts a message in the mailbox and schedules the process if it can take it now. */
  deliver(message: unknown): void {
    if (this.state === EXITED) return;
    if (this.mailbox === null) this.mailbox = new Queue(8);
    this.mailbox.push(message);
    if (!this.queued && this.state === ALIVE) {
      if (this.actor !== null ? !this.busy : this.waitResolve !== null) {
        this.runtime.scheduler.enqueue(this);
      }
    }
  }

  /** @internal Told the body's value when it returns (or its promise resolves): a task's result. */
  returns: ReturnHook | null = null;

  private start(): void {
    this.state = ALIVE;
    let result: unknown;
    try {
      if (this.actor !== null) {
        result = this.actor.init(this);
      } else {
        const body = this.body as ProcessBody;
        this.body = null;
        result = body(this);
      }
    } catch (error) {
      this.crash(error);
      return;
    }
    if (this.actor !== null) {
      this.afterHandler(result);
    } else if (isThenable(result)) {
      result.then(
        (value) => this.returned(value),
        (error: unknown) => this.crash(error),
      );
    } else {
      this.returned(result);
    }
  }

  private returned(value: unknown): void {
    if (this.state === EXITED) return;
    const hook = this.returns;
    if (hook !== null) {
      this.returns = null;
      try {
        hook.onReturn(value);
      } catch (error) {
        this.crash(error);
        return;
      }
    }
    this.exit("normal");
  }

  private runActor(budget: number): number {
    const actor = this.actor as Actor;
    let n = 0;
    while (n < budget && !this.busy && this.state === ALIVE) {
      const mailbox = this.mailbox;
      if (mailbox === null || mailbox.length === 0) return n;
      const message = mailbox.shift();
      n++;
      this.handled++;
      let result: void | PromiseLike<void>;
      try {
        result = actor.handle(message, this);
      } catch (error) {
        this.crash(error);
        return n;
      }
      if (result !== undefined && isThenable(result)) {
        this.suspendUntil(result);
        return n;
      }
    }
    this.requeueIfReady();
    return n;
  }

  private afterHandler(result: unknown): void {
    if (result !== undefined && isThenable(result)) this.suspendUntil(result);
    else this.requeueIfReady();
  }

  private suspendUntil(pending: PromiseLike<unknown>): void {
    this.busy = true;
    if (this.resumeActor === null) {
      this.resumeActor = () => {
        this.busy = false;
        this.requeueIfReady();
      };
      this.failActor = (error) => {
        this.busy = false;
        this.crash(error);
      };
    }
    pending.then(this.resumeActor, this.failActor);
  }

  private requeueIfReady(): void {
    if (
      this.state === ALIVE &&
      !this.queued &&
      !this.busy &&
      this.mailbox !== null &&
      this.mailbox.length > 0
    ) {
      this.runtime.scheduler.enqueue(this);
    }
  }

  // ---- receive ----------------------------------------------------------------------------

  receive(options?: {
    match?: ((message: unknown) => boolean) | undefined;
    timeout?: number | undefined;
  }): Promise<never> {
    if (this.state === EXITED) return Promise.reject(this.exitedError());
    if (this.actor !== null) {
      throw new TypeError("receive() is for processes spawned with a body, not for servers");
    }
    if (this.waitResolve !== null) {
      throw new TypeError(`process ${this.pid} is already waiting in receive()`);
    }
    const match = options?.match ?? null;
    const timeout = options?.timeout;
    if (match !== null) checkFunction(match, "receive.match");
    if (timeout !== undefined) checkTimeout(timeout, "receive.timeout");
    const mailbox = this.mailbox;
    if (mailbox !== null && mailbox.length > 0) {
      let index: number;
      try {
        index = findMatch(mailbox, match, 0);
      } catch (error) {
        return Promise.reject(error);
      }
      if (index >= 0) {
        if (!this.runtime.scheduler.shouldYield()) {
          this.handled++;
          return Promise.resolve(mailbox.removeAt(index)) as Promise<never>;
        }
        // A process taking message after message from its mailbox never leaves the microtask
        // queue: once its slice is spent, it takes the next one on its turn of the run queue.
        return new Promise<unknown>((resolve, reject) => {
          this.waitResolve = resolve;
          this.waitReject = reject;
          this.waitMatch = match;
          this.waitScan = index;
          this.runtime.scheduler.enqueue(this);
        }) as Promise<never>;
      }
    }
    if (timeout === 0) return Promise.resolve(TIMEOUT) as Promise<never>;
    return new Promise<unknown>((resolve, reject) => {
      this.waitResolve = resolve;
      this.waitReject = reject;
      this.waitMatch = match;
      this.waitScan = mailbox === null ? 0 : mailbox.length;
      if (timeout !== undefined && timeout !== Infinity) {
        this.waitTimer = this.runtime.clock.setTimer(timeout, () => this.receiveTimedOut());
      }
    }) as Promise<never>;
  }

  /** A message arrived while waiting: take it if it matches. */
  private wake(): void {
    if (this.waitResolve === null || this.mailbox === null) return;
    let index: number;
    try {
      index = findMatch(this.mailbox, this.waitMatch, this.waitScan);
    } catch (error) {
      this.settleWait().reject(error);
      return;
    }
    if (index < 0) {
      this.waitScan = this.mailbox.length;
      return;
    }
    const message = this.mailbox.removeAt(index);
    this.handled++;
    this.settleWait().resolve(message);
  }

  private receiveTimedOut(): void {
    this.waitTimer = undefined;
    if (this.waitResolve === null) return;
    // A matching message that arrived but has not had its turn yet still wins over the timeout.
    this.wake();
    if (this.waitResolve !== null) this.settleWait().resolve(TIMEOUT);
  }

  private settleWait(): { resolve: (value: unknown) => void; reject: (error: unknown) => void } {
    const resolve = this.waitResolve as (value: unknown) => void;
    const reject = this.waitReject as (error: unknown) => void;
    this.waitResolve = null;
    this.waitReject = null;
    this.waitMatch = null;
    if (this.waitTimer !== undefined) {
      this.runtime.clock.clearTimer(this.waitTimer);
      this.waitTimer = undefined;
    }
    return { resolve, reject };
  }

  sleep(ms: number): Promise<void> {
    if (!(ms >= 0 && Number.isFinite(ms)))
      invalidArgument("sleep.ms", "a non-negative number (ms)", ms);
    if (this.state === EXITED) return Promise.reject(this.exitedError());
    return new Promise((resolve, reject) => {
      const hook = new SleepHook(reject);
      attachHook(this, hook);
      hook.timer = this.runtime.clock.setTimer(ms, () => {
        detachHook(hook);
        resolve();
      });
      hook.clock = this.runtime.clock;
    });
  }

  // ---- links, monitors, exits -------------------------------------------------------------

  trapExit(flag: boolean): boolean {
    const previous = this.trapExits;
    this.trapExits = flag;
    return previous;
  }

  link(pid: Pid): void {
    if (this.state === EXITED) return;
    const other = this.runtime.lookup(pid);
    if (other === undefined) {
      this.exitSignal(pid, "noproc", true);
      return;
    }
    if (other === this) return;
    this.addLink(other);
    other.addLink(this);
  }

  unlink(pid: Pid): void {
    const other = this.runtime.lookup(pid);
    if (other === undefined) return;
    this.removeLink(other);
    other.removeLink(this);
  }

  monitor(pid: Pid): Ref {
    const ref = this.runtime.makeRef();
    const target = this.runtime.lookup(pid);
    if (target === undefined || !target.alive) {
      this.deliver(new DownMessage(ref, pid, "noproc"));
      return ref;
    }
    const monitor = new Monitor(ref, this);
    if (this.monitoring === null) this.monitoring = new Map();
    this.monitoring.set(ref.id, monitor);
    attachHook(target, monitor);
    return ref;
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    const monitor = this.monitoring?.get(ref.id);
    let removed = false;
    if (monitor !== undefined) {
      this.monitoring?.delete(ref.id);
      detachHook(monitor);
      removed = true;
    }
    if (options?.flush && this.mailbox !== null) {
      const index = findMatch(
        this.mailbox,
        (m) => m instanceof DownMessage && m.ref.equals(ref),
        0,
      );
      if (index >= 0) this.mailbox.removeAt(index);
    }
    return removed;
  }

  /** @internal Forgets a monitor that has fired. */
  monitorFired(ref: Ref): void {
    this.monitoring?.delete(ref.id);
  }

  spawnLink(body: ProcessBody, options?: SpawnOptions): Pid {
    checkSpawn(body, options, "spawnLink");
    if (this.state === EXITED) throw this.exitedError();
    const child = this.runtime.spawnProcess(body, null, options);
    child.parent = this.pid;
    child.linkParent = this;
    child.siblingNext = this.firstChild;
    if (this.firstChild !== null) this.firstChild.siblingPrev = child;
    this.firstChild = child;
    return child.pid;
  }

  spawnMonitor(body: ProcessBody, options?: SpawnOptions): [Pid, Ref] {
    checkSpawn(body, options, "spawnMonitor");
    if (this.state === EXITED) throw this.exitedError();
    const child = this.runtime.spawnProcess(body, null, options);
    return [child.pid, this.monitor(child.pid)];
  }

  sendExit(pid: Pid, reason: ExitReason): void {
    this.runtime.lookup(pid)?.exitSignal(this.pid, reason, false);
  }

  /**
   * An exit signal arrives from `from`. `viaLink` tells a linked process's death from an
   * explicit `exit(pid, reason)`: only the explicit `"kill"` is untrappable.
   */
  exitSignal(from: Pid, reason: ExitReason, viaLink: boolean): void {
    if (this.state === EXITED) return;
    if (reason === "kill" && !viaLink) {
      this.exit("killed");
    } else if (this.trapExits) {
      this.deliver(new ExitMessage(from, reason));
    } else if (reason === "normal") {
      if (!viaLink && from.equals(this.pid)) this.exit("normal");
    } else {
      this.exit(reason);
    }
  }

  /** A throw or rejection inside the process: report it, then exit with the error. */
  crash(error: unknown): void {
    if (this.state === EXITED) return;
    this.runtime.reportCrash(this, error);
    this.exit(error);
  }

  exit(reason: ExitReason): void {
    if (this.state === EXITED) return;
    this.state = EXITED;
    this.exitReason = reason;
    this.body = null;
    this.mailbox = null;
    this.runtime.forget(this);
    if (this.waitResolve !== null) this.settleWait().reject(this.exitedError());
    if (this.controller !== null) this.controller.abort(this.exitedError());
    if (this.monitoring !== null) {
      for (const monitor of this.monitoring.values()) detachHook(monitor);
      this.monitoring = null;
    }
    const parent = this.linkParent;
    if (parent !== null) {
      parent.dropChild(this);
      this.signalLink(parent, reason);
    }
    if (this.firstChild !== null) this.signalChildren(reason);
    const one = this.linkOne;
    const many = this.linkMany;
    this.linkOne = null;
    this.linkMany = null;
    if (one !== null) this.signalLinked(one, reason);
    else if (many !== null) for (const other of many) this.signalLinked(other, reason);
    fireHooks(this, this.pid, reason);
    publishExit(this.pid, reason);
  }

  private exitedError(): ProcessExitedError {
    return exitedError(this.pid, this.exitReason);
  }

  /** Tells a process linked to this exiting one, and drops the link on its side. */
  private signalLinked(other: Process, reason: ExitReason): void {
    other.removeLink(this);
    this.signalLink(other, reason);
  }

  private signalLink(other: Process, reason: ExitReason): void {
    // A `normal` exit changes nothing for a linked process that does not trap exits (the common
    // end of a linked task): no signal to queue.
    if (reason !== "normal" || other.trapExits)
      this.runtime.queueExitSignal(other, this.pid, reason);
  }

  /**
   * Signals every child of this exiting process. Every child is cut loose before the first signal
   * is sent: a signal may make a child exit at once, and an exiting child must find no parent
   * whose list it would edit while this one is walked.
   */
  private signalChildren(reason: ExitReason): void {
    const first = this.firstChild;
    this.firstChild = null;
    for (let c = first; c !== null; c = c.siblingNext) c.linkParent = null;
    let child = first;
    while (child !== null) {
      const next = child.siblingNext;
      child.siblingPrev = null;
      child.siblingNext = null;
      this.signalLink(child, reason);
      child = next;
    }
  }

  /** Takes `child` out of this process's list of children. */
  private dropChild(child: Process): void {
    if (child.siblingPrev !== null) child.siblingPrev.siblingNext = child.siblingNext;
    else this.firstChild = child.siblingNext;
    if (child.siblingNext !== null) child.siblingNext.siblingPrev = child.siblingPrev;
    child.siblingPrev = null;
    child.siblingNext = null;
    child.linkParent = null;
  }

  // Protected: the stand-in of a remote process (remote.ts) tells its node about links.
  protected addLink(other: Process): void {
    // Already linked by spawnLink, in either direction.
    if (other.linkParent === this || this.linkParent === other) return;
    if (this.linkMany !== null) this.linkMany.add(other);
    else if (this.linkOne === null) this.linkOne = other;
    else if (this.linkOne !== other) {
      this.linkMany = new LinkSet(this.linkOne, other);
      this.linkOne = null;
    }
  }

  protected removeLink(other: Process): void {
    if (other.linkParent === this) this.dropChild(other);
    else if (this.linkParent === other) other.dropChild(this);
    else if (this.linkMany !== null) this.linkMany.delete(other);
    else if (this.linkOne === other) this.linkOne = null;
  }

  private linked(): Process[] {
    const out: Process[] = [];
    if (this.linkParent !== null) out.push(this.linkParent);
    for (let c = this.firstChild; c !== null; c = c.siblingNext) out.push(c);
    if (this.linkMany !== null) out.push(...this.linkMany);
    else if (this.linkOne !== null) out.push(this.linkOne);
    return out;
  }
}

/** @internal A monitor: delivers one DOWN message to its watcher. */
export class Monitor extends ExitHook {
  constructor(
    readonly ref: Ref,
    readonly watcher: Process,
  ) {
    super();
  }

  onExit(pid: Pid, reason: ExitReason): void {
    this.watcher.monitorFired(this.ref);
    this.watcher.deliver(new DownMessage(this.ref, pid, reason));
  }
}

class SleepHook extends ExitHook {
  timer: TimerHandle = undefined;
  clock: { clearTimer(handle: TimerHandle): void } | null = null;

  constructor(private readonly reject: (error: unknown) => void) {
    super();
  }

  onExit(pid: Pid, reason: ExitReason): void {
    this.clock?.clearTimer(this.timer);
    this.reject(exitedError(pid, reason));
  }
}

/**
 * The stack of this error would only show the exit machinery, and capturing it costs more than
 * the rest of a process's exit: killing 100k waiting processes must stay cheap.
 */
function exitedError(pid: Pid, reason: ExitReason): ProcessExitedError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new ProcessExitedError(pid, reason);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function findMatch(
  mailbox: Queue<unknown>,
  match: ((message: unknown) => boolean) | null,
  from: number,
): number {
  if (match === null) return from < mailbox.length ? from : -1;
  return mailbox.findIndex(match, from);
}

/** @internal */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    value !== null &&
    (typeof value === "object" || typeof value === "function") &&
    typeof (value as { then?: unknown }).then === "function"
  );
}
