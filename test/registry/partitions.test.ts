import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isBeamishError, type KeysKind, type Pid, Registry } from "beamish";
import { runInRuntime } from "beamish/testing";
import fc from "fast-check";
import { holders } from "./helpers.js";

type Op =
  | { readonly op: "register"; readonly who: number; readonly key: string; readonly value: number }
  | { readonly op: "unregister"; readonly who: number; readonly key: string }
  | { readonly op: "exit"; readonly who: number; readonly how: "kill" | "crash" | "normal" };

const PROCESSES = 4;
const KEYS = ["a", "b", "c", "d", "e", "f"];
const who = fc.integer({ min: 0, max: PROCESSES - 1 });
const key = fc.constantFrom(...KEYS);
const operation: fc.Arbitrary<Op> = fc.oneof(
  {
    arbitrary: fc.record({ op: fc.constant("register" as const), who, key, value: fc.integer() }),
    weight: 6,
  },
  { arbitrary: fc.record({ op: fc.constant("unregister" as const), who, key }), weight: 3 },
  {
    arbitrary: fc.record({
      op: fc.constant("exit" as const),
      who,
      how: fc.constantFrom("kill" as const, "crash" as const, "normal" as const),
    }),
    weight: 1,
  },
);

/** The plain model: live processes and the entries in the order registered. */
class Model {
  readonly alive = new Set<number>();
  entries: Array<{ who: number; key: string; value: number }> = [];

  constructor(readonly kind: KeysKind) {
    for (let i = 0; i < PROCESSES; i++) this.alive.add(i);
  }

  /** What the registry must do: "ok", or the code of the error it must throw. */
  apply(op: Op): string {
    if (!this.alive.has(op.who)) return op.op === "exit" ? "ok" : "ERR_INVALID_ARGUMENT";
    if (op.op === "register") {
      if (this.kind === "unique" && this.entries.some((e) => e.key === op.key)) {
        return "ERR_ALREADY_REGISTERED";
      }
      this.entries.push({ who: op.who, key: op.key, value: op.value });
    } else if (op.op === "unregister") {
      this.entries = this.entries.filter((e) => !(e.who === op.who && e.key === op.key));
    } else {
      this.alive.delete(op.who);
      this.entries = this.entries.filter((e) => e.who !== op.who);
    }
    return "ok";
  }

  lookup(k: string, pids: Pid[]): Array<[Pid, number]> {
    return this.entries.filter((e) => e.key === k).map((e) => [pids[e.who] as Pid, e.value]);
  }

  keys(w: number): string[] {
    const order: string[] = [];
    const counts = new Map<string, number>();
    for (const e of this.entries) {
      if (e.who !== w) continue;
      if (!counts.has(e.key)) order.push(e.key);
      counts.set(e.key, (counts.get(e.key) ?? 0) + 1);
    }
    return order.flatMap((k) => Array<string>(counts.get(k) ?? 0).fill(k));
  }
}

describe("Registry partitions", () => {
  test("1 and 4 partitions give the model's lookup, count and keys after any sequence of operations", async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom<KeysKind>("unique", "duplicate"),
        fc.array(operation, { maxLength: 60 }),
        (kind, ops) =>
          runInRuntime(async ({ settle }) => {
            const selves = await holders(PROCESSES, settle);
            const pids = selves.map((s) => s.pid);
            const registries = [1, 4].map((partitions) =>
              Registry.start<string, number>({ keys: kind, partitions }),
            );
            const model = new Model(kind);
            for (const op of ops) {
              const self = selves[op.who];
              assert.ok(self);
              const expected = model.apply(op);
              if (op.op === "exit") {
                // An exit is one event whatever the number of registries: do it once.
                if (op.how === "kill") self.sendExit(self.pid, "kill");
                else self.exit(op.how === "crash" ? new Error("crash") : "normal");
              }
              for (const registry of registries) {
                let outcome = "ok";
                try {
                  if (op.op === "register") Registry.register(registry, self, op.key, op.value);
                  else if (op.op === "unregister") Registry.unregister(registry, self, op.key);
                } catch (error) {
                  outcome = isBeamishError(error) ? error.code : String(error);
                }
                assert.equal(
                  outcome,
                  expected,
                  `${JSON.stringify(op)} on ${registry.partitions} partition(s)`,
                );
                assert.equal(Registry.count(registry), model.entries.length);
                for (const k of KEYS)
                  assert.deepEqual(Registry.lookup(registry, k), model.lookup(k, pids));
                for (let w = 0; w < PROCESSES; w++) {
                  assert.deepEqual(Registry.keys(registry, pids[w] as Pid), model.keys(w));
                }
              }
            }
            const [one, four] = registries.map((r) =>
              Registry.select(r)
                .map(({ key: k, pid, value }) => `${k} ${pid} ${value}`)
                .sort(),
            );
            assert.deepEqual(one, four);
          }),
      ),
      { numRuns: 150 },
    );
  });
});
