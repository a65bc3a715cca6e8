/**
 * The CPU pool: a Task.Supervisor for CPU-bound work. Module functions run on worker threads,
 * one task per thread at a time (each holding its next ones), with a bounded queue (a full pool makes the caller wait), task
 * timeouts that terminate the thread running the task, recycling of threads after N tasks or
 * past a heap size, and every failure a typed error at the caller.
 */
import type { TransferListItem } from "node:worker_threads";
import { GenServer } from "../../gen-server/index.js";
import { InvalidArgumentError } from "../../kernel/errors.js";
import { isPid } from "../../kernel/pid.js";
import type { Self } from "../../kernel/process.js";
import type { ChildSpec } from "../../supervisor/child-spec.js";
import { Task, type TaskResult } from "../../task/index.js";
import {
  type CpuPoolOptions,
  checkExportName,
  type ExecOptions,
  moduleUrl,
  type ParsedPoolOptions,
  type PoolStreamOptions,
  parseExecOptions,
  parsePoolOptions,
  parseStreamOptions,
} from "./options.js";
import { PoolCore, type PoolStats, unwrapTransfers } from "./pool.js";
import { type Transfer, transferKey } from "./protocol.js";
import { isStreamInput, type PoolStreamInput, streamResults } from "./stream.js";

export {
  PoolStoppedError,
  PoolTaskCancelledError,
  PoolTaskTimeoutError,
  PoolWorkerDiedError,
  ThreadExportNotFunctionError,
  ThreadModuleLoadError,
  ThreadModuleNotFoundError,
} from "./errors.js";
export { execSchema, poolSchema, streamSchema } from "./options.js";
export type {
  CpuPoolOptions,
  ExecOptions,
  PoolStats,
  PoolStreamInput,
  PoolStreamOptions,
  Transfer,
};

/** A module as the pool takes it: an absolute path, a `file:` URL string or a URL. */
export type ModuleSpecifier = string | URL;

/**
 * Wraps a value so that `transferList` (ArrayBuffers, MessagePorts) moves to the other thread
 * instead of being copied: as an argument of `run`, or as the value a thread's function returns.
 * A moved buffer is detached (empty) on the side that sent it.
 *
 * @example
 * ```ts
 * const pixels = new Uint8Array(1 << 20);
 * await pool.run(url, "blur", transfer(pixels, [pixels.buffer]));
 * // in the worker module:
 * export function render(): Transfer<Uint8Array> {
 *   const out = new Uint8Array(1024);
 *   return transfer(out, [out.buffer]);
 * }
 * ```
 */
export function transfer<T>(value: T, transferList: readonly TransferListItem[]): Transfer<T> {
  return { [transferKey]: true, value, transferList };
}

/**
 * A pool of worker threads running module functions: start one with {@link CpuPool.start}.
 *
 * Code to run is named by module and export, as Erlang names it by module and function: the
 * module is loaded once per thread, TypeScript included (threads inherit `node --import tsx`,
 * and register tsx themselves when they lack a loader). Arguments and results cross by
 * structured clone; what cannot (a function, a socket) fails that call with
 * `NotCloneableError` naming where it sits and what it is.
 *
 * @example
 * ```ts
 * const pool = await CpuPool.start({ threads: 2, taskTimeout: 5000 });
 * const url = new URL("./hash.ts", import.meta.url);
 * const digest = await pool.run<string>(url, "sha256", "some input");
 * for await (const r of pool.asyncStream(inputs, url, "sha256")) if (r.status === "ok") use(r.value);
 * await pool.stop();
 * ```
 */
export class CpuPool {
  /** The running pool; none before `start`, a fresh one on each start under a supervisor. */
  private running: PoolCore | undefined;

  private constructor(private readonly options: ParsedPoolOptions) {}

  /**
   * Validates `options` (throwing `InvalidOptionsError`) and returns the pool, not started: start
   * it with `start()` or supervise its `childSpec()`. Until then it takes no tasks (they fail
   * with `PoolStoppedError`).
   *
   * @example
   * ```ts
   * const pool = CpuPool.create({ threads: 2 });
   * await Supervisor.start([pool.childSpec()], { strategy: "oneForOne" });
   * await pool.run(url, "hash", input);
   * ```
   */
  static create(options?: CpuPoolOptions): CpuPool {
    return new CpuPool(parsePoolOptions(options));
  }

