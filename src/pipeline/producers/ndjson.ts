/**
 * A producer reading a newline-delimited JSON file, one message per non-empty line. A line that
 * does not parse becomes a message failed with `MalformedLineError`: it skips `handleMessage`,
 * reaches `handleFailed` and is acknowledged as failed, and the rest of the file goes on.
 */
import { createReadStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";
import { BeamishError } from "../../kernel/errors.js";
import { Message } from "../message.js";
import { type IterableProducer, iterableProducer } from "./iterable.js";
import type { OnAck } from "./settlement.js";

declare module "../../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_MALFORMED_LINE: MalformedLineError;
  }
}

/** A line of an NDJSON file that does not parse. @example `e.line // 12` */
export class MalformedLineError extends BeamishError {
  readonly code = "ERR_MALFORMED_LINE";
  constructor(
    readonly path: string,
    readonly line: number,
    readonly text: string,
    override readonly cause: unknown,
  ) {
    super(`${path}:${line}: not JSON (${cause instanceof Error ? cause.message : String(cause)})`, {
      cause,
    });
  }
}

/** Options of `Pipeline.fromNdjson`. */
export interface NdjsonProducerOptions<T> {
  /** Turns a line into data; throwing fails that line's message. Default `JSON.parse`. */
  readonly parse?: (line: string) => T;
  readonly onAck?: OnAck<T>;
}

/**
 * A producer over the NDJSON file at `path`; each message's metadata holds its `path` and
 * `line` number. `Pipeline.start` fails if the file cannot be read.
 *
 * @example
 * ```ts
 * // not runnable: needs the file
 * const events = Pipeline.fromNdjson<{ kind: string }>("events.ndjson");
 * const pipeline = await Pipeline.start({ producer: { module: events }, ... });
 * await events.done;
 * ```
 */
export function fromNdjson<T = unknown>(
  path: string,
  options: NdjsonProducerOptions<T> = {},
): IterableProducer<T> {
  const parse = options.parse ?? ((line: string) => JSON.parse(line) as T);
  let opened = false;
  async function* lines(): AsyncGenerator<readonly [string, number]> {
    const input = createReadStream(path, { encoding: "utf8", highWaterMark: 1 << 16 });
    const reader = createInterface({ input, crlfDelay: Infinity });
    let n = 0;
    try {
      for await (const line of reader) {
        n++;
        if (line.trim() !== "") yield [line, n];
      }
    } finally {
      reader.close();
      input.destroy();
    }
  }
  const producer = iterableProducer<readonly [string, number], T>(
    "ndjson",
    { [Symbol.asyncIterator]: () => lines() },
    options.onAck,
    ([text, line], settlement) => {
      const metadata = { path, line };
      try {
        return new Message(parse(text), settlement, undefined, undefined, metadata);
      } catch (error) {
        const message = new Message(undefined as T, settlement, undefined, undefined, metadata);
        return message.fail(new MalformedLineError(path, line, text, error));
      }
    },
  );
  const init = producer.init;
  return {
    ...producer,
    async init(context, self) {
      if (!opened) {
        // Fail the start, not the first read, when the file is missing.
        await access(path);
        opened = true;
      }
      return init.call(producer, context, self);
    },
  };
}
