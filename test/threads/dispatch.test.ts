// The pool's dispatcher as a pure state machine, without threads: least-busy dispatch, the
// per-thread limit, the bounded queue, waiting callers, tasks given back by a thread that went
// away, recycling, cancellation; and a property over random histories: every task submitted
// leaves exactly once, no thread ever holds more than `tasksPerThread`.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { Dispatcher } from "../../src/threads/pool/dispatch.js";

interface Task {
  readonly id: number;
  /** The host refuses to send it (its arguments do not clone). */
  readonly refuse?: boolean;
}

/** A host that records what the dispatcher asks; threads are numbers. */
function harness(tasksPerThread: number, maxQueue: number, recycleAfter?: number) {
  const sent: Array<[number, number]> = [];
  const drained: number[] = [];
  const d: Dispatcher<number, Task> = new Dispatcher<number, Task>(
    {
      send(thread, task) {
        sent.push([thread, task.id]);
        return task.refuse !== true;
      },
      drained(thread) {
        drained.push(thread);
      },
    },
    tasksPerThread,
    maxQueue,
    recycleAfter,
  );
  return { d, sent, drained };
}

const ids = (tasks: readonly Task[]) => tasks.map((t) => t.id);

describe("Dispatcher", () => {
  test("hands a task to the least busy thread, up to tasksPerThread each, then queues, then waits", () => {
    const { d, sent } = harness(2, 1);
    d.addThread(1);
    d.addThread(2);
    const places = [0, 1, 2, 3, 4, 5].map((id) => d.submit({ id }));
    assert.deepEqual(
      places,
      ["sent", "sent", "sent", "sent", "queued", "waiting"],
      "four handed over, one queued, one waiting",
    );
    assert.deepEqual(
      sent,
      [
        [1, 0],
        [2, 1],
        [1, 2],
        [2, 3],
      ],
      "threads filled evenly",
    );
    assert.deepEqual(
      { queued: d.queued, waiting: d.waiting, inFlight: d.inFlight },
      {
        queued: 1,
        waiting: 1,
        inFlight: 4,
      },
      "the counters",
    );
  });

  test("a task leaving a thread makes room for the first queued; a waiting caller is queued", () => {
    const { d, sent } = harness(1, 1);
    d.addThread(1);
    const tasks = [0, 1, 2].map((id) => ({ id }));
    for (const t of tasks) d.submit(t);
    d.finished(1, tasks[0] as Task);
    assert.deepEqual(sent.at(-1), [1, 1], "the queued task goes to the freed thread");
    assert.deepEqual(
      { queued: d.queued, waiting: d.waiting },
      { queued: 1, waiting: 0 },
      "the waiting one is queued",
    );
  });

  test("with maxQueue 0 a thread with room takes the first waiting caller", () => {
    const { d, sent } = harness(1, 0);
    d.addThread(1);
    const tasks = [0, 1].map((id) => ({ id }));
    assert.deepEqual(
      tasks.map((t) => d.submit(t)),
      ["sent", "waiting"],
      "one sent, one waiting",
    );
    d.finished(1, tasks[0] as Task);
    assert.deepEqual(sent.at(-1), [1, 1], "the waiting caller went straight to the thread");
  });

  test("a task the host cannot send is refused and the next one takes its place", () => {
    const { d } = harness(1, 4);
    d.addThread(1);
    assert.equal(d.submit({ id: 0, refuse: true }), "refused", "refused at once");
    assert.equal(d.inFlight, 0, "nothing on the thread");
    const a = { id: 1 };
    d.submit(a);
    d.submit({ id: 2, refuse: true });
    d.submit({ id: 3 });
    d.finished(1, a);
    assert.deepEqual(ids(d.jobsOf(1)), [3], "the refused one skipped, the next sent");
  });

  test("tasks given back by a thread that went away go first, to the least busy threads", () => {
    const { d } = harness(2, 4);
    d.addThread(1);
    d.addThread(2);
    const tasks = [0, 1, 2, 3, 4].map((id) => ({ id }));
    for (const t of tasks) d.submit(t);
    const held = d.removeThread(1);
    assert.deepEqual(ids(held), [0, 2], "thread 1 held 0 and 2");
    d.requeue(held.slice(1));
    d.addThread(3);
    assert.deepEqual(ids(d.jobsOf(3)), [2, 4], "the given-back task first, then the queue");
  });

  test("a given-back task cancelled before a thread takes it is never handed out", () => {
    const { d, sent } = harness(1, 4);
    d.addThread(1);
    d.addThread(2);
    const tasks = [0, 1, 2].map((id) => ({ id }));
    for (const t of tasks) d.submit(t);
    const [, ...notStarted] = d.removeThread(1);
    d.requeue([...notStarted, tasks[0] as Task].slice(-1));
    assert.equal(d.placeOf(tasks[0] as Task), "queued", "thread 2 is full: it waits first in line");
    assert.equal(d.cancel(tasks[0] as Task), true, "dropped");
    d.finished(2, tasks[1] as Task);
    assert.deepEqual(sent.at(-1), [2, 2], "the next queued task, not the cancelled one");
    assert.equal(d.queued, 0, "nothing left queued");
  });

  test("a thread is handed at most recycleAfter tasks, and reported drained once it holds none", () => {
    const { d, drained } = harness(2, 4, 3);
    d.addThread(1);
    const tasks = [0, 1, 2, 3].map((id) => ({ id }));
    for (const t of tasks) d.submit(t);
    d.finished(1, tasks[0] as Task);
    assert.deepEqual(ids(d.jobsOf(1)), [1, 2], "its third and last task");
    d.finished(1, tasks[1] as Task);
    assert.deepEqual(ids(d.jobsOf(1)), [2], "no fourth");
    assert.deepEqual(drained, [], "not drained while it holds one");
    d.finished(1, tasks[2] as Task);
    assert.deepEqual(drained, [1], "drained");
    d.addThread(2);
    assert.deepEqual(ids(d.jobsOf(2)), [3], "its replacement takes the rest");
  });

  test("cancel drops a queued or waiting task; a task on a thread stays there", () => {
    const { d } = harness(1, 1);
    d.addThread(1);
    const tasks = [0, 1, 2].map((id) => ({ id }));
    for (const t of tasks) d.submit(t);
    assert.equal(d.cancel(tasks[0] as Task), false, "on the thread: the host decides");
    assert.equal(d.cancel(tasks[1] as Task), true, "queued: dropped");
    assert.equal(d.placeOf(tasks[2] as Task), "queued", "the waiting one moved up");
    assert.equal(d.cancel(tasks[2] as Task), true, "dropped too");
    assert.deepEqual(d.takeQueued(), [], "nothing left queued");
  });
});

