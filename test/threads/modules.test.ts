import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { type Self, send, spawn } from "beamish";
import { Cluster, spawnOn } from "beamish/threads";

const typed = new URL("./fixtures/typed.ts", import.meta.url);
const plainSend = new URL("./fixtures/plain-send.mjs", import.meta.url);

function inProcess<T>(body: (self: Self) => Promise<T>): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    spawn(async (self) => {
      try {
        resolve(await body(self));
      } catch (error) {
        reject(error);
      }
    });
  });
}

async function runBoth(): Promise<void> {
  const [node] = Cluster.nodes();
  await inProcess(async (self) => {
    const summer = await spawnOn(node as number, typed, "sum", [self.pid]);
    send(summer, { values: [1, 2, 3, 4] });
    const reply = (await self.receive({ timeout: 10000 })) as { total: number; thread: number };
    assert.equal(reply.total, 10);
    assert.ok(reply.thread > 0, "it ran on a worker thread");
    const tripler = await spawnOn(node as number, plainSend, "triple", [self.pid]);
    send(tripler, 14);
    assert.equal(await self.receive({ timeout: 10000 }), 42);
  });
}

describe("threads: worker modules", () => {
  it("loads TypeScript and plain .mjs modules in workers that inherit the main thread's flags", async () => {
    await Cluster.start({ threads: 1 });
    try {
      await runBoth();
    } finally {
      await Cluster.stop();
    }
  });

  it("registers tsx in a worker started without any loader flag", async () => {
    await Cluster.start({ threads: 1, execArgv: [] });
    try {
      await runBoth();
    } finally {
      await Cluster.stop();
    }
  });

  it("takes a module as an absolute path as well as a file URL", async () => {
    const [node] = await Cluster.start({ threads: 1 });
    try {
      await inProcess(async (self) => {
        const pid = await spawnOn(node as number, typed.pathname, "sum", [self.pid]);
        send(pid, { values: [5] });
        assert.equal(((await self.receive({ timeout: 10000 })) as { total: number }).total, 5);
      });
    } finally {
      await Cluster.stop();
    }
  });
});
