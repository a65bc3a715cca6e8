/** What a user writes: the pipeline's definition, its handlers and the producer contract. */
import type { ExitReason } from "../kernel/exit.js";
import type { Self } from "../kernel/process.js";
import type { Emit } from "../stage/definition.js";
import type { Message } from "./message.js";

type MaybeAsync<T> = T | PromiseLike<T>;

/** What a producer callback returns: its new state, or `GenStage.emit(messages, state)`. */
export type ProducerResult<T, S> = S | Emit<Message<T>, S>;

/** What a producer stage tells its producer's `init`. */
export interface ProducerContext {
  /** The pipeline's name. */
  readonly pipeline: string;
  /** This producer stage's index, from 0 to `concurrency - 1`. */
  readonly index: number;
  readonly concurrency: number;
}

/**
 * The producer contract: where a pipeline's messages come from. Each producer stage runs one
 * copy (`init` once per stage) and asks it for messages with `handleDemand`; messages that come
 * later (a broker delivery, a timer) are emitted from `handleInfo`. A producer emits at most
 * what was demanded and not yet emitted; each message carries the acknowledger that settles it
 * once the pipeline is done with it. Connectors implement this and nothing else.
 *
 * @example
 * ```ts
 * const counter: ProducerDefinition<number, number> = {
 *   name: "counter",
 *   init: () => 0,
 *   handleDemand: (demand, next) =>
 *     GenStage.emit(
 *       Array.from({ length: demand }, (_, i) => new Message(next + i, noopAcknowledger)),
 *       next + demand,
 *     ),
 * };
 * ```
 */
export interface ProducerDefinition<T = unknown, S = unknown> {
  /** Names the producer in errors. */
  readonly name?: string;
  /** Starts the producer (connects to its source); a throw or rejection fails `Pipeline.start`. */
  init(context: ProducerContext, self: Self): MaybeAsync<S>;
  /** Consumers asked for `demand` more messages than were demanded before. */
  handleDemand(demand: number, state: S, self: Self): MaybeAsync<ProducerResult<T, S>>;
  /** Any other message sent to the producer stage. */
  handleInfo?(message: unknown, state: S, self: Self): MaybeAsync<ProducerResult<T, S>>;
  /**
   * The pipeline is stopping: stop taking messages from the source. What it emits is still
   * processed; nothing is demanded afterwards.
   */
  prepareForDraining?(state: S, self: Self): MaybeAsync<ProducerResult<T, S>>;
  /** The producer stage exits: close connections. */
  terminate?(reason: ExitReason, state: S, self: Self): void | PromiseLike<void>;
}

/** What a thread made of one message's data: its new data, or the error it threw. */
export type ThreadedResult =
  | { readonly ok: true; readonly data: unknown }
  | { readonly ok: false; readonly error: unknown };

/**
 * Runs a module function on messages' data in worker threads, for a processor group's
 * `threads` option. The pipeline owns this contract; `threadedHandler` of `beamish/threads`
 * implements it with a CPU pool. `run` gets one processor's chunk (in order) and resolves with
 * one result per item, in order; it rejects only when the whole chunk failed (the messages then
 * fail with that error).
 *
 * @example
 * ```ts
 * // not runnable: the module is the user's
 * processors: { default: { concurrency: 4, threads: threadedHandler({ module: new URL("./score.ts", import.meta.url), export: "score" }) } }
 * ```
 */
export interface ThreadedHandler {
  start(): Promise<void>;
  run(
    items: readonly {
      readonly data: unknown;
      readonly metadata: Readonly<Record<string, unknown>>;
    }[],
  ): Promise<readonly ThreadedResult[]>;
  stop(): Promise<void>;
}

/** How a batch was closed: full, by a `"flush"` message, by `batchTimeout`, or by a stop. */
export type BatchTrigger = "size" | "flush" | "timeout" | "drain";

/** What `handleBatch` learns about its batch. */
export interface BatchInfo {
  readonly batcher: string;
  readonly batchKey: unknown;
  /** The batch processor's partition when the batcher is partitioned, else 0. */
  readonly partition: number;
  readonly size: number;
  readonly trigger: BatchTrigger;
}

/**
 * A pipeline: where messages come from (`producer`), the group of `processors` that run
 * `handleMessage` on each, optional `batchers` that group them for `handleBatch`, and the rest
 * of the options (see `pipelineSchema` for every option and its default). `T` is the data the
 * producer emits, `C` the context handed to every handler.
 *
 * Handlers never crash a stage: a throw or rejection fails the messages involved, which then go
 * through `handleFailed` and are acknowledged as failed.
 *
 * @example
 * ```ts
 * const definition: PipelineDefinition<string> = {
 *   producer: { module: Pipeline.fromIterable(["a", "b", "c"]) },
 *   processors: { default: { concurrency: 2 } },
 *   batchers: { default: { batchSize: 2, batchTimeout: 50 } },
 *   handleMessage: (_processor, message) => message.update((s) => s.toUpperCase()),
 *   handleBatch: (_batcher, messages) => {
 *     console.log(messages.map((m) => m.data));
 *     return messages;
 *   },
 * };
 * ```
 */
export interface PipelineDefinition<T = unknown, C = undefined, B = unknown> {
  readonly name?: string;
  readonly producer: {
    // Not `ProducerDefinition<T>`: with an `unknown` state its results collapse to `unknown`,
    // and `T` could no longer be inferred from a producer such as `Pipeline.fromIterable(...)`.
    readonly module: ProducerDefinition<T, NonNullable<unknown> | null | undefined>;
    readonly concurrency?: number;
    readonly rateLimiting?: { readonly allowedMessages: number; readonly interval: number };
  };
  readonly processors: Readonly<
    Record<
      string,
      {
        readonly concurrency?: number;
        readonly maxDemand?: number;
        readonly minDemand?: number;
        readonly partitionBy?: (message: Message<T>) => unknown;
        /** Runs a module function on each message's data in worker threads, before `handleMessage`. */
        readonly threads?: ThreadedHandler;
      }
    >
  >;
  readonly batchers?: Readonly<
    Record<
      string,
      {
        readonly concurrency?: number;
        readonly batchSize?: number;
        readonly batchTimeout?: number;
        readonly maxDemand?: number;
        readonly minDemand?: number;
        readonly partitionBy?: (message: Message<B>) => unknown;
      }
    >
  >;
  /** Per-key order: messages of one key go through one processor and one batch processor. */
  readonly partitionBy?: (message: Message<T>) => unknown;
  readonly shutdownTimeout?: number;
  readonly context?: C;
  /**
   * Runs in a processor for each message; returns it (changed, failed or routed). Required,
   * unless the processors have `threads` (then the messages go on as the threads left them).
   */
  handleMessage?(processor: string, message: Message<T>, context: C): MaybeAsync<Message<B>>;
  /** Runs in a batch processor for each batch; returns its messages (some may be failed). */
  handleBatch?(
    batcher: string,
    messages: Message<B>[],
    info: BatchInfo,
    context: C,
  ): MaybeAsync<readonly Message[]>;
  /** Sees failed messages before they are acknowledged; returns them. */
  handleFailed?(messages: Message[], context: C): MaybeAsync<readonly Message[]>;
  /** Runs in a processor on each chunk it receives, before `handleMessage` (bulk lookups). */
  prepareMessages?(messages: Message<T>[], context: C): MaybeAsync<readonly Message<T>[]>;
}
