/**
 * Where the pool's tasks are, as a pure state machine (no threads, no timers): handed to a
 * thread, queued (at most `maxQueue`), or with a caller waiting for room in the queue. The pool
 * drives it with what happens (a task submitted, answered, cancelled; a thread ready, gone,
 * retiring) and does what it decides through its host (send a task to a thread, replace a thread
 * that drained).
 *
 * Invariants: a thread holds at most `tasksPerThread` tasks, the oldest running and the others
 * waiting there in order; a task is in exactly one place until it leaves; the queue is non-empty
 * only while every thread that takes tasks is full, so a task is always handed to the least busy
 * thread; a thread is handed at most `recycleAfter` tasks in its life.
 */
import { Queue } from "../../kernel/queue.js";

/** What the dispatcher asks of the pool. */
export interface DispatchHost<T, J> {
  /** Hands `job` to `thread`; false when it could not be sent (the host has settled it). */
  send(thread: T, job: J): boolean;
  /** A retiring thread has no task left: the host replaces it. */
  drained(thread: T): void;
}

interface Slot<T, J> {
  readonly thread: T;
  /** Oldest first: the first runs, the others wait in the thread. */
  readonly jobs: J[];
  /** Tasks handed to it so far (`recycleAfter`). */
  handed: number;
  retiring: boolean;
}

type Place<T, J> = "queued" | "waiting" | Slot<T, J>;

export class Dispatcher<T, J> {
  private readonly slots: Array<Slot<T, J>> = [];
  private readonly slotOf = new Map<T, Slot<T, J>>();
  private readonly places = new Map<J, Place<T, J>>();
  /** Tasks given back by a thread that went away: they go before the queue, oldest first. */
  private front: J[] = [];
  private readonly queue = new Queue<J>();
  private readonly waitingQueue = new Queue<J>();
  private queuedCount = 0;
  private waitingCount = 0;
  private inFlightCount = 0;

  constructor(
    private readonly host: DispatchHost<T, J>,
    readonly tasksPerThread: number,
    readonly maxQueue: number,
    readonly recycleAfter: number = Number.POSITIVE_INFINITY,
  ) {}

  /** Tasks queued for a thread (those given back by a thread that went away included). */
  get queued(): number {
    return this.queuedCount;
  }

  /** Callers waiting for room in the queue. */
  get waiting(): number {
    return this.waitingCount;
  }

  /** Tasks handed to threads and not answered yet. */
  get inFlight(): number {
    return this.inFlightCount;
  }

  /** Threads holding at least one task. */
  get busy(): number {
    let busy = 0;
    for (const slot of this.slots) if (slot.jobs.length > 0) busy++;
    return busy;
  }

  /** The tasks `thread` holds, oldest (running) first. */
  jobsOf(thread: T): readonly J[] {
    return this.slotOf.get(thread)?.jobs ?? [];
  }

  /** Whether `thread` is handed no more tasks (it drains before it is replaced). */
  isRetiring(thread: T): boolean {
    return this.slotOf.get(thread)?.retiring === true;
  }

  /** Where `job` is, when the dispatcher holds it. */
  placeOf(job: J): "queued" | "waiting" | "thread" | undefined {
    const place = this.places.get(job);
    return place === undefined || typeof place === "string" ? place : "thread";
  }

  /**
   * Takes a task: handed to the least busy thread with room (`"refused"` when it could not be
   * sent), else queued, else waiting for room in the queue.
   */
  submit(job: J): "sent" | "refused" | "queued" | "waiting" {
    if (this.queuedCount === 0) {
      const slot = this.leastBusy();
      if (slot !== undefined) return this.hand(slot, job) ? "sent" : "refused";
    }
    if (this.queuedCount < this.maxQueue) {
      this.enqueue(job);
      return "queued";
    }
    this.places.set(job, "waiting");
    this.waitingQueue.push(job);
    this.waitingCount++;
    return "waiting";
  }

  /** A thread is ready for tasks: it is filled from the queue. */
  addThread(thread: T): void {
    const slot: Slot<T, J> = { thread, jobs: [], handed: 0, retiring: false };
    this.slots.push(slot);
    this.slotOf.set(thread, slot);
    this.spread();
  }

  /**
   * `job` left `thread` (answered, failed or skipped there). A retiring thread left empty is
   * reported drained; any other is given the next queued task.
   */
  finished(thread: T, job: J): void {
    const slot = this.slotOf.get(thread);
    if (slot === undefined) return;
    const at = slot.jobs.indexOf(job);
    if (at === -1) return;
    slot.jobs.splice(at, 1);
    this.inFlightCount--;
    this.places.delete(job);
    this.afterLeaving(slot);
  }

  /**
   * `thread` is gone (terminated, crashed, stopped): returns the tasks it held, oldest first, for
   * the host to settle or to {@link requeue}.
   */
  removeThread(thread: T): J[] {
    const slot = this.slotOf.get(thread);
    if (slot === undefined) return [];
    this.slotOf.delete(thread);
    this.slots.splice(this.slots.indexOf(slot), 1);
    for (const job of slot.jobs) this.places.delete(job);
    this.inFlightCount -= slot.jobs.length;
    return slot.jobs.splice(0);
  }

