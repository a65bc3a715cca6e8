import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { LinkSet } from "../../src/kernel/links.js";

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
