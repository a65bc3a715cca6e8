/**
 * The local cluster: the main thread (node 0) and one node per worker thread. It starts the
 * workers, connects every pair of nodes, notices a worker that died (an uncaught error,
 * `process.exit`, running out of memory) and tells every other node so that links and monitors
 * on its processes fire with `"noconnection"`, then starts a fresh thread in its place under a
 * new node number.
 */
import { availableParallelism } from "node:os";
import { MessageChannel, type MessagePort, type ResourceLimits, Worker } from "node:worker_threads";
import { invalidArgument } from "../kernel/errors.js";
import { currentRuntime, type Runtime, setCurrentRuntime } from "../kernel/runtime.js";
import { NodeTransport } from "./node.js";
import { spawnHandler } from "./spawn.js";
import type { WorkerData } from "./worker-main.js";

/** Options of {@link Cluster.start}. */
export interface ClusterOptions {
  /** How many worker threads (nodes); default: the number of cores. */
  readonly threads?: number;
  /** Heap limits of each worker (`resourceLimits` of `node:worker_threads`). */
  readonly resourceLimits?: ResourceLimits;
  /** Node flags of the workers; default: the main thread's (`--import tsx` carries over). */
  readonly execArgv?: string[];
  /** Start a fresh thread in place of one that died; default true. */
  readonly replace?: boolean;
}

interface Slot {
  node: number;
  worker: Worker | null;
  ready: Promise<number>;
}

const extension = import.meta.url.endsWith(".ts") ? ".ts" : ".js";
const entry = new URL(`./worker-main${extension}`, import.meta.url).href;

// The worker's first code is plain JavaScript. Module hooks of the main thread (`--import tsx`)
// do not reach a worker on Node 20, and a failed import stays failed, so a TypeScript entry
// registers tsx before it is imported.
const bootstrap = `
const { workerData } = require("node:worker_threads");
const b = workerData.beamish;
(async () => {
  if (/\\.[cm]?ts$/.test(b.entry)) {
    if (b.tsx === null) throw new Error("beamish/threads: " + b.entry + " is TypeScript and the worker has no TypeScript loader: install tsx");
    (await import(b.tsx)).register();
  }
  await import(b.entry);
})().catch((error) => { process.nextTick(() => { throw error; }); });
`;

function tsxApi(): string | null {
  try {
    return import.meta.resolve("tsx/esm/api");
  } catch {
    return null;
  }
}

const clusters = new WeakMap<Runtime, LocalCluster>();

class LocalCluster {
  readonly slots: Slot[] = [];
  private nextNode = 1;
  private stopping = false;
  private nextAny = 0;
  private readonly tsx = tsxApi();

  constructor(
    readonly runtime: Runtime,
    readonly transport: NodeTransport,
    private readonly options: ClusterOptions,
  ) {}

  startSlot(index: number): Promise<number> {
    const node = this.nextNode++;
    const peers: Array<{ node: number; port: MessagePort }> = [];
    const theirs: Array<{ slot: Slot; port: MessagePort }> = [];
    for (const slot of this.slots) {
      if (slot === undefined || slot.worker === null) continue;
      const channel = new MessageChannel();
      peers.push({ node: slot.node, port: channel.port1 });
      theirs.push({ slot, port: channel.port2 });
    }
    const data: WorkerData = { node, entry, tsx: this.tsx, peers };
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: { beamish: data },
      transferList: peers.map((p) => p.port),
      ...(this.options.execArgv === undefined ? {} : { execArgv: this.options.execArgv }),
      ...(this.options.resourceLimits === undefined
        ? {}
        : { resourceLimits: this.options.resourceLimits }),
    });
    for (const { slot, port } of theirs) {
      slot.worker?.postMessage({ connect: { node, port } }, [port]);
    }
    this.transport.connect(node, worker);
    let markReady: (node: number) => void = () => {};
    let failStart: (error: unknown) => void = () => {};
    const slot: Slot = {
      node,
      worker,
      ready: new Promise<number>((resolve, reject) => {
        markReady = resolve;
        failStart = reject;
      }),
    };
    slot.ready.catch(() => {});
    this.slots[index] = slot;
    let started = false;
    let failure: unknown;
    worker.on("message", (message: unknown) => {
      if (Array.isArray(message)) {
        // Batches are applied in this cluster's runtime, whatever runtime is current now.
        const previous = setCurrentRuntime(this.runtime);
        try {
          this.transport.receive(node, message);
        } finally {
          setCurrentRuntime(previous);
        }
      } else if ((message as { ready?: number }).ready === node) {
        started = true;
        markReady(node);
      }
    });
    worker.on("error", (error) => {
      failure = error;
    });
    worker.on("exit", (code) => {
      slot.worker = null;
      const previous = setCurrentRuntime(this.runtime);
      try {
        this.transport.nodeDown(node);
      } finally {
        setCurrentRuntime(previous);
      }
      for (const other of this.slots) other?.worker?.postMessage({ down: node });
      if (!started) {
        failStart(
          failure ??
            new Error(`worker thread of node ${node} exited with code ${code} before it started`),
        );
        return;
      }
      if (!this.stopping && this.options.replace !== false && this.slots[index] === slot) {
        this.startSlot(index).catch(() => {});
      }
    });
    return slot.ready;
  }

  /** The node of `placement`: a slot index (modulo the number of threads) or `"any"`. */
  async nodeFor(placement: number | "any"): Promise<number> {
    const count = this.slots.length;
    const index = placement === "any" ? this.nextAny++ % count : placement % count;
    for (let attempt = 0; attempt < 3; attempt++) {
      const slot = this.slots[index] as Slot;
      const node = await slot.ready;
      if (this.transport.has(node)) return node;
      // Died since: its replacement is starting (or the cluster is stopping).
      await new Promise((resolve) => setImmediate(resolve));
    }
    throw new Error(`no live thread for placement ${String(placement)}`);
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(
      this.slots.map(async (slot) => {
        const worker = slot.worker;
        if (worker === null) return;
        const exited = new Promise((resolve) => worker.once("exit", resolve));
        await worker.terminate();
        await exited;
      }),
    );
    this.transport.close();
    if (this.runtime.transport === this.transport) this.runtime.transport = null;
  }
}

