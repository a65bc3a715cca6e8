import assert from "node:assert/strict";
import { once } from "node:events";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { describe, it } from "node:test";
import { type Pid, type Self, send, spawn } from "beamish";
import { assertReceive, withRuntime } from "beamish/testing";

/**
 * Spawns a pair playing `rounds` rounds of ping-pong; `onRound` runs on each round the pinger
 * completes, and `done` is sent to `report` at the end.
 */
function pingPong(rounds: number, onRound: (round: number) => void, report?: Pid): void {
  const ponger = spawn(async (p) => {
    for (;;) {
      const from = (await p.receive()) as Pid;
      send(from, "pong");
    }
  });
  spawn(async (p) => {
    for (let i = 0; i < rounds; i++) {
      send(ponger, p.pid);
      await p.receive();
      onRound(i);
    }
    if (report !== undefined) send(report, "done");
  });
}

/** The longest run of equal neighbours in `log`. */
function longestRun(log: readonly unknown[]): number {
  let longest = 0;
  let run = 0;
  for (let i = 0; i < log.length; i++) {
    run = i > 0 && log[i] === log[i - 1] ? run + 1 : 1;
    longest = Math.max(longest, run);
  }
  return longest;
}

/** Resolves on the next turn of the event loop's check phase. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

describe("scheduler", () => {
  it(
    "interleaves two busy ping-pong pairs round by round",
    withRuntime(async ({ self }) => {
      const log: string[] = [];
      const rounds = 2000;
      pingPong(rounds, () => log.push("a"), self.pid);
      pingPong(rounds, () => log.push("b"), self.pid);
      await assertReceive(self, "done", { timeout: 10_000 });
      await assertReceive(self, "done", { timeout: 10_000 });
      assert.equal(log.length, 2 * rounds);
      assert.ok(longestRun(log) <= 2, `one pair ran ${longestRun(log)} rounds in a row`);
    }),
  );

  it(
    "lets a pair progress while another process floods itself",
    withRuntime(async ({ self }) => {
      const total = 100_000;
      let flooded = 0;
      const flooder = spawn(async (p) => {
        for (let i = 0; i < total; i++) {
          send(p.pid, i);
          await p.receive();
          flooded++;
        }
        send(self.pid, "flood done");
      });
      assert.ok(flooder);
      let floodedWhenPairDone = -1;
      pingPong(100, (round) => {
        if (round === 99) floodedWhenPairDone = flooded;
      });
      await assertReceive(self, "flood done", { timeout: 10_000 });
      assert.ok(floodedWhenPairDone >= 0, "the pair never finished");
      assert.ok(
        floodedWhenPairDone < total,
        `the pair finished only after the flood (${floodedWhenPairDone} of ${total})`,
      );
    }),
  );

  it(
    "lets a pair progress while a consumer works through a flood sent by another process",
    withRuntime(async ({ self }) => {
      const total = 100_000;
      let consumed = 0;
      const consumer = spawn(async (p) => {
        for (let i = 0; i < total; i++) {
          await p.receive();
          consumed++;
        }
        send(self.pid, "consumed all");
      });
      spawn(() => {
        for (let i = 0; i < total; i++) send(consumer, i);
      });
      let consumedWhenPairDone = -1;
      pingPong(100, (round) => {
        if (round === 99) consumedWhenPairDone = consumed;
      });
      await assertReceive(self, "consumed all", { timeout: 10_000 });
      assert.ok(consumedWhenPairDone >= 0, "the pair never finished");
      assert.ok(
        consumedWhenPairDone < total,
        `the pair finished only after the flood (${consumedWhenPairDone} of ${total})`,
      );
    }),
  );
});

describe("scheduler fairness on real time", () => {
  it(
    "serves a timer and an HTTP request while thousands of processes exchange messages",
    withRuntime(
      async ({ self }) => {
        const server = http.createServer((_req, res) => res.end("ok"));
        server.listen(0, "127.0.0.1");
        await once(server, "listening");
        try {
          const { port } = server.address() as AddressInfo;
          const pairs = 1000;
          const rounds = 50;
          const final = pairs * rounds;
          let exchanges = 0;
          let atTimer = -1;
          let atResponse = -1;
          let response: Promise<string> | undefined;
          // Both start once the processes are busy exchanging, and must be served before the
          // exchanges are over.
          const startWaiting = () => {
            setTimeout(() => {
              atTimer = exchanges;
            }, 5);
            response = fetch(`http://127.0.0.1:${port}/`).then(async (res) => {
              const body = await res.text();
              atResponse = exchanges;
              return body;
            });
          };
          for (let i = 0; i < pairs; i++) {
            pingPong(
              rounds,
              () => {
                if (++exchanges === pairs) startWaiting();
              },
              self.pid,
            );
          }
          for (let i = 0; i < pairs; i++) await assertReceive(self, "done", { timeout: 60_000 });
          assert.equal(await response, "ok");
          assert.equal(exchanges, final);
          assert.ok(atTimer >= pairs && atTimer < final, `the timer ran at ${atTimer} of ${final}`);
          assert.ok(
            atResponse >= pairs && atResponse < final,
            `the response came at ${atResponse} of ${final}`,
          );
        } finally {
          server.close();
        }
      },
      { clock: "real" },
    ),
  );

  it(
    "serves a timer while one process works through a backlog of messages",
    withRuntime(
      async ({ self }) => {
        const total = 100_000;
        let consumed = 0;
        let atTimer = -1;
        let atImmediate = -1;
        const consumer = spawn(async (p: Self) => {
          await p.receive({ match: (m) => m === "go" });
          setTimeout(() => {
            atTimer = consumed;
          }, 1);
          setImmediate(() => {
            atImmediate = consumed;
          });
          for (let i = 0; i < total; i++) {
            await p.receive();
            consumed++;
          }
          send(self.pid, "consumed all");
        });
        await nextTurn();
        for (let i = 0; i < total; i++) send(consumer, i);
        send(consumer, "go");
        await assertReceive(self, "consumed all", { timeout: 60_000 });
        assert.ok(
          atImmediate >= 0 && atImmediate < total,
          `setImmediate ran at ${atImmediate} of ${total}`,
        );
        assert.ok(atTimer >= 0 && atTimer < total, `the timer ran at ${atTimer} of ${total}`);
      },
      { clock: "real" },
    ),
  );
});
