/**
 * Call timeouts without a clock timer per call. Calls with the same timeout expire in the order
 * they were made, so each timeout value keeps a FIFO list (intrusive, O(1) to add and remove) and
 * one clock timer is armed for the earliest deadline of all lists. When it fires it expires what
 * is due and re-arms for the next head. A call still times out at exactly its own deadline, on
 * the virtual clock as on the real one.
 *
 * On the system clock two costs are paid once per turn of the event loop instead of once per
 * call: reading the time (deadlines count from the first call of the turn, as Node's own timers
 * count from the loop's cached time) and unref'ing the armed timer once no call is pending (so
 * that it never keeps Node alive by itself).
 */
import { type Clock, systemClock, type TimerHandle } from "../kernel/clock.js";
import type { Runtime } from "../kernel/runtime.js";

/** @internal Something with a deadline: a pending call. */
export interface Expiring {
  deadline: number;
  deadlinePrev: Expiring | null;
  deadlineNext: Expiring | null;
  deadlineList: DeadlineList | null;
  /** Called once when the deadline passes while the entry is still listed. */
  expire(): void;
}

/** @internal The entries sharing one timeout value, oldest first. */
export class DeadlineList {
  head: Expiring | null = null;
  tail: Expiring | null = null;
  constructor(readonly timeout: number) {}
}

/** @internal The deadlines of one runtime. */
export class Deadlines {
  private readonly lists = new Map<number, DeadlineList>();
  private last: DeadlineList | null = null;
  private pending = 0;
  private armedAt = Infinity;
  private timer: TimerHandle = undefined;
  private clock: Clock;
  private refed = false;
  /** The system clock's time, read once per turn; -1 when not read yet in this turn. */
  private turnNow = -1;
  private endOfTurnPending = false;

  constructor(private readonly runtime: Runtime) {
    this.clock = runtime.clock;
  }

  private now(): number {
    const clock = this.clock;
    if (clock !== systemClock) return clock.now();
    if (this.turnNow < 0) {
      this.turnNow = clock.now();
      this.scheduleEndOfTurn();
    }
    return this.turnNow;
  }

  private scheduleEndOfTurn(): void {
    if (this.endOfTurnPending) return;
    this.endOfTurnPending = true;
    setImmediate(this.endOfTurn);
  }

  private readonly endOfTurn = (): void => {
    this.endOfTurnPending = false;
    this.turnNow = -1;
    if (this.pending === 0 && this.refed) {
      this.refed = false;
      refTimer(this.timer, false);
    }
  };

  /** Lists `entry` to expire `timeout` ms from now (a finite timeout). */
  add(entry: Expiring, timeout: number): void {
    const clock = this.runtime.clock;
    if (clock !== this.clock) this.switchClock(clock);
    const deadline = this.now() + timeout;
    entry.deadline = deadline;
    let list = this.last;
    if (list === null || list.timeout !== timeout) {
      list = this.lists.get(timeout) ?? null;
      if (list === null) {
        list = new DeadlineList(timeout);
        this.lists.set(timeout, list);
      }
      this.last = list;
    }
    entry.deadlineList = list;
    entry.deadlineNext = null;
    entry.deadlinePrev = list.tail;
    if (list.tail !== null) list.tail.deadlineNext = entry;
    else list.head = entry;
    list.tail = entry;
    if (this.pending++ === 0 && !this.refed) {
      this.refed = true;
      refTimer(this.timer, true);
    }
    if (deadline < this.armedAt) this.arm(deadline, timeout);
  }

  /** Unlists `entry` if it is listed. */
  remove(entry: Expiring): void {
    const list = entry.deadlineList;
    if (list === null) return;
    if (entry.deadlinePrev !== null) entry.deadlinePrev.deadlineNext = entry.deadlineNext;
    else list.head = entry.deadlineNext;
    if (entry.deadlineNext !== null) entry.deadlineNext.deadlinePrev = entry.deadlinePrev;
    else list.tail = entry.deadlinePrev;
    entry.deadlinePrev = null;
    entry.deadlineNext = null;
    entry.deadlineList = null;
    // An armed timer with nothing to expire must not keep Node's event loop alive; it stays
    // armed (cheaper than clearing and setting one per call), is unref'd at the end of the turn
    // if no call came meanwhile, and re-arms or not when it fires.
    if (--this.pending === 0 && this.refed) this.scheduleEndOfTurn();
  }

  private arm(at: number, ms: number): void {
    if (this.armedAt !== Infinity) this.clock.clearTimer(this.timer);
    this.armedAt = at;
    this.timer = this.clock.setTimer(Math.max(0, ms), this.fire);
    // A new Node timer starts ref'd.
    this.refed = true;
    if (this.pending === 0) this.scheduleEndOfTurn();
  }

  private readonly fire = (): void => {
    this.armedAt = Infinity;
    this.timer = undefined;
    this.refed = false;
    const now = this.clock.now();
    let next = Infinity;
    for (const list of this.lists.values()) {
      let head = list.head;
      while (head !== null && head.deadline <= now) {
        this.remove(head);
        head.expire();
        head = list.head;
      }
      if (head === null) {
        this.lists.delete(list.timeout);
        if (this.last === list) this.last = null;
      } else if (head.deadline < next) {
        next = head.deadline;
      }
    }
    if (next !== Infinity && next < this.armedAt) this.arm(next, next - this.clock.now());
  };

  private switchClock(clock: Clock): void {
    if (this.armedAt !== Infinity) this.clock.clearTimer(this.timer);
    this.armedAt = Infinity;
    this.clock = clock;
    let first = Infinity;
    for (const list of this.lists.values()) {
      if (list.head !== null && list.head.deadline < first) first = list.head.deadline;
    }
    if (first !== Infinity) this.arm(first, first - clock.now());
  }
}

/** Node's timers can be unref'd; other clocks' handles (the virtual clock's) are left alone. */
function refTimer(handle: TimerHandle, on: boolean): void {
  if (typeof handle === "object" && handle !== null) {
    const timer = handle as { ref?: unknown; unref?: unknown };
    if (on) {
      if (typeof timer.ref === "function") (timer as { ref(): void }).ref();
    } else if (typeof timer.unref === "function") (timer as { unref(): void }).unref();
  }
}

let cachedRuntime: Runtime | null = null;
let cachedDeadlines: Deadlines | null = null;
const byRuntime = new WeakMap<Runtime, Deadlines>();

/** @internal The deadlines of `runtime`, created on first use. */
export function deadlinesOf(runtime: Runtime): Deadlines {
  if (runtime === cachedRuntime) return cachedDeadlines as Deadlines;
  let deadlines = byRuntime.get(runtime);
  if (deadlines === undefined) {
    deadlines = new Deadlines(runtime);
    byRuntime.set(runtime, deadlines);
  }
  cachedRuntime = runtime;
  cachedDeadlines = deadlines;
  return deadlines;
}
