/**
 * CPU-bound work on every core: a proof-of-work search (find a nonce whose hash starts with
 * `difficulty` zero bits) over a batch of blocks, run on a CpuPool.
 *
 * - The function runs on worker threads, named by module and export: this very file is the
 *   module (threads load it with its top level guarded by `isMainThread`).
 * - `asyncStream` keeps at most `maxConcurrency` blocks in flight (default: one per thread) and
 *   yields results in input order; a failed block is a `{ status: "exit", reason }` result, not
 *   a crash of the loop.
 * - One block is too hard: `taskTimeout` stops it for real (its thread is terminated and
 *   replaced, so it does not keep burning a core) and its result is `PoolTaskTimeoutError`.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/cpu-pool.ts`
 */
import { pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { isBeamishError } from "beamish";
import { CpuPool } from "beamish/threads";

/** A block to seal. */
export interface Block {
  readonly id: string;
  readonly data: string;
  /** Leading zero bits the hash must have. */
  readonly difficulty: number;
}

/** A 32-bit FNV-1a hash of `text` and `nonce`. */
export function hash(text: string, nonce: number): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  for (let shift = 0; shift < 32; shift += 8)
    h = Math.imul(h ^ ((nonce >>> shift) & 0xff), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return h >>> 0;
}

/** Runs on a worker thread: the first nonce whose hash has `difficulty` leading zero bits. */
export function seal(block: Block): { id: string; nonce: number } {
  const limit = 2 ** (32 - block.difficulty);
  for (let nonce = 0; ; nonce++) {
    if (hash(block.data, nonce) < limit) return { id: block.id, nonce };
  }
}

/** What {@link main} reports. */
export interface SealReport {
  readonly sealed: Array<{ id: string; nonce: number }>;
  readonly timedOut: string[];
}

/** Seals a batch of blocks on every core, giving each at most `timeout` ms. */
export async function main(
  log: (line: string) => void = console.log,
  timeout = 2000,
): Promise<SealReport> {
  const blocks: Block[] = [
    ...Array.from({ length: 12 }, (_, i) => ({ id: `b${i}`, data: `block ${i}`, difficulty: 14 })),
    // 32 zero bits: no 32-bit hash below 1, so this search never ends on its own.
    { id: "impossible", data: "block x", difficulty: 32 },
  ];
  const pool = await CpuPool.start({ taskTimeout: timeout });
  const report: SealReport = { sealed: [], timedOut: [] };
  try {
    const results = pool.asyncStream<Block, { id: string; nonce: number }>(
      blocks,
      import.meta.url,
      "seal",
    );
    let index = 0;
    for await (const result of results) {
      const block = blocks[index++] as Block;
      if (result.status === "ok") report.sealed.push(result.value);
      else if (isBeamishError(result.reason, "ERR_POOL_TASK_TIMEOUT"))
        report.timedOut.push(block.id);
      else throw result.reason;
    }
    log(`sealed ${report.sealed.length} of ${blocks.length} blocks on ${pool.threads} threads`);
    log(`timed out: ${report.timedOut.join(", ") || "none"}`);
    log(`threads replaced after timeouts: ${pool.stats().replaced}`);
  } finally {
    await pool.stop();
  }
  return report;
}

if (isMainThread && import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