  /**
   * Starts the threads and resolves once each has loaded its entry. Options (see
   * {@link poolSchema} for the table): `threads` (cores), `tasksPerThread` (2), `maxQueue` (threads × 2),
   * `taskTimeout` (Infinity), `recycleAfter` (Infinity), `recycleHeapMb`, `maxHeapMb`,
   * `stopTimeout` (5000), `execArgv`, `clock`. Bad options throw `InvalidOptionsError`.
   *
   * @example
   * ```ts
   * const pool = await CpuPool.start({ threads: 4, maxQueue: 16, recycleAfter: 10_000 });
   * ```
   */
  static async start(options?: CpuPoolOptions): Promise<CpuPool> {
    return CpuPool.create(options).start();
  }

  /**
   * Starts a pool made with {@link CpuPool.create}: resolves once each thread has loaded its
   * entry, rejects (the threads stopped) when one cannot start. Starting a running pool is a
   * no-op; a stopped one starts afresh.
   *
   * @example
   * ```ts
   * const pool = await CpuPool.create({ threads: 2 }).start();
   * ```
   */
  async start(): Promise<this> {
    if (this.running !== undefined && !this.running.stopped) return this;
    const core = new PoolCore(this.options);
    this.running = core;
    try {
      await core.whenReady();
    } catch (e) {
      await core.stop(0);
      throw e;
    }
    return this;
  }

  /**
   * A child spec for a supervisor or an Application: the child starts the pool (a fresh one on
   * each restart), and stopping it stops the pool, waiting up to `stopTimeout` for running
   * tasks. `id` defaults to `"cpu-pool"`; the child's `shutdown` leaves the pool its
   * `stopTimeout` and a second more.
   *
   * @example
   * ```ts
   * const pool = CpuPool.create({ threads: 2 });
   * const sup = await Supervisor.start([pool.childSpec({ id: "hashing" })], { strategy: "oneForOne" });
   * await pool.run(url, "hash", input);
   * await Supervisor.stop(sup); // the pool stops with it
   * ```
   */
  childSpec(options?: { readonly id?: string }): ChildSpec {
    const { stopTimeout } = this.options;
    const definition: GenServer.Definition<Record<never, never>, null, undefined> = {
      init: async () => {
        if (this.running !== undefined && !this.running.stopped) await this.running.stop(0);
        await this.start();
        return null;
      },
      terminate: () => this.running?.stop(stopTimeout),
    };
    return {
      id: options?.id ?? "cpu-pool",
      start: (supervisor: Self) =>
        GenServer.startLink(supervisor, definition, undefined, { trapExit: true }),
      shutdown: stopTimeout === Number.POSITIVE_INFINITY ? "infinity" : stopTimeout + 1000,
    };
  }

  /** The number of threads. @example `pool.threads // 2` */
  get threads(): number {
    return this.options.threads;
  }

  /** The running pool; a pool not started answers as a stopped one. */
  private get core(): PoolCore {
    if (this.running === undefined) this.running = PoolCore.stopped(this.options);
    return this.running;
  }

  /**
   * Runs `exportName` of `module` with `args` on the least busy thread and resolves with what it
   * returns (awaited in the thread). Rejects with what it throws (same class for built-in
   * errors, same message, stack and fields), `PoolTaskTimeoutError`, `PoolWorkerDiedError`,
   * `ThreadModuleNotFoundError`, `ThreadExportNotFunctionError`, `ThreadModuleLoadError`,
   * `NotCloneableError` or `PoolStoppedError`. When the queue is full the call waits for room.
   * Wrap an argument in {@link transfer} to move its buffers.
   *
   * @example
   * ```ts
   * const primes = await pool.run<number>(new URL("./primes.ts", import.meta.url), "countPrimes", 100_000);
   * ```
   */
  run<R = unknown>(module: ModuleSpecifier, exportName: string, ...args: unknown[]): Promise<R> {
    let url: string;
    try {
      url = moduleUrl(module, "module");
      checkExportName(exportName, "exportName");
    } catch (e) {
      return Promise.reject(e);
    }
    const transferList = unwrapTransfers(args);
    return this.core.submit(
      url,
      exportName,
      args,
      transferList,
      this.options.taskTimeout,
      undefined,
    ) as Promise<R>;
  }

  /**
   * `run` with options: `{ module, exportName = "default", args = [], transfer, timeout, signal }`
   * (see {@link execSchema}). Aborting `signal` drops a queued task or terminates the thread of a
   * running one; the call rejects with `PoolTaskCancelledError`.
   *
   * @example
   * ```ts
   * const buf = new Float64Array(1e6);
   * const sum = await pool.exec<number>({ module: url, exportName: "sum", args: [buf], transfer: [buf.buffer], timeout: 1000 });
   * ```
   */
  exec<R = unknown>(options: ExecOptions): Promise<R> {
    let parsed: ReturnType<typeof parseExecOptions>;
    let url: string;
    try {
      parsed = parseExecOptions(options);
      url = moduleUrl(parsed.module, "module");
      checkExportName(parsed.exportName, "exportName");
    } catch (e) {
      return Promise.reject(e);
    }
    const args = [...parsed.args];
    const wrapped = unwrapTransfers(args);
    const given = parsed.transfer as TransferListItem[] | undefined;
    const transferList =
      wrapped === undefined ? given : given === undefined ? wrapped : [...given, ...wrapped];
    return this.core.submit(
      url,
      parsed.exportName,
      args,
      transferList,
      parsed.timeout ?? this.options.taskTimeout,
      parsed.signal,
    ) as Promise<R>;
  }

