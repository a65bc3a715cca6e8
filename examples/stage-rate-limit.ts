/**
 * Rate limiting by releasing demand on an interval.
 *
 * A consumer calls an API that allows `LIMIT` requests per `INTERVAL_MS`. `maxDemand` alone
 * does not limit a rate (a fast consumer asks again as soon as it is done), so the consumer
 * takes its demand into its own hands, as GenStage's `RateLimiter` example does:
 *
 * - it subscribes with `demand: "manual"`: no demand is sent for it, it asks itself with
 *   `GenStage.ask(from, n)`;
 * - in `handleSubscribe` it asks for `LIMIT` events and starts a timer
 *   (`sendAfter(self.pid, { tick: from }, INTERVAL_MS)`);
 * - on each tick (`handleInfo`) it asks for as many events as it handled since the last ask,
 *   and sets the next timer.
 *
 * The producer never owes it more than `LIMIT` events, and no new demand goes out between two
 * ticks, so it handles at most `LIMIT` events per interval, however fast the producer is.
 *
 * The producer starts in `demand: "accumulate"` mode: it holds the demand it gets (here the
 * limiter's first ask) without producing, until `GenStage.demand(producer, "forward")`, as one
 * holds a source until every consumer is subscribed.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/stage-rate-limit.ts`
 */
import { pathToFileURL } from "node:url";
import {
  currentRuntime,
  GenStage,
  type Pid,
  reply,
  type StageFrom,
  send,
  sendAfter,
  stop,
  Task,
} from "beamish";

/** Events allowed per interval. */
const LIMIT = 5;
const INTERVAL_MS = 10;
/** Events the limiter handles before it stops. */
const TOTAL = 40;

/** An endless producer of request ids, held (accumulating demand) until told to forward. */
const requests: GenStage.Definition<never, number, number, undefined> = {
  init: () => GenStage.producer(0, { demand: "accumulate" }),
  handleDemand: (demand, next) =>
    GenStage.emit(
      Array.from({ length: demand }, (_, i) => next + i),
      next + demand,
    ),
  // "generated": how many it has made so far.
  handleCall: (_request, _arg, _from, next) => reply(next, next),
};

/** One handled request: its id, the interval (tick) it fell in, and when (runtime clock, ms). */
interface Handled {
  readonly id: number;
  readonly interval: number;
  readonly at: number;
}

interface LimiterState {
  /** The interval running: 0 from the subscription to the first tick, then one per tick. */
  interval: number;
  /** Events handled since the last ask: what the next tick asks for. */
  pending: number;
  /** When each interval began (runtime clock, ms). */
  readonly startedAt: number[];
  readonly handled: Handled[];
}

const isTick = (m: unknown): m is { tick: StageFrom } =>
  typeof m === "object" && m !== null && "tick" in m;

/** The rate-limited consumer: at most `LIMIT` events per `INTERVAL_MS`. */
function limiter(owner: Pid, producer: Pid): GenStage.Definition<number, never, LimiterState> {
  const clock = currentRuntime().clock;
  return {
    init: () =>
      GenStage.consumer<LimiterState>(
        { interval: 0, pending: 0, startedAt: [], handled: [] },
        { subscribeTo: [{ to: producer, maxDemand: LIMIT, demand: "manual" }] },
      ),
    handleSubscribe: (_kind, _options, from, state, self) => {
      state.startedAt.push(clock.now());
      GenStage.ask(from, LIMIT);
      sendAfter(self.pid, { tick: from }, INTERVAL_MS);
      send(owner, "asked");
      return state;
    },
    handleInfo: (message, state, self) => {
      if (!isTick(message)) return state;
      state.interval++;
      state.startedAt.push(clock.now());
      // `ask` takes a positive count: after an idle interval there is nothing to replenish.
      if (state.pending > 0) GenStage.ask(message.tick, state.pending);
      state.pending = 0;
      sendAfter(self.pid, message, INTERVAL_MS);
      return state;
    },
    handleEvents: (events, _from, state) => {
      const at = clock.now();
      for (const id of events) state.handled.push({ id, interval: state.interval, at });
      state.pending += events.length;
      if (state.handled.length < TOTAL) return state;
      send(owner, { done: state });
      return stop("normal", state);
    },
  };
}

/** What the example found, for its test. */
export interface RateLimitResult {
  /** Events the limiter handled: `TOTAL`. */
  readonly handled: number;
  /** Events handled in each interval, from the first: never above `LIMIT`. */
  readonly perInterval: number[];
  /** Each interval's start, in ms after the first one's (runtime clock). */
  readonly intervalStarts: number[];
  /** The ids handled were 0, 1, 2, ... with none lost or repeated. */
  readonly inOrder: boolean;
  /** Events the accumulating producer had made once the limiter's first ask had reached it: 0. */
  readonly generatedBeforeForward: number;
}

export async function main(log: (line: string) => void = console.log): Promise<RateLimitResult> {
  const run = Task.async(async (self): Promise<RateLimitResult> => {
    const producer = await GenStage.start(requests, undefined);
    await GenStage.start(limiter(self.pid, producer), undefined);

    // The limiter's ask reached the producer before the limiter told us, and our call comes
    // after it: the producer has held that demand, and made nothing.
    await self.receive({ match: (m) => m === "asked" });
    const generatedBeforeForward = await GenStage.call<number>(producer, "generated");
    GenStage.demand(producer, "forward");

    const { done } = (await self.receive({
      match: (m) => typeof m === "object" && m !== null && "done" in m,
    })) as { done: LimiterState };
    await GenStage.stop(producer);

    const perInterval = done.startedAt.map(
      (_, i) => done.handled.filter((h) => h.interval === i).length,
    );
    const first = done.startedAt[0] ?? 0;
    const intervalStarts = done.startedAt.map((t) => Math.round(t - first));
    for (const [i, count] of perInterval.entries()) {
      log(`interval ${i} (from ${intervalStarts[i]} ms): ${count} events`);
    }
    log(`${done.handled.length} events, at most ${Math.max(...perInterval)} per ${INTERVAL_MS} ms`);

    return {
      handled: done.handled.length,
      perInterval,
      intervalStarts,
      inOrder: done.handled.every((h, i) => h.id === i),
      generatedBeforeForward,
    };
  });
  return Task.await(run, 10_000);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
