import assert from "node:assert/strict";
import { test } from "node:test";
import { keepShape } from "../../src/kernel/shapes.js";

test("keepShape hands back the very instance it keeps", () => {
  const instance = { kind: "events", events: [] as unknown[] };
  assert.equal(keepShape(instance), instance, "the same object, unchanged");
  assert.deepEqual(instance, { kind: "events", events: [] }, "not touched");
});
