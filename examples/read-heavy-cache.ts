/**
 * A read-heavy cache three ways: a Table, an Agent and a GenServer. Many reads of a few hot keys,
 * few loads from a slow source.
 *
 * - Table: a GenServer owns the table and is the only writer (the table is `protected`); readers
 *   look keys up in the table directly, with a plain synchronous call and no message. Only a miss
 *   goes to the owner, which loads the value once and inserts it. If the owner crashes, the
 *   table goes with it (or to its heir): the cache never outlives the process responsible for it.
 * - Agent: the cache is the agent's state; every read is a message and a reply.
 * - GenServer: the same with a declared protocol; every read is a call.
 *
 * The three give the same answers; they differ in what a read costs. The benchmark
 * `npm run bench -- cache-read` measures it.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/read-heavy-cache.ts`
 */
import { pathToFileURL } from "node:url";
import { Agent, GenServer, reply, type Server, Table } from "beamish";

// --- the slow source, faked --------------------------------------------------------------------

let loads = 0;
function loadPrice(sku: number): number {
  loads++;
  return (sku * 7919) % 1000;
}

// --- Table: readers read the table; the owner loads misses ---------------------------------------

interface PriceOwner {
  calls: { load(sku: number): number };
}

const priceOwner: GenServer.Definition<PriceOwner, Table<number, number>, string> = {
  init: (name, self) => Table.create<number, number>(self, { name }),
  handleCall: {
    load: (sku, _from, table) => {
      // Another reader may have asked for the same key first: load each key once.
      let price = table.lookup(sku);
      if (price === undefined) {
        price = loadPrice(sku);
        table.insert(sku, price);
      }
      return reply(price, table);
    },
  },
};

/** A reader's view of the table cache: a lookup, and a call to the owner on a miss. */
function tableCache(owner: Server<PriceOwner>, name: string) {
  const table = Table.whereis<number, number>(name);
  if (table === undefined) throw new Error(`no table ${name}`);
  return (sku: number): number | Promise<number> =>
    table.lookup(sku) ?? GenServer.call(owner, "load", sku);
}

// --- Agent: the cache is the agent's state ------------------------------------------------------

async function agentCache() {
  const agent = await Agent.start(() => new Map<number, number>());
  const get = async (sku: number): Promise<number> => {
    const cached = await Agent.get(agent, (m) => m.get(sku));
    if (cached !== undefined) return cached;
    return Agent.getAndUpdate(agent, (m) => {
      const price = m.get(sku) ?? loadPrice(sku);
      return [price, m.set(sku, price)] as const;
    });
  };
  return { get, stop: () => Agent.stop(agent) };
}

// --- GenServer: every read is a call ------------------------------------------------------------

interface PriceServer {
  calls: { get(sku: number): number };
}

const priceServer: GenServer.Definition<PriceServer, Map<number, number>, undefined> = {
  init: () => new Map(),
  handleCall: {
    get: (sku, _from, cache) => {
      let price = cache.get(sku);
      if (price === undefined) {
        price = loadPrice(sku);
        cache.set(sku, price);
      }
      return reply(price, cache);
    },
  },
};

// --- the workload ---------------------------------------------------------------------------------

/** Deterministic keys: `count` reads among `keys` keys, skewed to a few hot ones. */
function readPattern(count: number, keys: number): number[] {
  let seed = 42;
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const r = seed / 2 ** 31;
    out.push(Math.floor(r * r * keys));
  }
  return out;
}

/** What one cache computed: the sum of the prices read, and the loads from the source. */
export interface CacheRun {
  readonly sum: number;
  readonly loads: number;
  readonly ms: number;
}

async function run(
  get: (sku: number) => number | Promise<number>,
  skus: number[],
): Promise<CacheRun> {
  loads = 0;
  const start = performance.now();
  let sum = 0;
  for (const sku of skus) {
    // A table hit is a plain value: awaiting only the misses keeps hits synchronous.
    const price = get(sku);
    sum += typeof price === "number" ? price : await price;
  }
  return { sum, loads, ms: performance.now() - start };
}

/** Runs the same reads through each cache and returns what each computed. */
export async function main(
  log: (line: string) => void = console.log,
  reads = 100_000,
  keys = 1_000,
): Promise<{ table: CacheRun; agent: CacheRun; genserver: CacheRun }> {
  const skus = readPattern(reads, keys);

  const owner = await GenServer.start(priceOwner, "prices");
  const table = await run(tableCache(owner, "prices"), skus);
  await GenServer.stop(owner);
  // The owner is gone, and so is its table.
  if (Table.whereis("prices") !== undefined) throw new Error("the table outlived its owner");

  const agentCacheInstance = await agentCache();
  const agent = await run(agentCacheInstance.get, skus);
  await agentCacheInstance.stop();

  const server = await GenServer.start(priceServer, undefined);
  const genserver = await run((sku) => GenServer.call(server, "get", sku), skus);
  await GenServer.stop(server);

  for (const [name, r] of Object.entries({ table, agent, genserver })) {
    log(`${name.padEnd(9)} ${reads} reads, ${r.loads} loads, sum ${r.sum}, ${r.ms.toFixed(1)} ms`);
  }
  return { table, agent, genserver };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
