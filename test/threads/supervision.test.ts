import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  GenServer,
  PartitionSupervisor,
  type Pid,
  type ServerRef,
  Supervisor,
  send,
} from "beamish";
import { Cluster, onThreads, threadChild } from "beamish/threads";
import type { CounterProtocol } from "./fixtures/echo.js";

const fixture = new URL("./fixtures/echo.ts", import.meta.url);

async function childPid(sup: Pid, id: string): Promise<Pid | undefined> {
  const child = (await Supervisor.whichChildren(sup)).find((c) => c.id === id);
  return typeof child?.pid === "object" ? child.pid : undefined;
}

async function eventually<T>(f: () => Promise<T | undefined>, what: string): Promise<T> {
  for (let i = 0; i < 500; i++) {
    const value = await f();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("threads: supervision", () => {
  it("a supervisor starts children on worker threads and restarts them when their thread dies", async () => {
    const nodes = await Cluster.start({ threads: 2 });
    try {
      const sup = await Supervisor.start([
        threadChild({ id: "echo", placement: 0, module: fixture, export: "echo" }),
        threadChild({
          id: "counter",
          placement: 1,
          kind: "genServer",
          module: fixture,
          export: "counter",
          args: [7],
        }),
      ]);
      const echo = (await childPid(sup, "echo")) as Pid;
      const counter = (await childPid(sup, "counter")) as ServerRef<CounterProtocol>;
      assert.equal(echo.node, nodes[0]);
      assert.equal((counter as Pid).node, nodes[1]);
      assert.equal(await GenServer.call(counter, "add", 1), 8);

      // A crash of the child is a restart on the same thread.
      send(echo, { from: sup, value: "crash" });
      const crashedOnce = await eventually(async () => {
        const pid = await childPid(sup, "echo");
        return pid !== undefined && !pid.equals(echo) ? pid : undefined;
      }, "the restarted echo");
      assert.equal(crashedOnce.node, nodes[0]);

      // The thread dies (process.exit inside it): the child comes back on the fresh thread.
      send(crashedOnce, { from: sup, value: "exit" });
      const fresh = await eventually(async () => {
        const pid = await childPid(sup, "echo");
        return pid !== undefined && pid.node !== nodes[0] ? pid : undefined;
      }, "the echo on a fresh thread");
      assert.ok(Cluster.nodes().includes(fresh.node));
      assert.equal(
        await GenServer.call(counter, "get"),
        8,
        "the other thread's child was untouched",
      );
      await Supervisor.stop(sup);
    } finally {
      await Cluster.stop();
    }
  });

  it("a PartitionSupervisor spreads its partitions over the threads", async () => {
    const nodes = await Cluster.start({ threads: 2 });
    try {
      const sup = await PartitionSupervisor.start({
        partitions: 4,
        child: onThreads({
          kind: "genServer",
          module: fixture,
          export: "counter",
          args: (i) => [i * 100],
        }),
      });
      const children = await PartitionSupervisor.whichChildren(sup);
      const placed = children.map((c) => (c.pid as Pid).node);
      assert.deepEqual(placed, [nodes[0], nodes[1], nodes[0], nodes[1]]);
      for (let key = 0; key < 4; key++) {
        const server = PartitionSupervisor.via(sup, key) as ServerRef<CounterProtocol>;
        assert.equal(await GenServer.call(server, "get"), key * 100);
      }
      await PartitionSupervisor.stop(sup);
    } finally {
      await Cluster.stop();
    }
  });
});