  /** Gives tasks back (never started on a thread that went away): first in line, oldest first. */
  requeue(jobs: readonly J[]): void {
    if (jobs.length === 0) return;
    for (const job of jobs) this.places.set(job, "queued");
    this.front = jobs.concat(this.front);
    this.queuedCount += jobs.length;
    this.spread();
  }

  /** Hands `thread` no more tasks; it is reported drained once it holds none (maybe at once). */
  retire(thread: T): void {
    const slot = this.slotOf.get(thread);
    if (slot === undefined || slot.retiring) return;
    slot.retiring = true;
    if (slot.jobs.length === 0) this.drain(slot);
  }

  /**
   * Drops a queued or waiting task (true); a task held by a thread stays there (false: the host
   * decides, and reports it `finished` or the thread gone).
   */
  cancel(job: J): boolean {
    const place = this.places.get(job);
    if (place === "queued") {
      this.places.delete(job);
      this.queuedCount--;
      this.admitWaiting();
      return true;
    }
    if (place === "waiting") {
      this.places.delete(job);
      this.waitingCount--;
      return true;
    }
    return false;
  }

  /** Removes and returns every queued and waiting task, in order (the pool stops). */
  takeQueued(): J[] {
    const jobs: J[] = [];
    for (let job = this.nextQueued(); job !== undefined; job = this.nextQueued()) jobs.push(job);
    for (let job = this.waitingQueue.shift(); job !== undefined; job = this.waitingQueue.shift()) {
      if (this.places.get(job) !== "waiting") continue;
      this.places.delete(job);
      jobs.push(job);
    }
    this.waitingCount = 0;
    return jobs;
  }

  private leastBusy(): Slot<T, J> | undefined {
    let best: Slot<T, J> | undefined;
    for (const slot of this.slots) {
      if (slot.retiring || slot.jobs.length >= this.tasksPerThread) continue;
      if (best === undefined || slot.jobs.length < best.jobs.length) best = slot;
    }
    return best;
  }

  /** Sends `job` to `slot`'s thread; false when the host could not (the job has left). */
  private hand(slot: Slot<T, J>, job: J): boolean {
    this.places.set(job, slot);
    slot.jobs.push(job);
    this.inFlightCount++;
    slot.handed++;
    if (this.host.send(slot.thread, job)) {
      if (slot.handed >= this.recycleAfter) slot.retiring = true;
      return true;
    }
    slot.jobs.pop();
    slot.handed--;
    this.inFlightCount--;
    this.places.delete(job);
    return false;
  }

  private afterLeaving(slot: Slot<T, J>): void {
    if (slot.retiring) {
      if (slot.jobs.length === 0) this.drain(slot);
      return;
    }
    this.fill(slot);
  }

  private drain(slot: Slot<T, J>): void {
    this.slotOf.delete(slot.thread);
    this.slots.splice(this.slots.indexOf(slot), 1);
    this.host.drained(slot.thread);
  }

  /** Hands queued tasks to the least busy threads while any has room. */
  private spread(): void {
    for (let slot = this.leastBusy(); slot !== undefined; slot = this.leastBusy()) {
      const job = this.nextQueued() ?? this.nextWaiting();
      if (job === undefined) return;
      this.hand(slot, job);
    }
  }

  /** Hands `slot` queued tasks while it has room (the others are full, or the queue is empty). */
  private fill(slot: Slot<T, J>): void {
    while (!slot.retiring && slot.jobs.length < this.tasksPerThread) {
      const job = this.nextQueued() ?? this.nextWaiting();
      if (job === undefined) return;
      this.hand(slot, job);
    }
  }

  private nextQueued(): J | undefined {
    // Cancelled tasks stay where they were queued until reached: skipped here.
    let job: J | undefined;
    while (job === undefined && this.front.length > 0) {
      const next = this.front.shift() as J;
      if (this.places.get(next) === "queued") job = next;
    }
    while (job === undefined && this.queue.length > 0) {
      const next = this.queue.shift() as J;
      if (this.places.get(next) === "queued") job = next;
    }
    if (job === undefined) return undefined;
    this.places.delete(job);
    this.queuedCount--;
    this.admitWaiting();
    return job;
  }

  /** An empty queue (always so with maxQueue 0): the first waiting caller goes straight in. */
  private nextWaiting(): J | undefined {
    for (let job = this.waitingQueue.shift(); job !== undefined; job = this.waitingQueue.shift()) {
      if (this.places.get(job) !== "waiting") continue;
      this.places.delete(job);
      this.waitingCount--;
      return job;
    }
    return undefined;
  }

  private enqueue(job: J): void {
    this.places.set(job, "queued");
    this.queue.push(job);
    this.queuedCount++;
  }

  private admitWaiting(): void {
    while (this.queuedCount < this.maxQueue && this.waitingCount > 0) {
      const job = this.nextWaiting();
      if (job === undefined) return;
      this.enqueue(job);
    }
  }
}
