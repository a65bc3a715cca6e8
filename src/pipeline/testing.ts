/**
 * Testing a pipeline without its source: inject data, get back the acknowledged messages.
 * Messages go in past the producer, so the pipeline's own producer may be anything (usually
 * `Pipeline.testProducer()`); they still go through demand, the rate limit, processors,
 * batchers and acknowledgement like any other.
 */
import type { Acknowledger } from "./acknowledger.js";
import { type BatchMode, Message } from "./message.js";
import type { Pipeline } from "./pipeline.js";

/** What became of injected messages. */
export interface TestResult<T = unknown> {
  readonly successful: Message<T>[];
  readonly failed: Message<T>[];
}

/** Options of `Pipeline.testMessages` and `Pipeline.testBatch`. */
export interface TestMessageOptions {
  readonly metadata?: Record<string, unknown>;
  /** Default `"flush"` for `testMessage(s)` (each batch goes at once), `"bulk"` for `testBatch`. */
  readonly batchMode?: BatchMode;
}

/** One acknowledger per call: it resolves once every message of the call is acknowledged. */
class Collector<T> implements Acknowledger {
  readonly name = "test";
  readonly successful: Message<T>[] = [];
  readonly failed: Message<T>[] = [];
  readonly result: Promise<TestResult<T>>;
  private resolve!: (result: TestResult<T>) => void;

  constructor(private readonly expected: number) {
    this.result = new Promise((resolve) => {
      this.resolve = resolve;
    });
    this.check();
  }

  ack(_ref: unknown, successful: readonly Message[], failed: readonly Message[]): void {
    this.successful.push(...(successful as Message<T>[]));
    this.failed.push(...(failed as Message<T>[]));
    this.check();
  }

  private check(): void {
    if (this.successful.length + this.failed.length >= this.expected) {
      this.resolve({ successful: this.successful, failed: this.failed });
    }
  }
}

/**
 * Injects each item of `data` as a message and resolves once all were acknowledged, with the
 * successful and failed messages (in acknowledgement order). Rejects if the pipeline is stopping.
 *
 * @example
 * ```ts
 * const { successful, failed } = await Pipeline.testMessages(pipeline, [1, 2, 3]);
 * ```
 */
export function testMessages<T>(
  pipeline: Pipeline<T>,
  data: readonly T[],
  options: TestMessageOptions = {},
): Promise<TestResult> {
  const collector = new Collector<unknown>(data.length);
  const mode = options.batchMode ?? "flush";
  const messages = data.map((item) => {
    const message = new Message(item, collector, undefined, undefined, { ...options.metadata });
    return message.putBatchMode(mode);
  });
  try {
    if (messages.length > 0) pipeline.inject(messages);
  } catch (error) {
    return Promise.reject(error);
  }
  return collector.result;
}

/**
 * {@link testMessages} for one item.
 *
 * @example
 * ```ts
 * const { failed } = await Pipeline.testMessage(pipeline, "not json");
 * assert.equal(failed.length, 1);
 * ```
 */
export function testMessage<T>(
  pipeline: Pipeline<T>,
  data: T,
  options: TestMessageOptions = {},
): Promise<TestResult> {
  return testMessages(pipeline, [data], options);
}

/**
 * {@link testMessages} in `"bulk"` mode: the messages are batched together as far as
 * `batchSize` allows (a batch closes when full or after `batchTimeout`).
 *
 * @example
 * ```ts
 * const { successful } = await Pipeline.testBatch(pipeline, [1, 2, 3]);
 * ```
 */
export function testBatch<T>(
  pipeline: Pipeline<T>,
  data: readonly T[],
  options: TestMessageOptions = {},
): Promise<TestResult> {
  return testMessages(pipeline, data, { batchMode: "bulk", ...options });
}
