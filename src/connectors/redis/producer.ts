/**
 * The Redis Streams producer's logic, against the {@link StreamClient} interface. Each producer
 * stage reads with XREADGROUP on a connection of its own, sized by what its processors demand,
 * and never emits more than demanded. Its reads run outside the stage's turn, two at a time, the
 * next one sent as soon as a reply arrives, and their entries come to the stage as messages, so
 * a drain never waits on the network. Stage 0 also claims, every `claimInterval`,
 * entries pending longer than `minIdle` (XAUTOCLAIM): a dead instance's, and failed ones due for
 * another try. After a failed read (a dropped connection), the stage takes back its own pending
 * entries first: those whose reply the drop lost.
 */
import {
  cancelTimer,
  currentRuntime,
  type Self,
  send,
  sendAfter,
  type TimerRef,
} from "../../kernel/index.js";
import {
  type Acknowledger,
  Message,
  type ProducerDefinition,
  type ProducerResult,
} from "../../pipeline/index.js";
import { GenStage } from "../../stage/index.js";
import { backoffDelay } from "../reconnect.js";
import { type RedisAckData, type RedisMetadata, redisAcknowledger } from "./acknowledger.js";
import {
  Claimed,
  ClaimFailed,
  claimIdle,
  Delivered,
  type Origin,
  ReadFailed,
  type ReadTarget,
  readNew,
  recoverOwn,
} from "./deliveries.js";
import { MalformedEntryError } from "./errors.js";
import type { Decode, ParsedFailurePolicy } from "./options.js";
import { newCounters, type RedisProducerCounters, Session } from "./session.js";
import type { StreamClient, StreamEntry, StreamReader } from "./stream-client.js";

/** What the producer logic needs of the options (the connection's are the client's). */
export interface ProducerConfig<T> {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
  readonly startId: string;
  readonly block: number;
  readonly minIdle: number;
  readonly claimInterval: number;
  readonly claimBatch: number;
  readonly onFailure: ParsedFailurePolicy;
  readonly decode: Decode<T> | undefined;
  readonly backoff: { readonly min: number; readonly max: number };
  /** The CLIENT SETNAME of stage `index`'s reader. */
  readonly readerName: (index: number) => string;
}

/** The producer `redisProducer` returns. */
export interface RedisProducer<T> extends ProducerDefinition<T, StageState<T>> {
  /** This instance's consumer name in the group. */
  readonly consumer: string;
  /** What happened to its entries so far. */
  readonly counters: Readonly<RedisProducerCounters>;
}

const RETRY_READ = Symbol("beamish.redis.retryRead");
const CLAIM = Symbol("beamish.redis.claim");

/** How long `terminate` waits for acknowledgements in flight before closing anyway. */
const ACK_FLUSH_TIMEOUT = 5000;
/** How long a drain waits for a claim in flight (a read in flight ends when its reader closes). */
const DRAIN_WAIT = 1000;
/** Reads in flight at once on a stage's reader: one is served while the last reply is used. */
const MAX_READS = 2;
/** How many times the most ever demanded one read asks for, at most. */
const READ_SIZE = 2;
/**
 * How many times the most ever demanded is read ahead of the demand: room for every read in
 * flight at its full size, so that Redis serves one while node handles the other.
 */
const READ_AHEAD = MAX_READS * READ_SIZE;

/** @internal One producer stage's state. */
export interface StageState<T> {
  readonly self: Self;
  readonly session: Session;
  readonly reader: StreamReader;
  /** Demanded and not emitted yet. */
  demand: number;
  /**
   * The most ever demanded at once (its processors' `concurrency x maxDemand`): reads go on
   * until four times that much more than is demanded is buffered or on its way, so that the
   * next entries arrive while the last ones are handled, each read asking for up to twice it.
   */
  prefetch: number;
  /** Read or claimed, not emitted yet (claims and recoveries may bring more than demanded). */
  buffer: Message<T>[];
  /** The reads in flight. They read the fields above; only the stage writes them. */
  readonly reads: Set<Promise<boolean>>;
  /** Entries asked for by the reads in flight. */
  requested: number;
  /** Entries the reads sent to the stage, not taken yet. */
  arriving: number;
  /** What the reads sent, not taken yet: a drain takes it before the messages arrive. */
  readonly unread: Set<Delivered>;
  /** Take back this consumer's own pending entries before the next read. */
  recover: boolean;
  /** The group is gone (NOGROUP): create it again before the next read. */
  recreateGroup: boolean;
  /** Consecutive failed reads, for the backoff. */
  failures: number;
  retryTimer: TimerRef | undefined;
  /** Stage 0 claims idle entries. */
  readonly claimer: boolean;
  /** The claim in flight: its result also comes as a message. */
  claim: Promise<Claimed | ClaimFailed> | undefined;
  claimTimer: TimerRef | undefined;
  /** XAUTOCLAIM's cursor over the pending entries list. */
  cursor: string;
  draining: boolean;
}

