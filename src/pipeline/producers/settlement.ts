/**
 * @internal The acknowledger of the built-in producers: counts what was settled, tells the
 * user's `onAck`, and resolves `done` once the source is exhausted and everything it gave was
 * acknowledged.
 */
import type { Acknowledger } from "../acknowledger.js";
import type { Message } from "../message.js";

/** What a built-in producer's source became: messages acknowledged as successful and as failed. */
export interface AckSummary {
  readonly successful: number;
  readonly failed: number;
}

/** Called with the messages of each acknowledgement. */
export type OnAck<T> = (successful: readonly Message<T>[], failed: readonly Message<T>[]) => void;

export class Settlement<T> implements Acknowledger {
  readonly name: string;
  successful = 0;
  failed = 0;
  emitted = 0;
  private exhausted = false;
  private resolve!: (summary: AckSummary) => void;
  private reject!: (error: unknown) => void;
  readonly done: Promise<AckSummary>;

  constructor(
    name: string,
    private readonly onAck: OnAck<T> | undefined,
  ) {
    this.name = name;
    this.done = new Promise((resolve, reject) => {
      this.resolve = resolve;
      this.reject = reject;
    });
    // Nobody may be waiting on `done`: its rejection must not be an unhandled one.
    this.done.catch(() => {});
  }

  /** The source failed: `done` rejects with `error` (unless it resolved already). */
  fail(error: unknown): void {
    this.exhausted = true;
    this.reject(error);
  }

  ack(_ref: unknown, successful: readonly Message[], failed: readonly Message[]): void {
    this.successful += successful.length;
    this.failed += failed.length;
    try {
      this.onAck?.(successful as readonly Message<T>[], failed as readonly Message<T>[]);
    } finally {
      this.check();
    }
  }

  /** The source has nothing more. */
  end(): void {
    this.exhausted = true;
    this.check();
  }

  private check(): void {
    if (this.exhausted && this.successful + this.failed >= this.emitted) {
      this.resolve({ successful: this.successful, failed: this.failed });
    }
  }
}
