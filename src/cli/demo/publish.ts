/**
 * `beamish demo --broker`: the input's lines published to the broker before the pipeline starts,
 * numbered as `fromNdjson` numbers them (blank lines skipped, not renumbered), with a progress
 * bar on a terminal.
 */
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import type { DemoBroker } from "./brokers.js";
import { bar, count } from "./format.js";
import type { DemoOptions, DemoOutput } from "./run.js";

/** What `publishLines` did. */
export interface Published {
  readonly count: number;
  /** ms. */
  readonly elapsed: number;
}

/**
 * Publishes each non-empty line of `path` to `broker`, waiting for the broker when its window
 * is full and for every confirmation at the end.
 *
 * @example
 * ```ts
 * const { count } = await publishLines(path, total, broker, options, output);
 * ```
 */
export async function publishLines(
  path: string,
  total: number,
  broker: DemoBroker,
  options: DemoOptions,
  output: DemoOutput,
): Promise<Published> {
  const tty = output.err.isTTY === true && !options.quiet;
  const began = performance.now();
  let drawn = 0;
  let published = 0;
  let line = 0;
  const reader = createInterface({ input: createReadStream(path), crlfDelay: Infinity });
  for await (const text of reader) {
    line++;
    if (text.trim() === "") continue;
    const waiting = broker.publish(text, line);
    published++;
    if (waiting !== undefined) await waiting;
    const now = performance.now();
    if (tty && now - drawn >= 100) {
      drawn = now;
      const fraction = published / Math.max(1, total);
      output.err.write(
        `\r\x1b[2K  publishing ${bar(fraction, 30)} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${count(published)} messages`,
      );
    }
  }
  await broker.flush();
  if (tty) output.err.write("\r\x1b[2K");
  return { count: published, elapsed: performance.now() - began };
}
