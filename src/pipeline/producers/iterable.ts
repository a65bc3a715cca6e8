/**
 * A producer over any iterable or async iterable, shared by every producer stage: items are
 * taken as demand comes, never ahead of it. Async sources are read outside the stage's turn,
 * so a slow source never delays a drain.
 */
import { send } from "../../kernel/api.js";
import type { Self } from "../../kernel/process.js";
import { emit } from "../../stage/definition.js";
import type { ProducerDefinition, ProducerResult } from "../definition.js";
import { Message } from "../message.js";
import { type AckSummary, type OnAck, Settlement } from "./settlement.js";

/** Options of `Pipeline.fromIterable`. */
export interface IterableProducerOptions<T> {
  /** Called with the messages of each acknowledgement. */
  readonly onAck?: OnAck<T>;
}

/** A producer from an iterable; `done` resolves once all it gave was acknowledged. */
export interface IterableProducer<T> extends ProducerDefinition<T, StageState> {
  /**
   * Resolves when the source is exhausted and every message from it was acknowledged; rejects
   * with the source's error if reading it throws (the producer stage then exits with it too).
   */
  readonly done: Promise<AckSummary>;
}

interface StageState {
  readonly self: Self;
  fetching: Promise<void> | undefined;
  /** Read from an async source, not emitted yet. */
  ready: unknown[];
  /** Demanded and not read yet. */
  wanted: number;
  /** A READY is on its way to the stage. */
  signalled: boolean;
}

const READY = Symbol("beamish.pipeline.iterable.ready");

/** The source threw while being read: the producer stage exits with its error. */
class SourceFailed {
  constructor(readonly error: unknown) {}
}

const isAsync = <T>(source: Iterable<T> | AsyncIterable<T>): source is AsyncIterable<T> =>
  typeof (source as AsyncIterable<T>)[Symbol.asyncIterator] === "function";

/**
 * @internal Shared by `fromIterable` and `fromNdjson`: `toMessage` turns an item into a message
 * with the source's acknowledger.
 */
export function iterableProducer<I, T>(
  name: string,
  source: Iterable<I> | AsyncIterable<I>,
  onAck: OnAck<T> | undefined,
  toMessage: (item: I, settlement: Settlement<T>) => Message<T>,
): IterableProducer<T> {
  const settlement = new Settlement<T>(name, onAck);
  let sync: Iterator<I> | undefined;
  let async: AsyncIterator<I> | undefined;
  let exhausted = false;

  const wrap = (items: readonly I[]): Message<T>[] =>
    items.map((item) => toMessage(item, settlement));
  const finish = () => {
    exhausted = true;
    settlement.end();
  };

  const pullSync = (n: number): Message<T>[] => {
    const items: I[] = [];
    const it = sync as Iterator<I>;
    let ended = false;
    while (items.length < n) {
      let next: IteratorResult<I>;
      try {
        next = it.next();
      } catch (error) {
        exhausted = true;
        settlement.fail(error);
        throw error;
      }
      if (next.done === true) {
        ended = true;
        break;
      }
      items.push(next.value);
    }
    // Counted before the end is declared, or `done` resolves without waiting for these.
    settlement.emitted += items.length;
    if (ended) finish();
    return wrap(items);
  };

  const pullAsync = async (state: StageState): Promise<void> => {
    const it = async as AsyncIterator<I>;
    try {
      while (state.wanted > 0 && !exhausted) {
        const next = await it.next();
        if (next.done === true) {
          finish();
          break;
        }
        // Counted when read, so that `done` waits for what is read and not emitted yet.
        settlement.emitted++;
        state.ready.push(next.value);
        state.wanted--;
        if (!state.signalled) {
          state.signalled = true;
          send(state.self.pid, READY);
        }
      }
    } catch (error) {
      exhausted = true;
      settlement.fail(error);
      send(state.self.pid, new SourceFailed(error));
    } finally {
      state.fetching = undefined;
    }
  };
  const takeReady = (state: StageState): ProducerResult<T, StageState> => {
    state.signalled = false;
    if (state.ready.length === 0) return state;
    const items = state.ready as I[];
    state.ready = [];
    return emit(wrap(items), state);
  };

  return {
    name,
    done: settlement.done,
    init(_context, self) {
      if (sync === undefined && async === undefined) {
        if (isAsync(source)) async = source[Symbol.asyncIterator]();
        else sync = source[Symbol.iterator]();
      }
      return { self, fetching: undefined, ready: [], wanted: 0, signalled: false };
    },
    handleDemand(demand, state): ProducerResult<T, StageState> {
      if (exhausted) return state;
      if (sync !== undefined) return emit(pullSync(demand), state);
      // One reader per stage, reading while anything is wanted.
      state.wanted += demand;
      state.fetching ??= pullAsync(state);
      return state;
    },
    handleInfo(message, state): ProducerResult<T, StageState> {
      if (message instanceof SourceFailed) throw message.error;
      return message === READY ? takeReady(state) : state;
    },
    async prepareForDraining(state) {
      // What is being read now still counts: wait for it rather than lose it.
      state.wanted = 0;
      if (state.fetching !== undefined) await state.fetching;
      return takeReady(state);
    },
  };
}

/**
 * A producer over `source`, an iterable or async iterable (an array, a generator, a stream):
 * each item becomes one message. With `concurrency > 1` the producer stages share the source.
 *
 * @example
 * ```ts
 * const source = Pipeline.fromIterable([1, 2, 3]);
 * const pipeline = await Pipeline.start({
 *   producer: { module: source },
 *   processors: { default: { concurrency: 1 } },
 *   handleMessage: (_p, message) => message,
 * });
 * console.log(await source.done); // { successful: 3, failed: 0 }
 * await pipeline.stop();
 * ```
 */
export function fromIterable<T>(
  source: Iterable<T> | AsyncIterable<T>,
  options: IterableProducerOptions<T> = {},
): IterableProducer<T> {
  return iterableProducer<T, T>("iterable", source, options.onAck, (item, settlement) => {
    return new Message(item, settlement);
  });
}
