import assert from "node:assert/strict";
import { test } from "node:test";
import {
  Application,
  type ChildSpec,
  ChildStartError,
  exit,
  FORCED_EXIT_CODE,
  InvalidArgumentError,
  isAlive,
  type Pid,
  type ProcessLike,
  RootExitError,
  Supervisor,
} from "beamish";
import { withRuntime } from "beamish/testing";
import { pids, stubborn, worker } from "./helpers.js";

/** Stands for Node's `process`: records listeners and exit codes, exits nothing. */
class FakeProcess implements ProcessLike {
  readonly listeners = new Map<string, Set<() => void>>();
  readonly exits: Array<number | undefined> = [];

  on(signal: string, listener: () => void): void {
    const set = this.listeners.get(signal) ?? new Set();
    set.add(listener);
    this.listeners.set(signal, set);
  }

  off(signal: string, listener: () => void): void {
    this.listeners.get(signal)?.delete(listener);
  }

  exit(code?: number): void {
    this.exits.push(code);
  }

  emit(signal: string): void {
    for (const listener of [...(this.listeners.get(signal) ?? [])]) listener();
  }

  count(): number {
    let n = 0;
    for (const set of this.listeners.values()) n += set.size;
    return n;
  }
}

function tree(log: string[]): ChildSpec[] {
  return [
    worker(log, "a"),
    Supervisor.supervisor("inner", [worker(log, "b"), worker(log, "c")]),
    worker(log, "d"),
  ];
}

test(
  "the first signal stops the tree in reverse order, then exits 0",
  withRuntime(async ({ settle }) => {
    const log: string[] = [];
    const proc = new FakeProcess();
    const app = await Application.start(tree(log), { process: proc, keepAlive: false });
    assert.equal(proc.count(), 2, "listens to SIGTERM and SIGINT");
    assert.deepEqual(Object.keys(await pids(app.pid)), ["a", "inner", "d"]);
    log.length = 0;
    proc.emit("SIGTERM");
    await settle();
    assert.deepEqual(log, ["stop d", "stop c", "stop b", "stop a"]);
    assert.deepEqual(proc.exits, [0]);
    assert.equal(proc.count(), 0, "the listeners are removed");
    assert.equal(isAlive(app.pid), false);
  }),
);

test(
  "a second signal during the graceful stop exits at once with code 130",
  withRuntime(async ({ clock, settle }) => {
    const log: string[] = [];
    const proc = new FakeProcess();
    await Application.start([worker(log, "a"), stubborn(log, "slow", "infinity")], {
      process: proc,
      keepAlive: false,
    });
    proc.emit("SIGINT");
    await clock.advance(60_000);
    assert.deepEqual(proc.exits, []);
    proc.emit("SIGINT");
    await settle();
    assert.deepEqual(proc.exits, [FORCED_EXIT_CODE]);
    assert.equal(FORCED_EXIT_CODE, 130);
  }),
);

test(
  "a graceful stop outlasting shutdownTimeout exits with code 1",
  withRuntime(async ({ clock }) => {
    const proc = new FakeProcess();
    await Application.start([stubborn([], "slow", "infinity")], {
      process: proc,
      keepAlive: false,
      shutdownTimeout: 10_000,
      signals: ["SIGTERM"],
    });
    assert.equal(proc.count(), 1);
    proc.emit("SIGTERM");
    await clock.advance(9_999);
    assert.deepEqual(proc.exits, []);
    await clock.advance(1);
    assert.deepEqual(proc.exits, [1]);
  }),
);

test(
  "stop() stops the tree without exiting the process, and removes the listeners",
  withRuntime(async () => {
    const log: string[] = [];
    const proc = new FakeProcess();
    const app = await Application.start(tree(log), { process: proc, keepAlive: false });
    log.length = 0;
    await app.stop();
    await app.stop();
    assert.deepEqual(log, ["stop d", "stop c", "stop b", "stop a"]);
    assert.deepEqual(proc.exits, []);
    assert.equal(proc.count(), 0);
  }),
);

test(
  "a root that exits by itself is reported, and the process exits with code 1",
  withRuntime(async ({ crashes, settle }) => {
    const proc = new FakeProcess();
    const app = await Application.start(
      Supervisor.supervisor("root", [worker([], "a")], { maxRestarts: 0 }),
      { process: proc, keepAlive: false },
    );
    exit((await pids(app.pid)).a as Pid, "kill");
    await settle();
    assert.deepEqual(proc.exits, [1]);
    assert.equal(proc.count(), 0);
    const error = crashes.at(-1)?.error;
    assert.ok(error instanceof RootExitError);
    assert.equal(
      error.message,
      'the application\'s root exited: {"shutdown":"reachedMaxRestartIntensity"}',
    );
  }),
);

test(
  "a root that fails to start rejects, and no listener is installed",
  withRuntime(async () => {
    const proc = new FakeProcess();
    const failing = { id: "db", start: () => Promise.reject(new Error("down")) };
    const error = await Application.start([failing], { process: proc, keepAlive: false }).catch(
      (e: unknown) => e,
    );
    assert.ok(error instanceof ChildStartError);
    assert.equal(
      error.message,
      'child "root" failed to start: ChildStartError: child "db" failed to start: Error: down',
    );
    assert.equal(proc.count(), 0);
  }),
);

test(
  "bad options and roots name the field",
  withRuntime(async () => {
    const cases: Array<[() => Promise<unknown>, string]> = [
      [
        () => Application.start([], { signals: "SIGTERM" as never }),
        'invalid value for `options.signals`: expected an array of signal names ("SIGTERM", ...), got "SIGTERM"',
      ],
      [
        () => Application.start([], { shutdownTimeout: -1 }),
        "invalid value for `options.shutdownTimeout`: expected a non-negative integer (ms) or Infinity, got -1",
      ],
      [
        () => Application.start([], { process: {} as never }),
        "invalid value for `options.process`: expected an object with on, off and exit, got an empty object",
      ],
      [
        () => Application.start([{ id: "a" } as never]),
        "invalid value for `children[0].start`: expected a function, got undefined",
      ],
      [
        () => Application.start({ start: () => undefined } as never),
        "invalid value for `root.id`: expected a non-empty string, got undefined",
      ],
    ];
    for (const [run, message] of cases) {
      const error = await run().catch((e: unknown) => e);
      assert.ok(error instanceof InvalidArgumentError, String(error));
      assert.equal(error.message, message);
    }
  }),
);
