import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Registry, type Self, spawn } from "beamish";
import { runInRuntime, withRuntime } from "beamish/testing";
import { holders } from "./helpers.js";

const invalid = (message: string) => ({ code: "ERR_INVALID_ARGUMENT", message });

describe("Registry bad input", () => {
  test(
    "start options are checked with exact messages",
    withRuntime(() => {
      const cases: Array<[unknown, string]> = [
        [
          undefined,
          'invalid value for `options.keys`: expected one of "unique", "duplicate", got undefined',
        ],
        [
          { keys: "uniq" },
          'invalid value for `options.keys`: expected one of "unique", "duplicate", got "uniq"',
        ],
        [
          { keys: "unique", partitions: 0 },
          "invalid value for `options.partitions`: expected a positive integer, got 0",
        ],
        [
          { keys: "unique", partitions: 1.5 },
          "invalid value for `options.partitions`: expected a positive integer, got 1.5",
        ],
        [
          { keys: "unique", name: "" },
          'invalid value for `options.name`: expected a non-empty string, got ""',
        ],
        [
          { keys: "unique", listeners: "me" },
          'invalid value for `options.listeners`: expected an array of pids or local names, got "me"',
        ],
        [
          { keys: "unique", listeners: [42] },
          "invalid value for `options.listeners`: expected an array of pids or local names, got an array of length 1",
        ],
        [
          { keys: "unique", partition: 2 },
          "invalid value for `options.partition`: expected one of the options keys, name, partitions, listeners, got 2",
        ],
        ["unique", 'invalid value for `options`: expected an options object, got "unique"'],
      ];
      for (const [options, message] of cases) {
        assert.throws(() => Registry.start(options as never), invalid(message));
      }
    }),
  );

  test(
    "a registry argument that is not a registry",
    withRuntime(({ self }) => {
      const message = (got: string) =>
        `invalid value for \`registry\`: expected a Registry from Registry.start or the name of one, got ${got}`;
      assert.throws(() => Registry.lookup({} as never, "k"), invalid(message("an empty object")));
      assert.throws(() => Registry.count(42 as never), invalid(message("42")));
      assert.throws(() => Registry.register(null as never, self, "k", 1), invalid(message("null")));
      spawn((p) => p.receive(), { name: "not-a-registry" });
      assert.throws(() => Registry.count("not-a-registry"), invalid(message('"not-a-registry"')));
      assert.throws(() => Registry.count("nobody"), {
        code: "ERR_NOPROC",
        message: 'no process: "nobody"',
      });
      assert.throws(
        () => Registry.named(""),
        invalid('invalid value for `name`: expected a non-empty string, got ""'),
      );
    }),
  );

  test(
    "register, unregister and updateValue need the Self of a live process of the same runtime",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start({ keys: "unique" });
      const [a] = await holders(1, settle);
      assert.ok(a);
      const notSelf = "invalid value for `self`: expected the Self of a live process, got ";
      assert.throws(
        () => Registry.register(registry, a.pid as never, "k", 1),
        invalid(`${notSelf}a Pid instance`),
      );
      assert.throws(
        () => Registry.register(registry, undefined as never, "k", 1),
        invalid(`${notSelf}undefined`),
      );
      assert.throws(
        () => Registry.unregister(registry, {} as never, "k"),
        invalid(`${notSelf}an empty object`),
      );

      a.exit("normal");
      const dead =
        "invalid value for `self`: expected the Self of a live process, not of one that has exited, got a Process instance";
      assert.throws(() => Registry.register(registry, a, "k", 1), invalid(dead));
      assert.throws(() => Registry.unregister(registry, a, "k"), invalid(dead));
      assert.throws(() => Registry.updateValue(registry, a, "k", (v) => v), invalid(dead));
      assert.equal(Registry.count(registry), 0);

      let foreign: Self | undefined;
      await runInRuntime(async ({ self }) => {
        foreign = self;
      });
      // The other runtime is gone, so is its process; its Self is refused for being foreign first.
      assert.throws(
        () => Registry.register(registry, foreign as Self, "k", 1),
        invalid(
          "invalid value for `self`: expected the Self of a process in the registry's runtime, got a Process instance",
        ),
      );
      assert.throws(() => Registry.startLink(a, { keys: "unique" }), invalid(dead));
    }),
  );

  test(
    "function and pid arguments",
    withRuntime(async ({ settle }) => {
      const registry = Registry.start({ keys: "unique" });
      const [a] = await holders(1, settle);
      assert.ok(a);
      Registry.register(registry, a, "k", 1);
      assert.throws(
        () => Registry.dispatch(registry, "k", "fn" as never),
        invalid('invalid value for `fn`: expected a function, got "fn"'),
      );
      assert.throws(
        () => Registry.updateValue(registry, a, "k", 1 as never),
        invalid("invalid value for `fn`: expected a function, got 1"),
      );
      assert.throws(
        () => Registry.select(registry, null as never),
        invalid("invalid value for `predicate`: expected a function, got null"),
      );
      assert.throws(
        () => Registry.countSelect(registry, 3 as never),
        invalid("invalid value for `predicate`: expected a function, got 3"),
      );
      assert.throws(
        () => Registry.keys(registry, "pid" as never),
        invalid('invalid value for `pid`: expected a pid, got "pid"'),
      );
      assert.throws(
        () => Registry.values(registry, "k", {} as never),
        invalid("invalid value for `pid`: expected a pid, got an empty object"),
      );
    }),
  );
});
