/**
 * Ordered processing per key with the partition dispatcher.
 *
 * A feed of account movements must be applied in order per account (a withdrawal is refused
 * when the balance does not cover it, so the order changes the outcome), yet the feed is too
 * big for one consumer. The producer uses a PartitionDispatcher keyed by account:
 *
 * - `new PartitionDispatcher({ partitions: 4, key: (m) => m.account })`: every movement of one
 *   account goes to the same partition (a stable hash of the account), in the order emitted;
 * - one consumer per partition (`subscribeTo: [{ to: feed, partition: i }]`), so the accounts are
 *   spread over 4 consumers working side by side, each at its own pace (here, each takes a
 *   different time per batch), and still each account's movements are applied in order;
 * - a partition whose consumer is busy keeps its movements queued in the dispatcher: none is
 *   lost, none overtakes another.
 *
 * The result is checked against applying the whole feed in order in one loop.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/stage-ordered-per-key.ts`
 */
import { pathToFileURL } from "node:url";
import { GenStage, PartitionDispatcher, type Pid, reply, send, Task } from "beamish";

/** The `seq`-th movement of `account` (1, 2, ...): a deposit (> 0) or a withdrawal (< 0). */
interface Movement {
  readonly account: string;
  readonly seq: number;
  readonly amount: number;
}

const ACCOUNTS = Array.from({ length: 8 }, (_, i) => `acct-${i + 1}`);
const PARTITIONS = 4;

/** 160 movements over 8 accounts, pseudo-random but the same in every run. */
function feed(): Movement[] {
  const seqs = new Map<string, number>();
  let x = 42;
  const random = (n: number) => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) % n;
  };
  return Array.from({ length: 160 }, () => {
    const account = ACCOUNTS[random(ACCOUNTS.length)] as string;
    const seq = (seqs.get(account) ?? 0) + 1;
    seqs.set(account, seq);
    const amount = (random(2) === 0 ? 1 : -1) * (10 + random(90));
    return { account, seq, amount };
  });
}

/** One account's book: its balance, the last movement applied, what was refused. */
interface Book {
  balance: number;
  lastSeq: number;
  refused: number;
}

/** Applies `m` to `books`: a withdrawal that the balance does not cover is refused. */
function apply(books: Map<string, Book>, m: Movement): boolean {
  const book = books.get(m.account) ?? { balance: 0, lastSeq: 0, refused: 0 };
  books.set(m.account, book);
  const inOrder = m.seq === book.lastSeq + 1;
  book.lastSeq = m.seq;
  if (book.balance + m.amount < 0) book.refused++;
  else book.balance += m.amount;
  return inOrder;
}

interface LedgerState {
  readonly partition: number;
  readonly books: Map<string, Book>;
  outOfOrder: number;
}

/** The consumer of one partition: applies movements, telling `owner` how many it applied. */
function ledger(owner: Pid, feedPid: Pid, partition: number) {
  const definition: GenStage.Definition<Movement, never, LedgerState, undefined> = {
    init: () =>
      GenStage.consumer(
        { partition, books: new Map(), outOfOrder: 0 },
        { subscribeTo: [{ to: feedPid, partition, maxDemand: 8, minDemand: 2 }] },
      ),
    handleEvents: async (movements, _from, state, self) => {
      // Partitions work at different paces: the order per account must not depend on it.
      await self.sleep(1 + partition);
      for (const m of movements) if (!apply(state.books, m)) state.outOfOrder++;
      send(owner, { applied: movements.length });
      return state;
    },
    handleCall: (_request, _arg, _from, state) => reply(state, state),
  };
  return definition;
}

/** What the example found, for its test. */
export interface OrderedResult {
  readonly movements: number;
  /** Partitions that got at least one account. */
  readonly partitionsUsed: number;
  /** Movements that reached their ledger after a later one of the same account: 0. */
  readonly outOfOrder: number;
  /** Each account's balance and refused withdrawals agree with applying the feed in one loop. */
  readonly sameAsSequential: boolean;
  readonly balances: Record<string, number>;
  readonly refused: number;
}

export async function main(log: (line: string) => void = console.log): Promise<OrderedResult> {
  const movements = feed();
  const run = Task.async(async (self): Promise<OrderedResult> => {
    const producer = await GenStage.start(
      {
        init: () =>
          GenStage.producer(0, {
            dispatcher: new PartitionDispatcher<Movement>({
              partitions: PARTITIONS,
              key: (m) => m.account,
            }),
          }),
        handleDemand: (demand, next: number) => {
          const batch = movements.slice(next, next + demand);
          return GenStage.emit(batch, next + batch.length);
        },
      },
      undefined,
    );
    const ledgers: Pid[] = [];
    for (let partition = 0; partition < PARTITIONS; partition++) {
      ledgers.push(await GenStage.start(ledger(self.pid, producer, partition), undefined));
    }

    let applied = 0;
    while (applied < movements.length) {
      const m = (await self.receive({
        match: (m) => typeof m === "object" && m !== null && "applied" in m,
      })) as { applied: number };
      applied += m.applied;
    }

    const books = new Map<string, Book>();
    let outOfOrder = 0;
    let partitionsUsed = 0;
    for (const pid of ledgers) {
      const state = await GenStage.call<LedgerState>(pid, "state");
      log(`partition ${state.partition}: ${[...state.books.keys()].join(", ") || "-"}`);
      if (state.books.size > 0) partitionsUsed++;
      outOfOrder += state.outOfOrder;
      for (const [account, book] of state.books) books.set(account, book);
    }

    const sequential = new Map<string, Book>();
    for (const m of movements) apply(sequential, m);
    const sameAsSequential = ACCOUNTS.every(
      (a) =>
        books.get(a)?.balance === sequential.get(a)?.balance &&
        books.get(a)?.refused === sequential.get(a)?.refused,
    );
    const balances = Object.fromEntries(ACCOUNTS.map((a) => [a, books.get(a)?.balance ?? 0]));
    const refused = [...books.values()].reduce((n, b) => n + b.refused, 0);
    log(`balances: ${JSON.stringify(balances)}, ${refused} withdrawals refused`);

    for (const pid of ledgers) await GenStage.stop(pid);
    await GenStage.stop(producer);
    return {
      movements: applied,
      partitionsUsed,
      outOfOrder,
      sameAsSequential,
      balances,
      refused,
    };
  });
  return Task.await(run, 10_000);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