  /**
   * `run` in a `Task`: `Task.await`, `Task.yield` and `Task.shutdown` take the handle. Given the
   * caller's `self` the task is linked to it (Task.Supervisor.async); killing the task terminates
   * the thread running its function.
   *
   * @example
   * ```ts
   * spawn(async (self) => {
   *   const task = pool.async<number>(self, url, "countPrimes", 100_000);
   *   const count = await Task.await(task, 10_000);
   * });
   * ```
   */
  async<R = unknown>(module: ModuleSpecifier, exportName: string, ...args: unknown[]): Task<R>;
  async<R = unknown>(
    self: Self,
    module: ModuleSpecifier,
    exportName: string,
    ...args: unknown[]
  ): Task<R>;
  async(first: unknown, ...rest: unknown[]): Task<unknown> {
    const linked = !(typeof first === "string" || first instanceof URL);
    const [module, exportName, ...args] = (linked ? rest : [first, ...rest]) as [
      ModuleSpecifier,
      string,
      ...unknown[],
    ];
    const body = (t: Self) => this.exec({ module, exportName, args, signal: t.signal });
    if (!linked) return Task.async(body);
    if (typeof first !== "object" || first === null || !isPid((first as Self).pid)) {
      throw new InvalidArgumentError({
        path: "self",
        expected: "the caller's self, or a module (an absolute path or a file: URL)",
        got: first,
      });
    }
    return Task.async(first as Self, body);
  }

  /**
   * Runs `exportName` of `module` on every item (the item is its only argument), on the pool's
   * threads, and yields `{ status: "ok", value }` or `{ status: "exit", reason }` for each, in
   * input order (`ordered: true`, the default) or as they finish. At most `maxConcurrency`
   * (default: `threads × tasksPerThread`) items are between being read and being yielded, so the input
   * is read as fast as results are taken. Breaking out of the loop drops the queued items and
   * terminates the threads of the running ones. Options: {@link streamSchema}.
   *
   * @example
   * ```ts
   * let total = 0;
   * for await (const r of pool.asyncStream(numbers, url, "countPrimes", { ordered: false })) {
   *   if (r.status === "ok") total += r.value as number;
   * }
   * ```
   */
  asyncStream<I, R = unknown>(
    items: PoolStreamInput<I>,
    module: ModuleSpecifier,
    exportName: string,
    options?: PoolStreamOptions,
  ): AsyncIterable<TaskResult<R>> {
    if (!isStreamInput(items)) {
      throw new InvalidArgumentError({
        path: "items",
        expected: "an iterable or async iterable",
        got: items,
      });
    }
    const url = moduleUrl(module, "module");
    checkExportName(exportName, "exportName");
    const parsed = parseStreamOptions(options);
    const timeout = parsed.timeout ?? this.options.taskTimeout;
    const core = this.core;
    const run = (item: unknown, signal: AbortSignal) => {
      const args = [item];
      return core.submit(url, exportName, args, unwrapTransfers(args), timeout, signal);
    };
    const { threads, tasksPerThread } = this.options;
    const concurrency = parsed.maxConcurrency ?? threads * tasksPerThread;
    return {
      [Symbol.asyncIterator]: () =>
        streamResults(items, run, concurrency, parsed.ordered) as AsyncGenerator<TaskResult<R>>,
    };
  }

  /** Counters: threads, busy, queued, waiting, completed, failed, replaced. @example `pool.stats().queued` */
  stats(): PoolStats {
    return this.core.stats();
  }

  /**
   * Stops the pool: tasks given from now on and queued ones fail with `PoolStoppedError`;
   * running ones may finish within `timeout` ms (default: the pool's `stopTimeout`), then every
   * thread is terminated. Resolves once all threads have exited.
   *
   * @example
   * ```ts
   * await pool.stop({ timeout: 1000 });
   * ```
   */
  stop(options?: { timeout?: number }): Promise<void> {
    return this.core.stop(options?.timeout ?? this.options.stopTimeout);
  }
}
