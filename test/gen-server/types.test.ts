/**
 * The typed protocol: every `@ts-expect-error` below must be an error for `tsc --noEmit` to
 * pass, so this file proves that misuse fails to compile. The test only runs the valid lines.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { GenServer, noreply, reply, stop } from "beamish";
import { withRuntime } from "beamish/testing";
import type { Counter } from "./helpers.js";
import { counter } from "./helpers.js";

interface Opt {
  calls: { maybe(n?: number): string };
}

function typeChecks(server: GenServer.Server<Counter>, opt: GenServer.Server<Opt>): void {
  const n: Promise<number> = GenServer.call(server, "add", 5);
  const g: Promise<number> = GenServer.call(server, "get");
  GenServer.call(server, "get", undefined, { timeout: 10 });
  GenServer.call(opt, "maybe");
  GenServer.call(opt, "maybe", 1);
  GenServer.cast(server, "inc", 1);
  GenServer.cast(server, "reset");
  void n;
  void g;

  // @ts-expect-error: no such call
  GenServer.call(server, "nope");
  // @ts-expect-error: wrong argument type
  GenServer.call(server, "add", "5");
  // @ts-expect-error: missing argument
  GenServer.call(server, "add");
  // @ts-expect-error: the reply is a number, not a string
  const s: Promise<string> = GenServer.call(server, "get");
  void s;
  // @ts-expect-error: get takes no argument
  GenServer.call(server, "get", 1);
  // @ts-expect-error: a cast is not a call
  GenServer.call(server, "inc", 1);
  // @ts-expect-error: a call is not a cast
  GenServer.cast(server, "get");
  // @ts-expect-error: wrong cast argument
  GenServer.cast(server, "inc", "1");
  // @ts-expect-error: missing cast argument
  GenServer.cast(server, "inc");
  // @ts-expect-error: an untyped pid speaks no protocol
  GenServer.call(server as import("beamish").Pid, "get");
  // @ts-expect-error: options must be an options object
  GenServer.call(server, "get", undefined, { timeOut: 1 });
}

const typedName = GenServer.named<Counter>("counter");
function namedChecks(): void {
  GenServer.call(typedName, "add", 1);
  // @ts-expect-error: the name's protocol has no such call
  GenServer.call(typedName, "nope");
}

// Definitions are checked against the protocol too.
export const wrongReply: GenServer.Definition<Counter, number, number> = {
  ...counter(),
  handleCall: {
    ...counter().handleCall,
    // @ts-expect-error: get must reply a number
    get: (_, _from, state) => reply("not a number", state),
  },
};

export const wrongState: GenServer.Definition<Counter, number, number> = {
  ...counter(),
  handleCast: {
    ...counter().handleCast,
    // @ts-expect-error: the state is a number
    reset: () => "zero",
  },
};

export const missing: GenServer.Definition<Counter, number, number> = {
  init: (n) => n,
  // @ts-expect-error: handlers are missing (handleCall lacks every call but get)
  handleCall: { get: (_, _from, n) => reply(n, n) },
  handleCast: { inc: (by, n) => n + by, reset: () => 0, crash: (_, n) => n },
};

export const typedArgs: GenServer.Definition<Counter, number, number> = {
  ...counter(),
  handleCall: {
    ...counter().handleCall,
    add: (by, from, n) => {
      const b: number = by;
      GenServer.reply(from, b);
      // @ts-expect-error: the reply for add is a number
      GenServer.reply(from, "x");
      return noreply(n);
    },
    quit: (_, _from, n) => stop("normal", n, { reply: "bye" }),
  },
};

export const wrongStopReply: GenServer.Definition<Counter, number, number> = {
  ...counter(),
  handleCall: {
    ...counter().handleCall,
    // @ts-expect-error: quit replies a string, not a number
    quit: (_, _from, n) => stop("normal", n, { reply: 5 }),
  },
};

test(
  "typed calls run",
  withRuntime(async () => {
    void typeChecks;
    void namedChecks;
    const server = await GenServer.start(counter(), 1);
    assert.equal(await GenServer.call(server, "add", 1), 2);
  }),
);
