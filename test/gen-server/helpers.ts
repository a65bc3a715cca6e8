import { GenServer, noreply, reply, stop } from "beamish";

export interface Counter {
  calls: {
    get(): number;
    add(n: number): number;
    slow(ms: number): string;
    defer(): number;
    quit(): string;
    boom(): never;
  };
  casts: { inc(n: number): void; reset(): void; crash(): void };
}

/** A counter whose state is a number; `log` records terminate calls. */
export function counter(log: unknown[] = []): GenServer.Definition<Counter, number, number> {
  return {
    init: (start) => start,
    handleCall: {
      get: (_, _from, n) => reply(n, n),
      add: (by, _from, n) => reply(n + by, n + by),
      slow: async (ms, _from, n, self) => {
        await self.sleep(ms);
        return reply(`slept ${ms}`, n);
      },
      defer: (_, from, n) => {
        queueMicrotask(() => GenServer.reply(from, n * 10));
        return noreply(n);
      },
      quit: (_, _from, n) => stop("normal", n, { reply: "bye" }),
      boom: () => {
        throw new Error("boom");
      },
    },
    handleCast: {
      inc: (by, n) => n + by,
      reset: () => 0,
      crash: () => {
        throw new Error("cast crash");
      },
    },
    terminate: (reason, state) => {
      log.push({ reason, state });
    },
  };
}
