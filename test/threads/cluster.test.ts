import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import {
  CallExitError,
  CallTimeoutError,
  DownMessage,
  ExitMessage,
  exit,
  GenServer,
  isBeamishError,
  type Pid,
  type Self,
  send,
  spawn,
} from "beamish";
import {
  Cluster,
  NOCONNECTION,
  NotCloneableError,
  SpawnError,
  spawnOn,
  startOn,
} from "beamish/threads";
import type { CounterProtocol } from "./fixtures/echo.js";

const fixture = new URL("./fixtures/echo.ts", import.meta.url);

/** Runs `body` in a process on the main thread and resolves with what it returns. */
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

const is =
  <T>(type: new (...args: never[]) => T) =>
  (m: unknown): m is T =>
    m instanceof type;

describe("threads: a local cluster", () => {
  let nodes: number[] = [];
  before(async () => {
    nodes = await Cluster.start({ threads: 2 });
  });
  after(() => Cluster.stop());

  it("numbers its worker nodes", () => {
    assert.deepEqual(nodes, [1, 2]);
    assert.deepEqual(Cluster.nodes(), nodes);
  });

  it("sends across threads, pids inside messages compare equal both ways", async () => {
    await inProcess(async (self) => {
      const pid = await spawnOn(nodes[0] as number, fixture, "echo");
      assert.equal(pid.node, nodes[0]);
      send(pid, { from: self.pid, value: { list: [self.pid], n: 1 } });
      const reply = (await self.receive({ timeout: 5000 })) as {
        echo: { list: Pid[] };
        from: Pid;
      };
      assert.ok(reply.echo.list[0]?.equals(self.pid));
      assert.equal(reply.echo.list[0], self.pid, "a local pid comes back as the same object");
      assert.ok(reply.from.equals(pid));
      assert.equal(reply.from, pid, "a remote pid is canonical on its receiving node");
      exit(pid, "kill");
    });
  });

  it("keeps the order of messages from one sender", async () => {
    await inProcess(async (self) => {
      const pid = await spawnOn(nodes[1] as number, fixture, "echo");
      for (let i = 0; i < 1000; i++) send(pid, { from: self.pid, value: i });
      for (let i = 0; i < 1000; i++) {
        const m = (await self.receive({ timeout: 5000 })) as { echo: number };
        assert.equal(m.echo, i);
      }
      exit(pid, "kill");
    });
  });

  it("calls and casts a GenServer on another thread", async () => {
    const server = await startOn<CounterProtocol>(nodes[0] as number, fixture, "counter", 10);
    assert.equal(await GenServer.call(server, "add", 5), 15);
    GenServer.cast(server, "bump", 100);
    assert.equal(await GenServer.call(server, "get"), 115);
    const serverPid = await GenServer.call(server, "pid");
    assert.ok(serverPid.equals(server));
    const replies = await Promise.all(
      Array.from({ length: 200 }, () => GenServer.call(server, "add", 1)),
    );
    assert.equal(replies.at(-1), 315);
    await GenServer.stop(server);
  });

  it("times out a call across threads and drops the late reply", async () => {
    const server = await startOn<CounterProtocol>(nodes[0] as number, fixture, "counter", 1);
    await assert.rejects(GenServer.call(server, "slow", 300, { timeout: 50 }), CallTimeoutError);
    assert.equal(await GenServer.call(server, "add", 1), 2, "the next call gets its own reply");
    await GenServer.stop(server);
  });

  it("fails a call when the server dies mid-call on its thread", async () => {
    const server = await startOn<CounterProtocol>(nodes[1] as number, fixture, "counter", 1);
    const pending = GenServer.call(server, "slow", 2000);
    setTimeout(() => exit(server, "kill"), 20);
    await assert.rejects(
      pending,
      (e: unknown) => e instanceof CallExitError && e.reason === "killed",
    );
  });

  it("links and monitors across threads, exit signals both ways", async () => {
    await inProcess(async (self) => {
      self.trapExit(true);
      // main -> worker: the remote process dies of a link to a crashing local one.
      const remote = await spawnOn(nodes[0] as number, fixture, "idle");
      const ref = self.monitor(remote);
      const local = spawn(async (me) => {
        me.link(remote);
        await me.sleep(20);
        throw new Error("local crash");
      });
      const down = await self.receive({ match: is(DownMessage), timeout: 5000 });
      assert.ok(down instanceof DownMessage && down.ref === ref);
      assert.ok(down.pid.equals(remote));
      assert.match(String((down.reason as Error).message), /local crash/);
      assert.ok(local);
      // worker -> main: a remote trapper linked to us gets our exits as messages.
      const trapper = await spawnOn(nodes[1] as number, fixture, "trapper", [self.pid]);
      await self.receive({
        match: (m) => (m as { ready?: Pid }).ready !== undefined,
        timeout: 5000,
      });
      self.link(trapper);
      const child = spawn(async (me) => {
        me.link(trapper);
        send(self.pid, "child linked");
        await me.receive();
      });
      await self.receive({ match: (m) => m === "child linked", timeout: 5000 });
      exit(child, "shutdown-now");
      const trapped = (await self.receive({
        match: (m) => (m as { trapped?: unknown }).trapped !== undefined,
        timeout: 5000,
      })) as { trapped: ExitMessage };
      assert.ok(trapped.trapped.from.equals(child));
      assert.equal(trapped.trapped.reason, "shutdown-now");
      // a remote crash reaches the linked local process as an exit signal
      exit(trapper, "kill");
      const exitMessage = await self.receive({ match: is(ExitMessage), timeout: 5000 });
      assert.ok(exitMessage instanceof ExitMessage && exitMessage.from.equals(trapper));
      assert.equal(exitMessage.reason, "killed");
    });
  });

  it("a monitor of a dead remote process gets noproc", async () => {
    await inProcess(async (self) => {
      const remote = await spawnOn(nodes[0] as number, fixture, "idle");
      exit(remote, "kill");
      const first = self.monitor(remote);
      await self.receive({
        match: (m) => m instanceof DownMessage && m.ref === first,
        timeout: 5000,
      });
      const second = self.monitor(remote);
      const down = (await self.receive({
        match: (m) => m instanceof DownMessage && m.ref === second,
        timeout: 5000,
      })) as DownMessage;
      assert.equal(down.reason, "noproc");
    });
  });

  it("refuses what cannot be cloned at the call site, and the sender lives on", async () => {
    await inProcess(async (self) => {
      const pid = await spawnOn(nodes[0] as number, fixture, "echo");
      assert.throws(
        () => send(pid, { callback: () => {} }),
        (e: unknown) => {
          return (
            e instanceof NotCloneableError && e.path === "message.callback" && e.where === "message"
          );
        },
      );
      const server = await startOn<CounterProtocol>(nodes[0] as number, fixture, "counter", 0);
      await assert.rejects(
        GenServer.call(server, "add", (() => 1) as unknown as number),
        (e: unknown) => isBeamishError(e, "ERR_NOT_CLONEABLE"),
      );
      assert.throws(
        () => GenServer.cast(server, "bump", Symbol("x") as unknown as number),
        NotCloneableError,
      );
      assert.equal(
        await GenServer.call(server, "add", 2),
        2,
        "nothing half-sent reached the server",
      );
      await assert.rejects(
        spawnOn(nodes[0] as number, fixture, "echo", [() => {}]),
        (e: unknown) => e instanceof NotCloneableError && e.where === "argument",
      );
      send(pid, { from: self.pid, value: "still here" });
      assert.deepEqual(
        ((await self.receive({ timeout: 5000 })) as { echo: string }).echo,
        "still here",
      );
      exit(pid, "kill");
      await GenServer.stop(server);
    });
  });

  it("names the module or export that cannot be started", async () => {
    await assert.rejects(spawnOn(nodes[0] as number, "/no/such/module.ts", "x"), (e: unknown) => {
      return (
        e instanceof SpawnError &&
        /module not found/.test(e.message) &&
        e.module.includes("/no/such/module.ts")
      );
    });
    await assert.rejects(spawnOn(nodes[0] as number, fixture, "missing"), (e: unknown) => {
      return (
        e instanceof SpawnError &&
        e.exportName === "missing" &&
        /no export "missing"/.test(e.message)
      );
    });
    await assert.rejects(
      spawnOn(nodes[0] as number, fixture, "notAFunction"),
      /not a function \(got number\)/,
    );
    await assert.rejects(
      startOn(nodes[0] as number, fixture, "echo"),
      /not a GenServer definition/,
    );
    await assert.rejects(
      spawnOn(nodes[0] as number, "relative/path.ts", "x"),
      /absolute path or a file URL/,
    );
  });
});