function clusterOf(what: string): LocalCluster {
  const cluster = clusters.get(currentRuntime());
  if (cluster === undefined) {
    throw new Error(`${what}: no cluster is running (call Cluster.start() on the main thread)`);
  }
  return cluster;
}

/** @internal The node for a child spec's placement. */
export function nodeFor(placement: number | "any"): Promise<number> {
  try {
    return clusterOf("placement").nodeFor(placement);
  } catch (error) {
    return Promise.reject(error);
  }
}

/**
 * Starts `threads` worker threads (default: one per core), each a node with its own scheduler,
 * and connects them with the main thread (node 0) and with each other. Resolves once every
 * worker is ready. A worker that dies is replaced by a fresh thread (a new node number) unless
 * `replace` is false.
 *
 * @example
 * ```ts
 * await Cluster.start({ threads: 2 });
 * Cluster.nodes(); // [1, 2]
 * await Cluster.stop();
 * ```
 */
async function start(options: ClusterOptions = {}): Promise<number[]> {
  const runtime = currentRuntime();
  if (clusters.has(runtime)) throw new Error("Cluster.start: a cluster is already running");
  const threads = options.threads ?? availableParallelism();
  if (!Number.isInteger(threads) || threads < 1) {
    invalidArgument("threads", "a positive integer", threads);
  }
  if (runtime.transport !== null) throw new Error("Cluster.start: this runtime has a transport");
  const transport = new NodeTransport(runtime);
  transport.spawnHandler = spawnHandler(runtime);
  runtime.transport = transport;
  const cluster = new LocalCluster(runtime, transport, options);
  clusters.set(runtime, cluster);
  const starting: Array<Promise<number>> = [];
  for (let i = 0; i < threads; i++) starting.push(cluster.startSlot(i));
  try {
    return await Promise.all(starting);
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Terminates every worker thread of the cluster: their processes' links and monitors fire with
 * `"noconnection"` on the main thread. Resolves once the threads have exited.
 *
 * @example
 * ```ts
 * await Cluster.stop();
 * ```
 */
async function stop(): Promise<void> {
  const runtime = currentRuntime();
  const cluster = clusters.get(runtime);
  if (cluster === undefined) return;
  clusters.delete(runtime);
  await cluster.stop();
}

/**
 * The node numbers of the live worker threads, in slot order.
 *
 * @example
 * ```ts
 * const [first] = Cluster.nodes();
 * ```
 */
function nodes(): number[] {
  const cluster = clusters.get(currentRuntime());
  if (cluster === undefined) return [];
  return cluster.slots.filter((s) => s.worker !== null).map((s) => s.node);
}

/**
 * The worker `Worker` of `node`, for what only Node's API offers (its `threadId`, heap
 * snapshots); `undefined` when that node is not a live worker of this cluster.
 *
 * @example
 * ```ts
 * Cluster.worker(node)?.threadId;
 * ```
 */
function worker(node: number): Worker | undefined {
  const cluster = clusters.get(currentRuntime());
  return cluster?.slots.find((s) => s.node === node)?.worker ?? undefined;
}

/**
 * The local cluster of worker threads: `start`, `stop`, `nodes`, `worker`.
 *
 * @example
 * ```ts
 * await Cluster.start({ threads: 4 });
 * try { ... } finally { await Cluster.stop(); }
 * ```
 */
export const Cluster = { start, stop, nodes, worker };
