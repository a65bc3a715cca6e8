/**
 * The PartitionSupervisor pattern with a partition on every core: keyed work spread over worker
 * threads, each key's events handled in order by one GenServer, the cores used in parallel.
 *
 * - `Cluster.start()`: one worker thread (node) per core, each with its own scheduler.
 * - `onThreads({ kind: "genServer", module, export })`: the `child` of a PartitionSupervisor
 *   that starts partition `i` on thread `i`, from the definition this very module exports (code
 *   on another thread is named by module and export, never by closure).
 * - `PartitionSupervisor.via("ledgers", account)` routes an account to its partition, wherever
 *   it runs; `GenServer.cast`/`call` cross threads as they cross processes.
 * - A thread that dies takes its partition with it (`"noconnection"`); the supervisor restarts
 *   the partition on the fresh thread.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/partition-on-every-core.ts`
 */
import { createHash } from "node:crypto";
import { pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { GenServer, PartitionSupervisor, reply } from "beamish";
import { Cluster, onThreads } from "beamish/threads";

/** One event of the feed: the `seq`-th movement of `account`, signed by its sender. */
export interface Payment {
  readonly account: string;
  readonly seq: number;
  readonly amount: number;
  readonly signature: string;
}

export interface Ledger {
  calls: { stats(): LedgerStats };
  casts: { apply(payment: Payment): void };
}

export interface LedgerStats {
  readonly partition: number;
  readonly thread: number;
  readonly applied: number;
  /** Events that arrived after a later event of the same account: always 0. */
  readonly outOfOrder: number;
  readonly badSignatures: number;
  readonly balances: Record<string, number>;
}

interface LedgerState {
  readonly partition: number;
  readonly seqs: Map<string, number>;
  readonly balances: Map<string, number>;
  applied: number;
  outOfOrder: number;
  badSignatures: number;
}

/** The CPU-bound part: checking a payment's signature (a few rounds of SHA-256). */
export function sign(account: string, seq: number, amount: number): string {
  let digest = `${account}:${seq}:${amount}`;
  for (let i = 0; i < 50; i++) digest = createHash("sha256").update(digest).digest("hex");
  return digest;
}

/** A partition's ledger: loaded by path in its worker thread. */
export const ledger: GenServer.Definition<Ledger, LedgerState, number> = {
  init: (partition) => ({
    partition,
    seqs: new Map(),
    balances: new Map(),
    applied: 0,
    outOfOrder: 0,
    badSignatures: 0,
  }),
  handleCast: {
    apply: (payment, state) => {
      if (sign(payment.account, payment.seq, payment.amount) !== payment.signature) {
        state.badSignatures++;
        return state;
      }
      const last = state.seqs.get(payment.account) ?? 0;
      if (payment.seq !== last + 1) state.outOfOrder++;
      state.seqs.set(payment.account, payment.seq);
      state.balances.set(
        payment.account,
        (state.balances.get(payment.account) ?? 0) + payment.amount,
      );
      state.applied++;
      return state;
    },
  },
  handleCall: {
    stats: (_, _from, state, self) =>
      reply(
        {
          partition: state.partition,
          thread: self.pid.node,
          applied: state.applied,
          outOfOrder: state.outOfOrder,
          badSignatures: state.badSignatures,
          balances: Object.fromEntries(state.balances),
        },
        state,
      ),
  },
};

const accounts = Array.from({ length: 32 }, (_, i) => `account-${i}`);

/**
 * Starts the cluster and the ledgers, feeds `rounds` payments per account, and returns every
 * partition's stats; `threads` defaults to one per core.
 */
export async function main(
  log: (line: string) => void = console.log,
  rounds = 50,
  threads?: number,
): Promise<LedgerStats[]> {
  await Cluster.start(threads === undefined ? {} : { threads });
  try {
    const partitions = Cluster.nodes().length;
    const sup = await PartitionSupervisor.start({
      name: "ledgers",
      partitions,
      child: onThreads({ kind: "genServer", module: import.meta.url, export: "ledger" }),
    });
    const ledgerOf = (account: string) =>
      GenServer.named<Ledger>(PartitionSupervisor.via("ledgers", account));
    const started = performance.now();
    for (let seq = 1; seq <= rounds; seq++) {
      for (const account of accounts) {
        const amount = seq % 7;
        GenServer.cast(ledgerOf(account), "apply", {
          account,
          seq,
          amount,
          signature: sign(account, seq, amount),
        });
      }
    }
    const stats: LedgerStats[] = [];
    for (let i = 0; i < partitions; i++) {
      // The partition of `i` is `i`: its call comes after every cast sent to it.
      stats.push(
        await GenServer.call(
          ledgerOf(accounts.find((a) => PartitionSupervisor.partitionFor(sup, a) === i) as string),
          "stats",
        ),
      );
    }
    const ms = performance.now() - started;
    for (const s of stats) {
      log(
        `partition ${s.partition} on node ${s.thread}: ${s.applied} payments, ${s.outOfOrder} out of order`,
      );
    }
    log(`${rounds * accounts.length} payments on ${partitions} threads in ${ms.toFixed(0)} ms`);
    await PartitionSupervisor.stop(sup);
    return stats;
  } finally {
    await Cluster.stop();
  }
}

if (isMainThread && import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  await main();
}
