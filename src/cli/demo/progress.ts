/**
 * The demo's live display on stderr: on a terminal, a progress bar and counters redrawn in
 * place a few times a second; otherwise (a pipe, a CI log) a plain line every second.
 */
import { bar, count, seconds } from "./format.js";

/** The counters shown, read from `pipeline.stats()` and the lookup cache. */
export interface ProgressSample {
  readonly received: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly inFlight: number;
  readonly batches: number;
  /** Round trips of the customer lookup. */
  readonly lookups: number;
}

/** Where the display goes. */
export interface ProgressOutput {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  /** A terminal's width: lines are cut to it, as a wrapped line would break the redraw. */
  readonly columns?: number;
}

/** Options of `startProgress`. */
export interface ProgressOptions {
  /** Messages expected in all, for the bar. */
  readonly total: number;
  readonly sample: () => ProgressSample;
  readonly output: ProgressOutput;
  /** The rate limit (msg/s), shown next to the rate; 0 for none. */
  readonly limit: number;
  /** Redraws per second on a terminal. */
  readonly fps?: number;
}

/** A running display; `stop` draws it one last time and ends it. */
export interface Progress {
  stop(): void;
}

/** msgs/s over about the last second, from (time, done) samples. */
class RateWindow {
  private readonly samples: Array<readonly [number, number]> = [];

  rate(now: number, done: number): number {
    this.samples.push([now, done]);
    while (this.samples.length > 2 && now - (this.samples[1] as [number, number])[0] >= 1000) {
      this.samples.shift();
    }
    const [then, before] = this.samples[0] as [number, number];
    return now > then ? ((done - before) * 1000) / (now - then) : 0;
  }
}

/**
 * @example
 * ```ts
 * const progress = startProgress({ total: 1_000_000, sample, output: process.stderr });
 * await source.done;
 * progress.stop();
 * ```
 */
export function startProgress(options: ProgressOptions): Progress {
  const { output, total } = options;
  const tty = output.isTTY === true;
  const began = performance.now();
  const window = new RateWindow();
  window.rate(began, 0);
  let drawn = 0;

  const lines = (): string[] => {
    const now = performance.now();
    const s = options.sample();
    const done = s.succeeded + s.failed;
    const rate = window.rate(now, done);
    const percent = total > 0 ? Math.min(100, Math.floor((done * 100) / total)) : 0;
    const counters = `received ${count(s.received)}  succeeded ${count(s.succeeded)}  failed ${count(s.failed)}  in flight ${count(s.inFlight)}  batches ${count(s.batches)}  lookups ${count(s.lookups)}`;
    const limit = options.limit > 0 ? ` (limit ${count(options.limit)})` : "";
    const head = `${String(percent).padStart(3)}%  ${count(done)} / ${count(total)}  ${count(rate)} msg/s${limit}  ${seconds(now - began)}`;
    if (!tty) return [`${head}  ${counters}`];
    const width = (output.columns ?? 80) - 1;
    return [`  ${bar(done / Math.max(1, total), 24)} ${head}`, `  ${counters}`].map((line) =>
      line.length > width ? line.slice(0, width) : line,
    );
  };

  const draw = () => {
    const text = lines();
    if (tty) {
      // Back to the first line drawn, then each line cleared and written again.
      const up = drawn > 0 ? `\x1b[${drawn}A` : "";
      output.write(`${up}${text.map((line) => `\r\x1b[2K${line}`).join("\n")}\n`);
      drawn = text.length;
    } else {
      output.write(`${text.join("\n")}\n`);
    }
  };

  const timer = setInterval(draw, tty ? 1000 / (options.fps ?? 8) : 1000);
  timer.unref();
  if (tty) draw();
  return {
    stop() {
      clearInterval(timer);
      draw();
    },
  };
}
