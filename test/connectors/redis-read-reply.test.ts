import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { entriesOfRead } from "../../src/connectors/redis/read-reply.js";

describe("entriesOfRead (XREADGROUP's reply from sendCommand)", () => {
  const raw = [
    ["1-0", ["id", "0", "body", "a"]],
    ["1-1", ["id", "1"]],
  ];
  const expected = [
    { id: "1-0", message: { id: "0", body: "a" } },
    { id: "1-1", message: { id: "1" } },
  ];

  test("RESP3 (node-redis's default): a map of the stream to its entries", () => {
    assert.deepEqual(entriesOfRead({ orders: raw }), expected);
  });

  test("RESP2: [[stream, entries]]", () => {
    assert.deepEqual(entriesOfRead([["orders", raw]]), expected);
  });

  test("BLOCK timed out (null), or a reply without entries: none", () => {
    assert.deepEqual(entriesOfRead(null), []);
    assert.deepEqual(entriesOfRead({}), []);
    assert.deepEqual(entriesOfRead([]), []);
    assert.deepEqual(entriesOfRead({ orders: [] }), []);
  });

  test("an entry without fields (deleted) comes with none, not left out", () => {
    assert.deepEqual(entriesOfRead({ orders: [["1-0", null]] }), [{ id: "1-0", message: {} }]);
  });
});
