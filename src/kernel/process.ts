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
  handled = 0;
  exitReason: ExitReason = undefined;
  private state = NEW;
  // The body until it runs; then null, unless the body returned its own pending receive (see
  // `start`), when it holds that promise until the receive settles.
  private body: ProcessBody | Promise<unknown> | null;
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
  private busy = false;
  private waitResolve: ((message: unknown) => void) | null = null;
  private waitReject: ((error: unknown) => void) | null = null;
  private waitScan = 0;
  // Every field costs each of possibly millions of idle processes 8 bytes, and on a cold heap a
  // byte of footprint costs time too: what few processes use lives in `rare`, made on first use.
  private rare: Rare | null = null;

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

  private more(): Rare {
    if (this.rare === null) this.rare = new Rare();
    return this.rare;
  }

  /** The name the process is registered under, if any. */
  get name(): string | null {
    return this.rare === null ? null : this.rare.name;
  }

  set name(name: string | null) {
    if (name !== null || this.rare !== null) this.more().name = name;
  }

  get trapExits(): boolean {
    return this.rare?.trapExits === true;
  }

  set trapExits(flag: boolean) {
    if (flag || this.rare !== null) this.more().trapExits = flag;
  }

  get alive(): boolean {
    return this.state !== EXITED;
  }

  get signal(): AbortSignal {
    const rare = this.more();
    if (rare.controller === null) {
      rare.controller = new AbortController();
      if (this.state === EXITED) rare.controller.abort(this.exitedError());
    }
    return rare.controller.signal;
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
    const monitoring = this.rare?.monitoring;
    return monitoring == null ? [] : [...monitoring.values()].map((m) => m.ref);
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
        starting = this;
        result = body(this);
      }
    } catch (error) {
      parked = null;
      this.crash(error);
      return;
    } finally {
      starting = null;
    }
    const receive = parked;
    parked = null;
    if (this.actor !== null) {
      this.afterHandler(result);
    } else if (result === receive && receive !== null && this.waitResolve !== null) {
      // The body returned its own pending receive (`spawn((self) => self.receive())`): its
      // value is the body's value, so settling the receive ends the process. That saves a
      // reaction, a derived promise and two closures per process: a third of an idle one's heap.
      this.body = receive;
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
    const rare = this.more();
    if (rare.resumeActor === null) {
      rare.resumeActor = () => {
        this.busy = false;
        this.requeueIfReady();
      };
      rare.failActor = (error) => {
        this.busy = false;
        this.crash(error);
      };
    }
    pending.then(rare.resumeActor, rare.failActor);
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
        const promise = this.park(match, index);
        this.runtime.scheduler.enqueue(this);
        return promise;
      }
    }
    if (timeout === 0) return Promise.resolve(TIMEOUT) as Promise<never>;
    const promise = this.park(match, mailbox === null ? 0 : mailbox.length);
    if (timeout !== undefined && timeout !== Infinity) {
      this.more().waitTimer = this.runtime.clock.setTimer(timeout, () => this.receiveTimedOut());
    }
    return promise;
  }

  /** Waits in receive for a message matching `match` at or after mailbox index `scan`. */
  private park(match: ((message: unknown) => boolean) | null, scan: number): Promise<never> {
    const promise = new Promise<never>(capture);
    this.waitResolve = capturedResolve;
    this.waitReject = capturedReject;
    capturedResolve = null;
    capturedReject = null;
    if (match !== null) this.more().waitMatch = match;
    this.waitScan = scan;
    if (starting === this) parked = promise;
    return promise;
  }

  /** A message arrived while waiting: take it if it matches. */
  private wake(): void {
    if (this.waitResolve === null || this.mailbox === null) return;
    let index: number;
    try {
      index = findMatch(
        this.mailbox,
        this.rare === null ? null : this.rare.waitMatch,
        this.waitScan,
      );
    } catch (error) {
      this.failWait(error);
      return;
    }
    if (index < 0) {
      this.waitScan = this.mailbox.length;
      return;
    }
    const message = this.mailbox.removeAt(index);
    this.handled++;
    this.settleWait(message);
  }

  private receiveTimedOut(): void {
    (this.rare as Rare).waitTimer = undefined;
    if (this.waitResolve === null) return;
    // A matching message that arrived but has not had its turn yet still wins over the timeout.
    this.wake();
    if (this.waitResolve !== null) this.settleWait(TIMEOUT);
  }

  private settleWait(value: unknown): void {
    const resolve = this.waitResolve as (value: unknown) => void;
    this.clearWait();
    resolve(value);
    if (this.body !== null) {
      // The body returned this receive: its value is the body's.
      this.body = null;
      this.returned(value);
    }
  }

  private failWait(error: unknown): void {
    const reject = this.waitReject as (error: unknown) => void;
    this.clearWait();
    const tail = this.body;
    this.body = null;
    // Nothing else may be awaiting the promise the body returned: this process handles it.
    if (tail !== null) (tail as Promise<unknown>).then(undefined, ignore);
    reject(error);
    if (tail !== null) this.crash(error);
  }

  private clearWait(): void {
    this.waitResolve = null;
    this.waitReject = null;
    const rare = this.rare;
    if (rare !== null) {
      rare.waitMatch = null;
      if (rare.waitTimer !== undefined) {
        this.runtime.clock.clearTimer(rare.waitTimer);
        rare.waitTimer = undefined;
      }
    }
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
    const rare = this.more();
    if (rare.monitoring === null) rare.monitoring = new Map();
    rare.monitoring.set(ref.id, monitor);
    attachHook(target, monitor);
    return ref;
  }

  demonitor(ref: Ref, options?: { flush?: boolean }): boolean {
    const monitor = this.rare?.monitoring?.get(ref.id);
    let removed = false;
    if (monitor !== undefined) {
      this.rare?.monitoring?.delete(ref.id);
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
    this.rare?.monitoring?.delete(ref.id);
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
    this.mailbox = null;
    this.runtime.forget(this);
    if (this.waitResolve !== null) this.failWait(this.exitedError());
    this.body = null;
    const rare = this.rare;
    let one: Process | null = null;
    let many: LinkSet<Process> | null = null;
    if (rare !== null) {
      if (rare.controller !== null) rare.controller.abort(this.exitedError());
      if (rare.monitoring !== null) {
        for (const monitor of rare.monitoring.values()) detachHook(monitor);
        rare.monitoring = null;
      }
      one = rare.linkOne;
      many = rare.linkMany;
      rare.linkOne = null;
      rare.linkMany = null;
    }
    const parent = this.linkParent;
    if (parent !== null) {
      parent.dropChild(this);
      this.signalLink(parent, reason);
    }
    if (this.firstChild !== null) this.signalChildren(reason);
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
    const rare = this.more();
    if (rare.linkMany !== null) rare.linkMany.add(other);
    else if (rare.linkOne === null) rare.linkOne = other;
    else if (rare.linkOne !== other) {
      rare.linkMany = new LinkSet(rare.linkOne, other);
      rare.linkOne = null;
    }
  }

  protected removeLink(other: Process): void {
    if (other.linkParent === this) this.dropChild(other);
    else if (this.linkParent === other) other.dropChild(this);
    else if (this.rare !== null) {
      if (this.rare.linkMany !== null) this.rare.linkMany.delete(other);
      else if (this.rare.linkOne === other) this.rare.linkOne = null;
    }
  }

  private linked(): Process[] {
    const out: Process[] = [];
    if (this.linkParent !== null) out.push(this.linkParent);
    for (let c = this.firstChild; c !== null; c = c.siblingNext) out.push(c);
    if (this.rare?.linkMany != null) out.push(...this.rare.linkMany);
    else if (this.rare?.linkOne != null) out.push(this.rare.linkOne);
    return out;
  }
}

/** Fields most processes never use; a process makes its own on first use. */
class Rare {
  name: string | null = null;
  trapExits = false;
  linkOne: Process | null = null;
  linkMany: LinkSet<Process> | null = null;
  monitoring: Map<number, Monitor> | null = null;
  controller: AbortController | null = null;
  resumeActor: (() => void) | null = null;
  failActor: ((error: unknown) => void) | null = null;
  waitMatch: ((message: unknown) => boolean) | null = null;
  waitTimer: TimerHandle = undefined;
}

// A receive's promise takes its resolving functions through these instead of a closure per call.
let capturedResolve: ((value: unknown) => void) | null = null;
let capturedReject: ((error: unknown) => void) | null = null;
function capture(resolve: (value: never) => void, reject: (error: unknown) => void): void {
  capturedResolve = resolve as (value: unknown) => void;
  capturedReject = reject;
}

// The process whose body is running its first, synchronous part, and the receive it parked in
// meanwhile: if the body returns that very promise, no reaction to its result is needed.
let starting: Process | null = null;
let parked: Promise<unknown> | null = null;

function ignore(): void {}

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
