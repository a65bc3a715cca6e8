/**
 * @internal Runs inside a CPU pool thread for a pipeline's threaded processors: the user's
 * function over one processor's chunk, in order, each item's throw kept as that item's result.
 */
import type { ThreadedResult } from "../pipeline/index.js";
import { loadExport } from "./load.js";

type ItemFunction = (data: unknown, metadata: Readonly<Record<string, unknown>>) => unknown;

export async function runChunk(
  module: string,
  exportName: string,
  items: readonly {
    readonly data: unknown;
    readonly metadata: Readonly<Record<string, unknown>>;
  }[],
): Promise<ThreadedResult[]> {
  const fn = (await loadExport(module, exportName)) as ItemFunction;
  if (typeof fn !== "function") {
    throw new TypeError(`export "${exportName}" of ${module} is not a function`);
  }
  const results: ThreadedResult[] = new Array(items.length);
  for (let i = 0; i < items.length; i++) {
    const item = items[i] as (typeof items)[number];
    try {
      let data = fn(item.data, item.metadata);
      if (typeof (data as PromiseLike<unknown>)?.then === "function") data = await data;
      results[i] = { ok: true, data };
    } catch (error) {
      results[i] = { ok: false, error };
    }
  }
  return results;
}
