/**
 * The message that flows through a pipeline: its data, where it came from (metadata, its
 * acknowledger) and what happened to it (status, batcher, batch key and mode).
 */
import { keepShape } from "../kernel/shapes.js";
import type { Acknowledger } from "./acknowledger.js";

/** Whether a message is still on its way (`"ok"`) or failed, and why. */
export type MessageStatus =
  | { readonly kind: "ok" }
  | { readonly kind: "failed"; readonly reason: unknown };

/**
 * `"bulk"`: the message waits in its batch until `batchSize` or `batchTimeout`. `"flush"`: the
 * batch holding it is handed over at once (what `testMessage` uses).
 */
export type BatchMode = "bulk" | "flush";

const OK: MessageStatus = Object.freeze({ kind: "ok" });
// Shared by every message created without metadata: one object less per message.
const NO_METADATA: Readonly<Record<string, unknown>> = Object.freeze({});

/**
 * One message of a pipeline. Producers create it with its acknowledger; handlers change it and
 * return it. The helpers change the message in place and return it, typed for what it now
 * holds, so that a handler reads as a chain:
 *
 * @example
 * ```ts
 * handleMessage: (_processor, message) =>
 *   message
 *     .update((line: string) => JSON.parse(line) as { kind: string; customer: string })
 *     .putBatcher("orders")
 *     .putBatchKey(message.data.customer),
 * ```
 */
export class Message<T = unknown> {
  /** What the producer and the handlers put in. */
  data: T;
  /**
   * What the producer knows about the message: broker headers, delivery count, offsets.
   * Read-only: replace it (`message.metadata = { ...message.metadata, extra }`) to add to it.
   */
  metadata: Readonly<Record<string, unknown>>;
  /** Who acknowledges the message once it is done. */
  acknowledger: Acknowledger;
  /** Shared by the messages one acknowledger can acknowledge together (a channel, a stream). */
  ackRef: unknown;
  /** This message's own acknowledgement data (a delivery tag, an entry id). */
  ackData: unknown;
  status: MessageStatus = OK;
  /** The batcher the message goes to; `"default"` unless a handler puts another. */
  batcher = "default";
  /** Messages with one batch key are batched together. */
  batchKey: unknown = "default";
  batchMode: BatchMode = "bulk";
  /** @internal Set when acknowledged, so that no message is acknowledged twice. */
  acked = false;

  constructor(
    data: T,
    acknowledger: Acknowledger,
    ackRef?: unknown,
    ackData?: unknown,
    metadata: Readonly<Record<string, unknown>> = NO_METADATA,
  ) {
    this.data = data;
    this.acknowledger = acknowledger;
    this.ackRef = ackRef;
    this.ackData = ackData;
    this.metadata = metadata;
  }

  /** True once the message was marked failed. */
  get failed(): boolean {
    return this.status.kind === "failed";
  }

  /** Replaces the data with `fn(data)`. @example `message.update((s: string) => s.trim())` */
  update<U>(fn: (data: T) => U): Message<U> {
    const self = this as unknown as Message<U>;
    self.data = fn(this.data);
    return self;
  }

  /** Replaces the data. @example `message.putData({ ...message.data, seen: true })` */
  putData<U>(data: U): Message<U> {
    const self = this as unknown as Message<U>;
    self.data = data;
    return self;
  }

  /** Routes the message to the batcher `name`. @example `message.putBatcher("s3")` */
  putBatcher(name: string): this {
    this.batcher = name;
    return this;
  }

  /** Batches the message with the others of key `key`. @example `message.putBatchKey(order.customer)` */
  putBatchKey(key: unknown): this {
    this.batchKey = key;
    return this;
  }

  /** @see BatchMode @example `message.putBatchMode("flush")` */
  putBatchMode(mode: BatchMode): this {
    this.batchMode = mode;
    return this;
  }

  /**
   * Marks the message failed with `reason`: it skips the rest of the pipeline, goes through
   * `handleFailed` and is acknowledged as failed. @example `message.fail(new Error("bad row"))`
   */
  fail(reason: unknown): this {
    this.status = { kind: "failed", reason };
    return this;
  }

  /**
   * Passes `options` to the acknowledger's `configure` (for instance, whether a failure
   * requeues); what they mean is the acknowledger's to say.
   *
   * @example
   * ```ts
   * message.configureAck({ onFailure: "reject" })
   * ```
   */
  configureAck(options: Readonly<Record<string, unknown>>): this {
    const configure = this.acknowledger.configure;
    if (configure === undefined) {
      throw new TypeError(
        `the acknowledger of this message (${this.acknowledger.name}) takes no options, got ${Object.keys(options).join(", ")}`,
      );
    }
    this.ackData = configure.call(this.acknowledger, this.ackRef, this.ackData, options);
    return this;
  }
}

// Every message dies once acknowledged, so between bursts none may be left: see keepShape. Its
// data is `undefined`, a field that then takes any kind of value without a new hidden class.
keepShape(new Message(undefined, Object.freeze({ name: "shape", ack() {} })));
