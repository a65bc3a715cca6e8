/**
 * Spreading keyed work over a PartitionSupervisor, so that each key's events are handled in
 * order, by one process, while different keys are handled by different processes.
 *
 * A payment feed carries events for many accounts. One GenServer for all of them would be a
 * bottleneck; one per account, too many processes. A PartitionSupervisor runs N ledgers (one per
 * core by default) and routes every account to one of them by a stable hash of its id:
 *
 * - `PartitionSupervisor.start({ name: "ledgers", partitions, child: (i) => spec })`: ledger `i`
 *   is started (and restarted) with its index `i`.
 * - `PartitionSupervisor.via("ledgers", account)`: a via-name for "the ledger owning this
 *   account", given to `GenServer.cast`/`call` like any name. Messages from one sender to one
 *   process arrive in the order sent, so an account's events reach its ledger in order.
 * - A ledger that crashes is restarted with the same index, and the same accounts route to it.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/partitioned-work.ts`
 */
import { pathToFileURL } from "node:url";
import { exit, GenServer, PartitionSupervisor, type Pid, reply, Supervisor, Task } from "beamish";

/** One event of the feed: the `seq`-th movement of `account`. */
interface Payment {
  readonly account: string;
  readonly seq: number;
  readonly amount: number;
}

interface Ledger {
  calls: { balance(account: string): number; stats(): LedgerStats };
  casts: { apply(payment: Payment): void };
}

interface LedgerStats {
  readonly partition: number;
  readonly accounts: string[];
  /** Events that arrived after a later event of the same account: always 0. */
  readonly outOfOrder: number;
}

interface LedgerState {
  readonly partition: number;
  readonly balances: Map<string, { seq: number; balance: number }>;
  outOfOrder: number;
}

const ledger: GenServer.Definition<Ledger, LedgerState, number> = {
  init: (partition) => ({ partition, balances: new Map(), outOfOrder: 0 }),
  handleCast: {
    apply: (payment, state) => {
      const entry = state.balances.get(payment.account) ?? { seq: 0, balance: 0 };
      // A ledger restarted after a crash starts empty: it takes the account from where it is.
      if (entry.seq !== 0 && payment.seq !== entry.seq + 1) state.outOfOrder++;
      state.balances.set(payment.account, {
        seq: payment.seq,
        balance: entry.balance + payment.amount,
      });
      return state;
    },
  },
  handleCall: {
    balance: (account, _from, state) => reply(state.balances.get(account)?.balance ?? 0, state),
    stats: (_, _from, state) =>
      reply(
        {
          partition: state.partition,
          accounts: [...state.balances.keys()].sort(),
          outOfOrder: state.outOfOrder,
        },
        state,
      ),
  },
};

const accounts = ["alice", "bob", "carol", "dave", "erin", "frank", "grace", "heidi"];

/** The ledger that owns `account`, as a typed via-name. */
const ledgerOf = (account: string) =>
  GenServer.named<Ledger>(PartitionSupervisor.via("ledgers", account));

/** Sends `rounds` payments per account, accounts interleaved, in sequence order. */
function feed(rounds: number, firstSeq: number): void {
  for (let round = 0; round < rounds; round++) {
    for (const [i, account] of accounts.entries()) {
      GenServer.cast(ledgerOf(account), "apply", { account, seq: firstSeq + round, amount: i + 1 });
    }
  }
}

/** What {@link main} reports. */
export interface PartitionedResult {
  /** Per ledger: its index and the accounts it handled, none handled twice. */
  readonly ledgers: LedgerStats[];
  /** Every account was handled by the ledger `partitionFor` names. */
  readonly routedAsComputed: boolean;
  readonly balances: Record<string, number>;
  /** After its ledger was killed: the same partition index, a new pid, the account's new total. */
  readonly afterCrash: {
    partition: number;
    samePartition: boolean;
    newPid: boolean;
    balance: number;
  };
}

export async function main(log: (line: string) => void = console.log): Promise<PartitionedResult> {
  const sup = await PartitionSupervisor.start({
    name: "ledgers",
    partitions: 4,
    child: (partition) => Supervisor.genServer("ledger", ledger, partition),
  });

  // The feed is one process, so each account's events leave in order and arrive in order.
  await Task.await(Task.async(() => feed(10, 1)));

  const ledgers: LedgerStats[] = [];
  for (const { pid } of await PartitionSupervisor.whichChildren(sup)) {
    ledgers.push(await GenServer.call(GenServer.server<Ledger>(pid as Pid), "stats"));
  }
  const routedAsComputed = ledgers.every((l) =>
    l.accounts.every((a) => PartitionSupervisor.partitionFor(sup, a) === l.partition),
  );
  const balances: Record<string, number> = {};
  for (const account of accounts) {
    balances[account] = await GenServer.call(ledgerOf(account), "balance", account);
  }
  for (const l of ledgers) log(`ledger ${l.partition}: ${l.accounts.join(", ") || "(idle)"}`);

  // Crash the ledger that owns carol: it comes back with the same index and the same accounts.
  const before = PartitionSupervisor.whichPartition(sup, "carol") as Pid;
  exit(before, "kill");
  let after = PartitionSupervisor.whichPartition(sup, "carol");
  while (after === undefined || after.equals(before)) {
    await new Promise((resolve) => setImmediate(resolve));
    after = PartitionSupervisor.whichPartition(sup, "carol");
  }
  await Task.await(Task.async(() => feed(1, 11)));
  const stats = await GenServer.call(ledgerOf("carol"), "stats");
  const afterCrash = {
    partition: stats.partition,
    samePartition: stats.partition === PartitionSupervisor.partitionFor(sup, "carol"),
    newPid: !after.equals(before),
    balance: await GenServer.call(ledgerOf("carol"), "balance", "carol"),
  };
  log(`carol's ledger ${before} was killed; partition ${stats.partition} now runs as ${after}`);

  await PartitionSupervisor.stop(sup);
  return { ledgers, routedAsComputed, balances, afterCrash };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