const isNoGroup = (error: unknown): boolean =>
  error instanceof Error && error.message.startsWith("NOGROUP");

/**
 * @internal The producer over the client `open` resolves with (opened by the first stage, shared
 * by all, closed by the last one to terminate).
 */
export function createRedisProducer<T>(
  config: ProducerConfig<T>,
  open: () => Promise<StreamClient>,
): RedisProducer<T> {
  const { stream, group, consumer } = config;
  const target: ReadTarget = { stream, group, consumer };
  const counters = newCounters();
  let shared: Promise<Session> | undefined;
  let live: Session | undefined;
  const acknowledger: Acknowledger<Session> = redisAcknowledger(
    { stream, group, onFailure: config.onFailure },
    () => live,
  );

  const acquire = (): Promise<Session> => {
    shared ??= (async () => {
      const client = await open();
      try {
        await client.createGroup(stream, group, config.startId);
      } catch (error) {
        await client.close().catch(() => {});
        throw error;
      }
      live = new Session(client, counters);
      return live;
    })();
    const current = shared;
    current.catch(() => {
      if (shared === current) shared = undefined;
    });
    return current;
  };

  const release = async (session: Session): Promise<void> => {
    session.stages--;
    if (session.stages > 0) return;
    shared = undefined;
    session.closed = true;
    if (live === session) live = undefined;
    await flush(session);
    // A consumer with nothing pending is deleted, so that instances with generated names do not
    // pile up in the group; one with pending entries stays for XAUTOCLAIM to take them over.
    await session.client.removeConsumerIfIdle(stream, group, consumer).catch(() => false);
    await session.client.close().catch(() => {});
  };

  const toMessage = (entry: StreamEntry, deliveryCount: number, session: Session): Message<T> => {
    const fields = entry.message;
    const metadata: RedisMetadata = {
      id: entry.id,
      stream,
      deliveryCount,
      redelivered: deliveryCount > 1,
      fields,
    };
    const decode = config.decode;
    if (decode === undefined) {
      return new Message(fields as T, acknowledger, session, metadata, metadata);
    }
    try {
      return new Message(decode(fields, entry.id), acknowledger, session, metadata, metadata);
    } catch (error) {
      // Another delivery would fail the same way: never "retry", dead-letter it at once if
      // there is a dead-letter stream, else drop it.
      const policy = config.onFailure;
      const ackData: RedisAckData = {
        ...metadata,
        onFailure:
          typeof policy === "object"
            ? { deadLetter: policy.deadLetter, maxDeliveries: 1 }
            : "discard",
      };
      return new Message(fields as T, acknowledger, session, ackData, metadata).fail(
        new MalformedEntryError(stream, entry.id, error),
      );
    }
  };

  /** Buffers what came, skipping what this instance already holds. */
  const intake = (state: StageState<T>, origin: Origin, result: Delivered | Claimed) => {
    if (result.taken) return;
    result.taken = true;
    const { entries, counts } = result;
    if (result instanceof Delivered) {
      state.unread.delete(result);
      state.arriving -= entries.length;
    }
    const { held } = state.session;
    let taken = 0;
    for (let i = 0; i < entries.length; i++) {
      const entry = entries[i] as StreamEntry;
      if (held.has(entry.id)) continue;
      held.add(entry.id);
      state.buffer.push(
        toMessage(entry, counts === undefined ? 1 : (counts[i] as number), state.session),
      );
      taken++;
    }
    counters[origin] += taken;
  };

  const take = (state: StageState<T>): ProducerResult<T, StageState<T>> => {
    const n = Math.min(state.demand, state.buffer.length);
    if (n === 0) return state;
    state.demand -= n;
    const out = n === state.buffer.length ? state.buffer : state.buffer.slice(0, n);
    state.buffer = n === state.buffer.length ? [] : state.buffer.slice(n);
    return GenStage.emit(out, state);
  };

  /** What is demanded or read ahead, and neither buffered, nor on its way, nor asked for. */
  const wanted = (state: StageState<T>): number =>
    state.demand +
    READ_AHEAD * state.prefetch -
    state.buffer.length -
    state.arriving -
    state.requested;

  /**
   * One read (or, after a failure, a recovery), its entries sent to the stage; true when it
   * succeeded (another may follow at once).
   */
  const readOnce = async (state: StageState<T>, n: number): Promise<boolean> => {
    const pid = state.self.pid;
    let result: Delivered;
    try {
      if (state.recreateGroup) {
        await state.session.client.createGroup(stream, group, config.startId);
        state.recreateGroup = false;
      }
      if (state.recover) {
        result = await recoverOwn(state.session.client, target, state.session.held, n);
        state.recover = result.more;
      } else {
        result = await readNew(state.reader, target, n, config.block);
      }
    } catch (error) {
      state.requested -= n;
      send(pid, new ReadFailed(error));
      return false;
    }
    state.requested -= n;
    state.failures = 0;
    if (result.entries.length > 0) {
      state.arriving += result.entries.length;
      state.unread.add(result);
      send(pid, result);
    }
    return true;
  };

  /**
   * Keeps up to {@link MAX_READS} reads in flight while anything is wanted, each sent as soon as
   * the last reply arrived, not after the stage took it (that is a turn of the scheduler, and
   * reads would wait on the pipeline's work). Called by the stage and by the reads themselves;
   * only the stage changes what `wanted` counts, besides these counters of reads.
   */
  const startReads = (state: StageState<T>): void => {
    if (state.draining || state.retryTimer !== undefined) return;
    while (state.reads.size < MAX_READS) {
      // A recovery or a group created again runs alone.
      const alone = state.recover || state.recreateGroup;
      if (alone && state.reads.size > 0) return;
      // Reads of up to twice the most demanded rather than one prefetch: fewer reads, each of
      // which costs node more (a command, its reply, a message to the stage) than its entries
      // do. What is read ahead stays bounded by `wanted`, and no read smaller than one prefetch
      // goes out while entries are still coming: two full reads in flight overlap Redis's work
      // with node's (broker-redis: 334 reads per 50,000 entries became 250).
      const n = Math.min(wanted(state), Math.max(READ_SIZE * state.prefetch, 1));
      if (n <= 0) return;
      if (n < state.prefetch && state.requested + state.arriving + state.buffer.length > 0) return;
      state.requested += n;
      const read = readOnce(state, n);
      state.reads.add(read);
      read.then((ok) => {
        state.reads.delete(read);
        // Also after an empty read, which waited `block` for entries: read again if wanted.
        if (ok) startReads(state);
      });
      if (alone) return;
    }
  };

  const scheduleClaim = (state: StageState<T>, ms: number): void => {
    if (state.draining || state.claimTimer !== undefined) return;
    state.claimTimer = sendAfter(state.self.pid, CLAIM, ms);
  };

  /** Claims entries idle longer than `minIdle` (XAUTOCLAIM), with their delivery counts. */
  const claim = (state: StageState<T>): void => {
    state.claimTimer = undefined;
    if (state.draining || state.claim !== undefined) return;
    if (state.buffer.length >= config.claimBatch) {
      scheduleClaim(state, config.claimInterval);
      return;
    }
    const pid = state.self.pid;
    const { client, held } = state.session;
    const claimed = claimIdle(client, target, held, {
      minIdle: config.minIdle,
      cursor: state.cursor,
      count: config.claimBatch,
    });
    state.claim = claimed;
    claimed.then((result) => send(pid, result));
  };

  const stopTimers = (state: StageState<T>): void => {
    if (state.claimTimer !== undefined) cancelTimer(state.claimTimer);
    if (state.retryTimer !== undefined) cancelTimer(state.retryTimer);
    state.claimTimer = undefined;
    state.retryTimer = undefined;
  };

  return {
    name: "redis",
    consumer,
    counters,

    async init(context, self) {
      const session = await acquire();
      session.stages++;
      let reader: StreamReader;
      try {
        reader = await session.client.openReader(config.readerName(context.index));
      } catch (error) {
        await release(session);
        throw error;
      }
      const state: StageState<T> = {
        self,
        session,
        reader,
        demand: 0,
        prefetch: 0,
        buffer: [],
        reads: new Set(),
        requested: 0,
        arriving: 0,
        unread: new Set(),
        recover: true,
        recreateGroup: false,
        failures: 0,
        retryTimer: undefined,
        claimer: context.index === 0,
        claim: undefined,
        claimTimer: undefined,
        cursor: "0-0",
        draining: false,
      };
      if (state.claimer) scheduleClaim(state, config.claimInterval);
      return state;
    },

    handleDemand(demand, state) {
      state.demand += demand;
      if (state.demand > state.prefetch) state.prefetch = state.demand;
      const result = take(state);
      startReads(state);
      return result;
    },

    handleInfo(message, state) {
      if (message instanceof Delivered) {
        // Read after the drain took what it could: not emitted, so not acknowledged; the
        // entries stay pending and are claimed again after `minIdle`.
        if (state.draining) return state;
        intake(state, message.origin, message);
        const result = take(state);
        startReads(state);
        return result;
      }
      if (message instanceof ReadFailed) {
        if (state.draining) return state;
        counters.readFailures++;
        // The reply of a read may be what the drop lost: its entries are pending here.
        state.recover = true;
        if (isNoGroup(message.error)) state.recreateGroup = true;
        // Both reads in flight fail with one drop: one retry.
        if (state.retryTimer !== undefined) return state;
        state.failures++;
        const delay = backoffDelay(state.failures - 1, config.backoff);
        state.retryTimer = sendAfter(state.self.pid, RETRY_READ, delay);
        return state;
      }
      if (message === RETRY_READ) {
        state.retryTimer = undefined;
        startReads(state);
        return state;
      }
      if (message === CLAIM) {
        claim(state);
        return state;
      }
      if (message instanceof Claimed) {
        state.claim = undefined;
        state.cursor = message.cursor;
        if (state.draining) return state;
        intake(state, "claimed", message);
        // A full batch in the middle of the list: more may be due at once.
        const more = message.full && message.cursor !== "0-0";
        scheduleClaim(state, more ? 0 : config.claimInterval);
        const result = take(state);
        startReads(state);
        return result;
      }
      if (message instanceof ClaimFailed) {
        state.claim = undefined;
        if (state.draining) return state;
        counters.readFailures++;
        state.recover = true;
        scheduleClaim(state, config.claimInterval);
        return state;
      }
      return state;
    },

    async prepareForDraining(state) {
      state.draining = true;
      stopTimers(state);
      // Closing the reader ends a blocked read at once. A read or claim that already brought
      // entries is taken now rather than left pending here until `minIdle` passes.
      state.reader.close();
      const claim = state.claim;
      if (state.reads.size > 0 || claim !== undefined) {
        let claimed: Claimed | ClaimFailed | undefined;
        const inFlight = [...state.reads, claim?.then((result) => (claimed = result))];
        await bounded(Promise.all(inFlight), DRAIN_WAIT);
        if (claimed instanceof Claimed) intake(state, "claimed", claimed);
      }
      for (const result of [...state.unread]) intake(state, result.origin, result);
      const out = state.buffer;
      state.buffer = [];
      state.demand = 0;
      return out.length === 0 ? state : GenStage.emit(out, state);
    },

    async terminate(_reason, state) {
      state.draining = true;
      stopTimers(state);
      state.reader.close();
      // Never emitted: no longer held, so that a stage started in this one's place (after a
      // crash) recovers them from this consumer's pending entries.
      for (const message of state.buffer) {
        state.session.held.delete((message.ackData as RedisMetadata).id);
      }
      state.buffer = [];
      await release(state.session);
    },
  };
}

/** Waits for `promise`, at most `ms` of the runtime's clock. */
async function bounded(promise: Promise<unknown>, ms: number): Promise<void> {
  const clock = currentRuntime().clock;
  let timer: unknown;
  const timeout = new Promise<void>((resolve) => {
    timer = clock.setTimer(ms, resolve);
  });
  await Promise.race([promise, timeout]);
  clock.clearTimer(timer);
}

/** Waits for the acknowledgements in flight, at most {@link ACK_FLUSH_TIMEOUT} ms. */
async function flush(session: Session): Promise<void> {
  if (session.inFlight.size > 0) await bounded(Promise.all(session.inFlight), ACK_FLUSH_TIMEOUT);
}