describe("threads: a worker thread that dies", () => {
  it("delivers exits to links and noconnection DOWNs to monitors, then is replaced", async () => {
    const [node] = await Cluster.start({ threads: 1 });
    try {
      await inProcess(async (self) => {
        self.trapExit(true);
        const a = await spawnOn(node as number, fixture, "echo");
        const b = await spawnOn(node as number, fixture, "idle");
        self.link(a);
        const ref = self.monitor(b);
        const server = await startOn<CounterProtocol>(node as number, fixture, "counter", 0);
        const pending = GenServer.call(server, "slow", 5000);
        send(a, { from: self.pid, value: "exit" }); // process.exit(3) in the worker
        const exitMessage = await self.receive({ match: is(ExitMessage), timeout: 5000 });
        assert.ok(exitMessage instanceof ExitMessage && exitMessage.from.equals(a));
        assert.equal(exitMessage.reason, NOCONNECTION);
        const down = await self.receive({ match: is(DownMessage), timeout: 5000 });
        assert.ok(down instanceof DownMessage && down.ref === ref && down.reason === NOCONNECTION);
        await assert.rejects(
          pending,
          (e: unknown) => e instanceof CallExitError && e.reason === NOCONNECTION,
        );
        // No zombie: a send to a pid of the dead node is dropped, a call fails at once.
        send(a, "into the void");
        await assert.rejects(GenServer.call(server, "get"), /no process/);
      });
      // a fresh thread takes the slot, under a new node number
      for (let i = 0; i < 200 && Cluster.nodes().length === 0; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
      const [fresh] = Cluster.nodes();
      assert.ok(fresh !== undefined && fresh !== node);
    } finally {
      await Cluster.stop();
    }
  });

  it("an uncaught error in the worker takes its processes down with noconnection", async () => {
    const [node] = await Cluster.start({ threads: 1, replace: false });
    const stderr = process.stderr.write;
    try {
      await inProcess(async (self) => {
        const a = await spawnOn(node as number, fixture, "echo");
        const ref = self.monitor(a);
        send(a, { from: self.pid, value: "throw-outside" });
        const down = (await self.receive({ match: is(DownMessage), timeout: 5000 })) as DownMessage;
        assert.equal(down.ref, ref);
        assert.equal(down.reason, NOCONNECTION);
        assert.deepEqual(Cluster.nodes(), []);
      });
    } finally {
      process.stderr.write = stderr;
      await Cluster.stop();
    }
  });

  it("running out of memory (resourceLimits) is a death like any other", async () => {
    const [node] = await Cluster.start({
      threads: 1,
      replace: false,
      resourceLimits: { maxOldGenerationSizeMb: 32, maxYoungGenerationSizeMb: 8 },
    });
    try {
      await inProcess(async (self) => {
        const hog = await spawnOn(node as number, fixture, "hog");
        const ref = self.monitor(hog);
        const down = (await self.receive({
          match: is(DownMessage),
          timeout: 20000,
        })) as DownMessage;
        assert.equal(down.ref, ref);
        assert.equal(down.reason, NOCONNECTION);
      });
    } finally {
      await Cluster.stop();
    }
  });
});
