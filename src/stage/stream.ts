/** `GenStage.stream`: consume producers as an async iterable. */

import { stop } from "../gen-server/directives.js";
import type { Dest } from "../kernel/api.js";
import { type ExitReason, isNormalExit } from "../kernel/exit.js";
import { attachHook, detachHook, ExitHook } from "../kernel/hooks.js";
import type { Pid } from "../kernel/pid.js";
import { currentRuntime } from "../kernel/runtime.js";
import { consumer } from "./definition.js";
import { start, stop as stopStage } from "./gen-stage.js";
import { parseSubscription, type SubscriptionOptions } from "./options.js";

/** What the iterator and its consumer stage share. */
class Feed<T> extends ExitHook {
  events: readonly T[] = [];
  index = 0;
  batchDone: (() => void) | null = null;
  waiting: ((result: IteratorResult<T>) => void) | null = null;
  failWaiting: ((error: unknown) => void) | null = null;
  ended = false;
  error: unknown = undefined;
  failed = false;

  /** The stage ended the stream: normally, or with `reason`. */
  finish(reason: ExitReason): void {
    if (this.ended) return;
    this.ended = true;
    if (!isNormalExit(reason)) {
      this.failed = true;
      this.error = reason;
    }
    this.wake();
  }

  wake(): void {
    const resolve = this.waiting;
    const reject = this.failWaiting;
    if (resolve === null || reject === null) return;
    this.waiting = null;
    this.failWaiting = null;
    if (this.index < this.events.length) resolve({ value: this.take(), done: false });
    else if (this.failed) reject(this.error);
    else if (this.ended) resolve({ value: undefined, done: true });
    else {
      this.waiting = resolve;
      this.failWaiting = reject;
    }
  }

  take(): T {
    const value = this.events[this.index++] as T;
    if (this.index === this.events.length && this.batchDone !== null) {
      const done = this.batchDone;
      this.batchDone = null;
      done();
    }
    return value;
  }

  onExit(_pid: Pid, reason: ExitReason): void {
    this.finish(reason);
  }
}

/**
 * Consumes `subscriptions` (producers, or subscription options with `to`, `maxDemand`, ...) as
 * an async iterable: a consumer stage starts on the first `next()`, asks as the loop takes
 * events (each batch is held until taken, so demand follows the loop's pace), and the
 * iteration ends once every producer has ended normally. A producer ending abnormally makes the
 * loop throw its reason; leaving the loop early stops the consumer stage. Bad options throw at
 * once (`InvalidArgumentError`).
 *
 * @example
 * ```ts
 * for await (const event of GenStage.stream([{ to: producer, maxDemand: 100 }])) {
 *   console.log(event);
 * }
 * ```
 */
export function stream<T>(
  subscriptions: ReadonlyArray<Dest | SubscriptionOptions<T>>,
): AsyncIterable<T> {
  const parsed = subscriptions.map((s, i) => ({
    ...parseSubscription(s, `subscriptions[${i}]`),
    cancel: "temporary" as const,
  }));
  return {
    [Symbol.asyncIterator](): AsyncIterator<T> {
      const feed = new Feed<T>();
      let stage: Promise<Pid> | null = null;
      const begin = (): Promise<Pid> => {
        let open = parsed.length;
        const started = start<T, never, undefined, undefined>(
          {
            init: () => consumer(undefined, { subscribeTo: parsed }),
            handleEvents: (events) => {
              if (feed.ended) return undefined;
              feed.events = events;
              feed.index = 0;
              const done = new Promise<undefined>((resolve) => {
                feed.batchDone = () => resolve(undefined);
              });
              feed.wake();
              return done;
            },
            handleCancel: (cancel) => {
              open--;
              if (!isNormalExit(cancel.reason)) {
                feed.finish(cancel.reason);
                return stop("normal", undefined);
              }
              return open === 0 ? stop("normal", undefined) : undefined;
            },
          },
          undefined,
        );
        started.then(
          (pid) => {
            const process = currentRuntime().lookup(pid);
            if (process === undefined) feed.finish("normal");
            else attachHook(process, feed);
          },
          (error: unknown) => feed.finish(error),
        );
        return started;
      };
      return {
        next(): Promise<IteratorResult<T>> {
          if (stage === null) stage = begin();
          if (feed.index < feed.events.length) {
            return Promise.resolve({ value: feed.take(), done: false });
          }
          return new Promise<IteratorResult<T>>((resolve, reject) => {
            feed.waiting = resolve;
            feed.failWaiting = reject;
            feed.wake();
          });
        },
        async return(): Promise<IteratorResult<T>> {
          feed.ended = true;
          detachHook(feed);
          // Lets the stage out of a batch it holds for the loop, so it can take the stop.
          const held = feed.batchDone;
          feed.batchDone = null;
          held?.();
          if (stage !== null) {
            const pid = await stage.catch(() => null);
            if (pid !== null) await stopStage(pid).catch(() => undefined);
          }
          return { value: undefined, done: true };
        },
      };
    },
  };
}
