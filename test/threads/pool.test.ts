// The CPU pool's calls: values, thrown errors, bad modules and exports, values that do not
// clone, TypeScript and JavaScript modules, transfers, options. One pool is shared: starting a
// thread that loads TypeScript costs about a second on a loaded machine.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { fileURLToPath } from "node:url";
import { isBeamishError } from "beamish";
import { CpuPool, NotCloneableError, transfer } from "beamish/threads";
import { setTsxApiForTests } from "../../src/threads/pool/bootstrap.js";

const functions = new URL("./fixtures/pool-functions.ts", import.meta.url);
const plain = new URL("./fixtures/pool-plain.mjs", import.meta.url);
const transfers = new URL("./fixtures/pool-transfer.ts", import.meta.url);

describe("CpuPool.run", () => {
  let pool: CpuPool;
  before(async () => {
    pool = await CpuPool.start({ threads: 2 });
  });
  after(() => pool.stop());

  test("runs a TypeScript module's export and resolves with its value", async () => {
    assert.equal(await pool.run<number>(functions, "double", 21), 42);
    assert.equal(await pool.run<number>(functions, "later", 7, 1), 7);
  });

  test("takes a module as a path, a file: URL string or a URL", async () => {
    assert.equal(await pool.run(fileURLToPath(functions), "double", 1), 2);
    assert.equal(await pool.run(functions.href, "double", 2), 4);
  });

  test("runs a plain .mjs module, its default export through exec", async () => {
    assert.equal(await pool.run(plain, "triple", 3), 9);
    assert.deepEqual(await pool.exec({ module: plain, args: [{ a: [1] }] }), { a: [1] });
  });

  test("rejects with the thrown error: its class, message, fields and the thread's stack", async () => {
    const error = await pool.run(functions, "fail", "no luck").catch((e: unknown) => e);
    assert.ok(error instanceof RangeError);
    assert.equal(error.message, "no luck");
    assert.equal((error as RangeError & { code: string }).code, "E_FIXTURE");
    assert.match(error.stack ?? "", /pool-functions\.ts/);
  });

  test("a module that does not exist fails the call naming it", async () => {
    const error = await pool.run("/no/such/module.ts", "f").catch((e: unknown) => e);
    assert.ok(isBeamishError(error, "ERR_THREAD_MODULE_NOT_FOUND"));
    assert.match(error.message, /\/no\/such\/module\.ts/);
  });

  test("an export that is missing or not a function fails the call naming it", async () => {
    const missing = await pool.run(functions, "nope").catch((e: unknown) => e);
    assert.ok(isBeamishError(missing, "ERR_THREAD_EXPORT_NOT_FUNCTION"));
    assert.equal(missing.got, "not exported");
    assert.match(
      missing.message,
      /pool-functions\.ts has no export "nope" \(its function exports: .*double/,
    );
    const notFunction = await pool.run(functions, "notAFunction").catch((e: unknown) => e);
    assert.ok(isBeamishError(notFunction, "ERR_THREAD_EXPORT_NOT_FUNCTION"));
    assert.match(notFunction.message, /export "notAFunction" of .* is not a function: it is 42/);
  });

  test("a relative module path is refused at the call", async () => {
    const error = await pool.run("./fixtures/pool-plain.mjs", "triple", 1).catch((e: unknown) => e);
    assert.ok(isBeamishError(error, "ERR_INVALID_ARGUMENT"));
    assert.equal(error.path, "module");
  });

  test("an argument that cannot be cloned fails the call naming where it sits and its type", async () => {
    const fn = await pool.run(functions, "double", () => 1).catch((e: unknown) => e);
    assert.ok(isBeamishError(fn, "ERR_NOT_CLONEABLE"), `a clone error, got ${fn}`);
    assert.ok(fn instanceof NotCloneableError, "the one clone error class of beamish/threads");
    assert.deepEqual(
      { where: fn.where, path: fn.path, valueType: fn.valueType, exportName: fn.exportName },
      { where: "argument", path: "args[0]", valueType: "a function", exportName: "double" },
      "where, what, and which function",
    );
    const nested = await pool
      .run(functions, "double", 1, { ok: [1, 2], onDone: function onDone() {} })
      .catch((e: unknown) => e);
    assert.ok(isBeamishError(nested, "ERR_NOT_CLONEABLE"), `a clone error, got ${nested}`);
    assert.equal(nested.path, "args[1].onDone", "the path inside the argument");
    assert.match(
      nested.message,
      /cannot send function onDone to another thread \(at `args\[1\]\.onDone`, an argument of .*pool-functions\.ts#double\)/,
      "the message says what, where and for which function",
    );
    const { Socket } = await import("node:net");
    const socket = new Socket();
    const sock = await pool.run(functions, "double", socket).catch((e: unknown) => e);
    socket.destroy();
    assert.ok(isBeamishError(sock, "ERR_NOT_CLONEABLE"), `a clone error, got ${sock}`);
    assert.equal(sock.valueType, "a Socket instance", "names the class");
    // The pool goes on.
    assert.equal(await pool.run(functions, "double", 4), 8, "the pool goes on");
  });

  test("a result that cannot be cloned fails the call, not the thread", async () => {
    const error = await pool.run(functions, "returnsFunction").catch((e: unknown) => e);
    assert.ok(isBeamishError(error, "ERR_NOT_CLONEABLE"), `a clone error, got ${error}`);
    assert.deepEqual(
      { where: error.where, path: error.path, valueType: error.valueType },
      { where: "result", path: "result", valueType: "a function" },
      "the result, a function",
    );
    assert.match(error.message, /the result of .*#returnsFunction/, "names the function");
    assert.equal(pool.stats().replaced, 0, "the thread lives on");
  });

  test("moves transferred buffers both ways", async () => {
    const bytes = new Uint8Array(1024);
    assert.equal(await pool.run(functions, "byteLength", transfer(bytes, [bytes.buffer])), 1024);
    assert.equal(bytes.byteLength, 0, "the sent buffer is detached");
    const back = await pool.run<Uint8Array>(transfers, "makeBytes", 16);
    assert.equal(back.byteLength, 16);
    assert.equal(back[0], 7);
  });

  test("a signal drops a queued task and stops a running one", async () => {
    const controller = new AbortController();
    const running = pool.exec({ module: functions, exportName: "spin", signal: controller.signal });
    controller.abort("enough");
    const error = await running.catch((e: unknown) => e);
    assert.ok(isBeamishError(error, "ERR_POOL_TASK_CANCELLED"));
    assert.equal(error.cause, "enough");
  });
});

describe("CpuPool.start", () => {
  test("bad options fail with one line each", async () => {
    const error = await CpuPool.start({ threads: 0, taskTimeout: -1, bogus: true } as never).catch(
      (e: unknown) => e,
    );
    assert.ok(isBeamishError(error, "ERR_INVALID_OPTIONS"));
    assert.deepEqual(
      error.errors.map((e) => e.message),
      [
        "invalid value for `threads`: expected a positive integer, got 0",
        "invalid value for `taskTimeout`: expected a positive integer (ms) or Infinity, got -1",
        "invalid value for `bogus`: expected one of the options threads, tasksPerThread, maxQueue, taskTimeout, recycleAfter, recycleHeapMb, maxHeapMb, stopTimeout, execArgv, clock, got true",
      ],
      "one line per bad option",
    );
  });

  test("tasksPerThread must be a positive integer", async () => {
    for (const bad of [0, 1.5, "2"]) {
      const error = await CpuPool.start({ tasksPerThread: bad } as never).catch((e: unknown) => e);
      assert.ok(isBeamishError(error, "ERR_INVALID_OPTIONS"), `refused: ${String(bad)}`);
      assert.match(
        error.message,
        /invalid value for `tasksPerThread`: expected a positive integer, got/,
        "names the option and what it expects",
      );
    }
  });

  test("without tsx a thread cannot load TypeScript: the start fails naming the module", async () => {
    setTsxApiForTests(null);
    try {
      const error = await CpuPool.start({ threads: 1 }).catch((e: unknown) => e);
      assert.ok(isBeamishError(error, "ERR_THREAD_MODULE_LOAD"));
      assert.match(error.message, /worker-main\.ts.*no TypeScript loader: install tsx/s);
    } finally {
      setTsxApiForTests(undefined);
    }
  });
});
