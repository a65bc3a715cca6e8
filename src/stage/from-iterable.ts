/** A producer of the values of any iterable or async iterable, as `GenStage.from_enumerable`. */

import { stop } from "../gen-server/directives.js";
import type { StartOptions } from "../gen-server/start.js";
import { invalidArgument } from "../kernel/errors.js";
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { type Definition, emit, producer } from "./definition.js";
import { asyncInfo, start, startLink } from "./gen-stage.js";
import type { ProducerOptions } from "./options.js";

/** Options of {@link fromIterable}: the start options, a parent to link to, producer options. */
export interface FromIterableOptions extends StartOptions {
  /** Starts the producer linked to this process (as `startLink`). */
  readonly link?: Self | undefined;
  /** Options of the producer (dispatcher, buffer). */
  readonly producer?: ProducerOptions | undefined;
}

const DONE: unique symbol = Symbol("beamish.stage.done");

interface Source<T> {
  readonly sync: Iterator<T> | null;
  readonly async: AsyncIterator<T> | null;
}

function pullSync<T>(iterator: Iterator<T>, demand: number, state: Source<T>, self: Self) {
  const events: T[] = [];
  while (events.length < demand) {
    const next = iterator.next();
    if (next.done) {
      asyncInfo(self.pid, DONE);
      break;
    }
    events.push(next.value);
  }
  return emit(events, state);
}

async function pullAsync<T>(
  iterator: AsyncIterator<T>,
  demand: number,
  state: Source<T>,
  self: Self,
) {
  const events: T[] = [];
  while (events.length < demand) {
    const next = await iterator.next();
    if (next.done) {
      asyncInfo(self.pid, DONE);
      break;
    }
    events.push(next.value);
  }
  return emit(events, state);
}

/**
 * Starts a producer emitting the values of `iterable` (sync or async) as consumers ask; when it
 * is exhausted and its events are dispatched, the producer exits `"normal"` (so permanent
 * subscribers stop too). The iterator is created inside the producer; an iterator that throws
 * crashes it. Rejects with `InvalidArgumentError` when `iterable` is neither.
 *
 * @example
 * ```ts
 * const source = await GenStage.fromIterable([1, 2, 3]);
 * for await (const n of GenStage.stream([source])) console.log(n);
 * ```
 */
export function fromIterable<T>(
  iterable: Iterable<T> | AsyncIterable<T>,
  options: FromIterableOptions = {},
): Promise<Pid> {
  const isSync = typeof (iterable as Iterable<T>)?.[Symbol.iterator] === "function";
  const isAsync = typeof (iterable as AsyncIterable<T>)?.[Symbol.asyncIterator] === "function";
  if (!isSync && !isAsync) {
    return Promise.reject(
      catchError(() => invalidArgument("iterable", "an iterable or an async iterable", iterable)),
    );
  }
  const { link, producer: producerOptions, ...startOptions } = options;
  const definition: Definition<never, T, Source<T>, undefined> = {
    init: () =>
      producer<Source<T>>(
        isAsync
          ? { sync: null, async: (iterable as AsyncIterable<T>)[Symbol.asyncIterator]() }
          : { sync: (iterable as Iterable<T>)[Symbol.iterator](), async: null },
        producerOptions,
      ),
    handleDemand: (demand, state, self) =>
      state.sync !== null
        ? pullSync(state.sync, demand, state, self)
        : pullAsync(state.async as AsyncIterator<T>, demand, state, self),
    handleInfo: (message, state) => (message === DONE ? stop("normal", state) : state),
  };
  return link === undefined
    ? start(definition, undefined, startOptions)
    : startLink(link, definition, undefined, startOptions);
}

function catchError(fn: () => never): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
}
