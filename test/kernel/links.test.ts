import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { LinkSet } from "../../src/kernel/links.js";
import type { Process } from "../../src/kernel/process.js";
import { Runtime } from "../../src/kernel/runtime.js";

describe("LinkSet", () => {
  test("behaves as a Set kept in insertion order, through the move from array to Set", () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 40 })), { maxLength: 300 }),
        (ops) => {
          const links = new LinkSet<number>(-1, -2);
          const model = new Set<number>([-1, -2]);
          for (const [add, item] of ops) {
            if (add) {
              links.add(item);
              model.add(item);
            } else {
              links.delete(item);
              model.delete(item);
            }
            assert.equal(links.size, model.size, "size");
          }
          assert.deepEqual([...links], [...model], "members, in insertion order");
        },
      ),
    );
  });

  test("adding a member twice keeps one, in its first place", () => {
    const links = new LinkSet("a", "b");
    links.add("a");
    links.add("c");
    links.delete("b");
    links.add("b");
    assert.deepEqual([...links], ["a", "c", "b"], "order after re-adding");
  });
});

describe("links between processes, against a model", () => {
  type Op =
    | { op: "spawnLink"; parent: number; trap: boolean }
    | { op: "link" | "unlink"; a: number; b: number }
    | { op: "exit"; who: number; reason: "normal" | "boom" | "kill" };
  const index = fc.integer({ min: 0, max: 7 });
  const opArb: fc.Arbitrary<Op> = fc.oneof(
    {
      arbitrary: fc.record({
        op: fc.constant("spawnLink" as const),
        parent: index,
        trap: fc.boolean(),
      }),
      weight: 4,
    },
    {
      arbitrary: fc.record({
        op: fc.constantFrom("link" as const, "unlink" as const),
        a: index,
        b: index,
      }),
      weight: 3,
    },
    {
      arbitrary: fc.record({
        op: fc.constant("exit" as const),
        who: index,
        reason: fc.constantFrom("normal" as const, "boom" as const, "kill" as const),
      }),
      weight: 2,
    },
  );

  test("a parent's exit reaches every child, also when a child's exit takes a sibling with it", () => {
    const runtime = new Runtime();
    const idle = () => new Promise<never>(() => {});
    const parent = runtime.spawnProcess(idle, null);
    const children = [1, 2, 3, 4].map(() => parent.spawnLink(idle).process as Process);
    // The newest child, signalled first, is linked to the next one: its exit kills that sibling
    // while the parent is still walking its children.
    (children[3] as Process).link((children[2] as Process).pid);
    parent.exit("boom");
    for (const [i, child] of children.entries()) {
      assert.equal(child.alive, false, `child ${i} still alive`);
      assert.equal(child.exitReason, "boom", `exit reason of child ${i}`);
    }
  });

  test("spawnLink, link, unlink and exits agree with a graph of links", () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const runtime = new Runtime();
        const idle = () => new Promise<never>(() => {});
        const procs: Process[] = [runtime.spawnProcess(idle, null)];
        // The model: which processes live, their exit reasons, links, EXIT messages received.
        const alive: boolean[] = [true];
        const reasons: unknown[] = [undefined];
        const trapping: boolean[] = [false];
        const exits: number[] = [0];
        const edges = new Set<string>();
        const edge = (a: number, b: number) => (a < b ? `${a}-${b}` : `${b}-${a}`);
        const modelExit = (first: number, firstReason: unknown) => {
          const queue: Array<[number, unknown]> = [[first, firstReason]];
          alive[first] = false;
          reasons[first] = firstReason;
          while (queue.length > 0) {
            const [x, reason] = queue.shift() as [number, unknown];
            for (let y = 0; y < procs.length; y++) {
              if (!edges.delete(edge(x, y))) continue;
              if (!alive[y]) continue;
              if (trapping[y]) exits[y] = (exits[y] ?? 0) + 1;
              else if (reason !== "normal") {
                alive[y] = false;
                reasons[y] = reason;
                queue.push([y, reason]);
              }
            }
          }
        };
        for (const o of ops) {
          if (o.op === "spawnLink") {
            const parent = procs[o.parent % procs.length] as Process;
            if (!parent.alive) continue;
            const child = parent.spawnLink(idle).process as Process;
            child.trapExit(o.trap);
            procs.push(child);
            alive.push(true);
            reasons.push(undefined);
            trapping.push(o.trap);
            exits.push(0);
            edges.add(edge(procs.indexOf(parent), procs.length - 1));
          } else if (o.op === "link" || o.op === "unlink") {
            const a = o.a % procs.length;
            const b = o.b % procs.length;
            const pa = procs[a] as Process;
            const pb = procs[b] as Process;
            if (o.op === "link") {
              if (!alive[a]) continue;
              if (!alive[b]) {
                // Linking to a dead process is an exit signal `noproc` to the caller.
                pa.link(pb.pid);
                if (trapping[a]) exits[a] = (exits[a] ?? 0) + 1;
                else modelExit(a, "noproc");
                continue;
              }
              pa.link(pb.pid);
              if (a !== b) edges.add(edge(a, b));
            } else {
              pa.unlink(pb.pid);
              edges.delete(edge(a, b));
            }
          } else if (o.op === "exit") {
            const who = o.who % procs.length;
            if (!alive[who]) continue;
            const p = procs[who] as Process;
            if (o.reason === "kill") {
              p.exitSignal(runtime.rootPid, "kill", false);
              modelExit(who, "killed");
            } else {
              p.exit(o.reason);
              modelExit(who, o.reason);
            }
          }
        }
        procs.forEach((p, i) => {
          assert.equal(p.alive, alive[i], `process ${i} alive`);
          if (!alive[i]) assert.equal(p.exitReason, reasons[i], `process ${i} exit reason`);
          else assert.equal(p.mailboxLength, exits[i], `EXIT messages of process ${i}`);
          const linked = p
            .linkedPids()
            .map((pid) => procs.findIndex((q) => q.pid === pid))
            .sort((x, y) => x - y);
          const expected = procs.map((_, j) => j).filter((j) => alive[i] && edges.has(edge(i, j)));
          assert.deepEqual(linked, expected, `links of process ${i}`);
        });
        runtime.killAll();
      }),
      { numRuns: 300 },
    );
  });
});
