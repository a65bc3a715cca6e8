/**
 * Pipelines on every core: a `ThreadedHandler` (the pipeline's contract) over a CPU pool, for a
 * processor group's `threads` option.
 */
import type { ThreadedHandler, ThreadedResult } from "../pipeline/index.js";
import { moduleUrl } from "./load.js";
import { CpuPool } from "./pool/index.js";

const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const runner = new URL(`./pipeline-worker${extension}`, import.meta.url).href;

/** Options of {@link threadedHandler}. */
export interface ThreadedHandlerOptions {
  /** The module holding the function: an absolute path or a `file:` URL. */
  readonly module: string | URL;
  /** The function's export name: `(data, metadata) => newData`, sync or async. */
  readonly export: string;
  /** Worker threads. Default: the pool's (one per core). */
  readonly threads?: number;
  /** A chunk running longer is stopped (its thread replaced) and its messages fail. */
  readonly taskTimeout?: number;
}

/**
 * Runs `module`'s export on each message's data in worker threads, for a processor group's
 * `threads` option: the data it returns replaces the message's, a throw fails that message.
 * Each processor hands over its chunk and waits for it, so per-partition order and
 * exactly-once acknowledgement hold as without threads. The pool starts with the processors
 * and stops when the pipeline stops.
 *
 * @example
 * ```ts
 * // not runnable: the module is the user's
 * const pipeline = await Pipeline.start({
 *   producer: { module: Pipeline.fromIterable(images) },
 *   processors: {
 *     default: { concurrency: 4, threads: threadedHandler({ module: new URL("./resize.ts", import.meta.url), export: "resize" }) },
 *   },
 * });
 * ```
 */
export function threadedHandler(options: ThreadedHandlerOptions): ThreadedHandler {
  const module = moduleUrl(options.module, options.export);
  let pool: Promise<CpuPool> | undefined;
  return {
    start() {
      pool ??= CpuPool.start({
        ...(options.threads === undefined ? {} : { threads: options.threads }),
        ...(options.taskTimeout === undefined ? {} : { taskTimeout: options.taskTimeout }),
      });
      return pool.then(() => undefined);
    },
    async run(items) {
      if (pool === undefined) throw new Error("threadedHandler: run before start");
      return (await pool).run<ThreadedResult[]>(runner, "runChunk", module, options.export, items);
    },
    async stop() {
      const running = pool;
      pool = undefined;
      if (running !== undefined) await (await running).stop();
    },
  };
}
