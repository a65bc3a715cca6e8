// Each kind of table against a model: an array of [key, value] objects with the kind's rules.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isDeepStrictEqual } from "node:util";
import { Table, type TableKind } from "beamish";
import { withRuntime } from "beamish/testing";
import fc from "fast-check";

type Obj = [number | string, number];
type Step =
  | { op: "insert"; key: number | string; value: number }
  | { op: "insertMany"; objects: Obj[] }
  | { op: "insertNew"; key: number | string; value: number }
  | { op: "delete"; key: number | string }
  | { op: "deleteObject"; key: number | string; value: number }
  | { op: "selectDelete"; below: number };

const key = fc.oneof(fc.integer({ min: 0, max: 8 }), fc.constantFrom("a", "b", "c"));
const value = fc.integer({ min: 0, max: 3 });
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ op: fc.constant("insert" as const), key, value }) },
  {
    weight: 1,
    arbitrary: fc.record({
      op: fc.constant("insertMany" as const),
      objects: fc.array(fc.tuple(key, value), { maxLength: 4 }),
    }),
  },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("insertNew" as const), key, value }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("delete" as const), key }) },
  { weight: 2, arbitrary: fc.record({ op: fc.constant("deleteObject" as const), key, value }) },
  { weight: 1, arbitrary: fc.record({ op: fc.constant("selectDelete" as const), below: value }) },
);

/** The model of one kind: what `insert` does to the list of objects. */
function modelInsert(kind: TableKind, model: Obj[], [k, v]: Obj): void {
  const i = model.findIndex(([mk]) => mk === k);
  if (kind === "set" || kind === "orderedSet") {
    if (i >= 0) (model[i] as Obj)[1] = v;
    else model.push([k, v]);
  } else if (kind === "bag") {
    if (!model.some((o) => isDeepStrictEqual(o, [k, v]))) model.push([k, v]);
  } else {
    model.push([k, v]);
  }
}

const compare = (a: Obj[0], b: Obj[0]): number =>
  typeof a === typeof b ? (a < b ? -1 : a > b ? 1 : 0) : typeof a === "number" ? -1 : 1;

for (const kind of ["set", "orderedSet", "bag", "duplicateBag"] as const) {
  describe(`a ${kind} table`, () => {
    test(
      "behaves as its model under random inserts and deletes",
      withRuntime(({ self }) => {
        fc.assert(
          fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
            const table = Table.create<number | string, number, TableKind>(self, { kind });
            const model: Obj[] = [];
            for (const s of steps) {
              if (s.op === "insert") {
                table.insert(s.key, s.value);
                modelInsert(kind, model, [s.key, s.value]);
              } else if (s.op === "insertMany") {
                table.insert(s.objects);
                for (const o of s.objects) modelInsert(kind, model, [o[0], o[1]]);
              } else if (s.op === "insertNew") {
                const fresh = !model.some(([k]) => k === s.key);
                assert.equal(table.insertNew(s.key, s.value), fresh);
                if (fresh) model.push([s.key, s.value]);
              } else if (s.op === "delete") {
                const had = model.some(([k]) => k === s.key);
                assert.equal(table.delete(s.key), had);
                model.splice(0, model.length, ...model.filter(([k]) => k !== s.key));
              } else if (s.op === "deleteObject") {
                const kept = model.filter(([k, v]) => !(k === s.key && v === s.value));
                assert.equal(table.deleteObject(s.key, s.value), kept.length < model.length);
                model.splice(0, model.length, ...kept);
              } else {
                const kept = model.filter(([, v]) => v >= s.below);
                assert.equal(
                  table.selectDelete((v) => v < s.below),
                  model.length - kept.length,
                );
                model.splice(0, model.length, ...kept);
              }
              assert.equal(table.size, model.length);
            }
            for (const k of [0, 1, 2, 3, 4, 5, 6, 7, 8, "a", "b", "c"]) {
              const values = model.filter(([mk]) => mk === k).map(([, v]) => v);
              const found = table.lookup(k);
              if (kind === "bag" || kind === "duplicateBag") {
                assert.deepEqual([...(found as readonly number[])].sort(), [...values].sort());
              } else {
                assert.equal(found, values[0]);
              }
              assert.equal(table.member(k), values.length > 0);
            }
            const objects = table.toArray();
            if (kind === "orderedSet") {
              assert.deepEqual(
                objects,
                [...model].sort((a, b) => compare(a[0], b[0])),
              );
            } else {
              const sorted = (l: Obj[]) =>
                [...l].sort((a, b) => compare(a[0], b[0]) || a[1] - b[1]);
              assert.deepEqual(sorted(objects), sorted(model));
            }
            const keys: Array<number | string> = [];
            for (let k = table.first(); k !== undefined; k = table.next(k)) keys.push(k);
            assert.deepEqual(keys, [...new Set(objects.map(([k]) => k))]);
            table.deleteTable();
          }),
          { numRuns: 150 },
        );
      }),
    );
  });
}