type Op =
  | { readonly op: "submit"; readonly refuse: boolean }
  | { readonly op: "addThread" }
  | { readonly op: "finish"; readonly thread: number }
  | { readonly op: "cancel"; readonly task: number }
  | { readonly op: "kill"; readonly thread: number }
  | { readonly op: "retire"; readonly thread: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  {
    weight: 5,
    arbitrary: fc.record({
      op: fc.constant("submit" as const),
      refuse: fc.nat(9).map((n) => n === 0),
    }),
  },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("addThread" as const) }) },
  { weight: 5, arbitrary: fc.record({ op: fc.constant("finish" as const), thread: fc.nat(5) }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("cancel" as const), task: fc.nat(40) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("kill" as const), thread: fc.nat(5) }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("retire" as const), thread: fc.nat(5) }) },
);

test("property: every task leaves exactly once; no thread holds more than tasksPerThread", () => {
  fc.assert(
    fc.property(
      fc.integer({ min: 1, max: 3 }),
      fc.nat(3),
      fc.option(fc.integer({ min: 1, max: 4 }), { nil: undefined }),
      fc.array(opArb, { maxLength: 80 }),
      (tasksPerThread, maxQueue, recycleAfter, ops) => {
        const left = new Map<number, number>();
        const leave = (t: Task) => left.set(t.id, (left.get(t.id) ?? 0) + 1);
        const live: number[] = [];
        let nextThread = 0;
        const tasks: Task[] = [];
        const d: Dispatcher<number, Task> = new Dispatcher<number, Task>(
          {
            send(thread, task) {
              const held = d.jobsOf(thread).length;
              assert.ok(held <= tasksPerThread, `thread ${thread} holds ${held}`);
              // Least busy: no thread taking tasks held fewer than this one before this task.
              for (const other of live) {
                if (other === thread || d.isRetiring(other)) continue;
                assert.ok(
                  d.jobsOf(other).length >= held - 1,
                  `thread ${thread} (${held - 1}) chosen over ${other} (${d.jobsOf(other).length})`,
                );
              }
              if (task.refuse === true) leave(task);
              return task.refuse !== true;
            },
            drained(thread) {
              live.splice(live.indexOf(thread), 1);
            },
          },
          tasksPerThread,
          maxQueue,
          recycleAfter,
        );
        const addThread = () => {
          const thread = nextThread++;
          live.push(thread);
          d.addThread(thread);
        };
        const check = () => {
          let held = 0;
          for (const thread of live) held += d.jobsOf(thread).length;
          assert.equal(held, d.inFlight, "inFlight counts what the threads hold");
          if (d.waiting > 0) assert.ok(d.queued >= maxQueue, "callers wait only on a full queue");
        };
        for (const op of ops) {
          const thread =
            live.length === 0 ? undefined : live[("thread" in op ? op.thread : 0) % live.length];
          switch (op.op) {
            case "submit": {
              const task = { id: tasks.length, refuse: op.refuse };
              tasks.push(task);
              d.submit(task);
              break;
            }
            case "addThread":
              addThread();
              break;
            case "finish": {
              const head = thread === undefined ? undefined : d.jobsOf(thread)[0];
              if (thread !== undefined && head !== undefined) {
                leave(head);
                d.finished(thread, head);
              }
              break;
            }
            case "cancel": {
              const task = tasks[op.task];
              if (task !== undefined && d.cancel(task)) leave(task);
              break;
            }
            case "kill": {
              if (thread === undefined) break;
              live.splice(live.indexOf(thread), 1);
              const [running, ...notStarted] = d.removeThread(thread);
              if (running !== undefined) leave(running);
              d.requeue(notStarted);
              break;
            }
            case "retire":
              if (thread !== undefined) d.retire(thread);
              break;
          }
          check();
        }
        // Drain: threads keep answering, fresh ones replace the retired, until nothing is left.
        for (let round = 0; round < 10_000; round++) {
          if (live.every((t) => d.isRetiring(t))) addThread();
          const busy = live.find((t) => d.jobsOf(t).length > 0);
          if (busy === undefined) break;
          const head = d.jobsOf(busy)[0] as Task;
          leave(head);
          d.finished(busy, head);
          check();
        }
        assert.deepEqual(
          { inFlight: d.inFlight, queued: d.queued, waiting: d.waiting },
          { inFlight: 0, queued: 0, waiting: 0 },
          "nothing is left behind",
        );
        for (const task of tasks) {
          assert.equal(
            left.get(task.id),
            1,
            `task ${task.id} left ${left.get(task.id) ?? 0} times`,
          );
        }
      },
    ),
    { numRuns: 1000 },
  );
});
