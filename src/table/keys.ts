/** Table keys: which values may be keys, and the order of `orderedSet` tables. */
import { invalidArgument } from "../kernel/errors.js";

/**
 * What a table key may be: a string, a number (not NaN) or a bigint. Keys compare by value, as
 * a `Map` compares them (`0` and `-0` are one key; `1` and `1n` are two). Build a compound key
 * as a string (`` `${userId}:${day}` ``).
 */
export type TableKey = string | number | bigint;

const expectedKey = "a string, a number other than NaN, or a bigint";

/** @internal True when `key` may be a table key. */
export function isTableKey(key: unknown): key is TableKey {
  const type = typeof key;
  return type === "string" || type === "bigint" || (type === "number" && !Number.isNaN(key));
}

/** @internal Throws the `InvalidArgumentError` for a bad key at `path`. */
export function checkKey(key: unknown, path = "key"): void {
  if (!isTableKey(key)) invalidArgument(path, expectedKey, key);
}

const rank = { number: 0, bigint: 1, string: 2 } as Record<string, number>;

/**
 * @internal The order of `orderedSet` keys: numbers, then bigints, then strings; within a type,
 * by value (strings by UTF-16 code units, as `<` compares them).
 */
export function compareKeys(a: TableKey, b: TableKey): number {
  const ta = typeof a;
  const tb = typeof b;
  if (ta === tb) return a < b ? -1 : a > b ? 1 : 0;
  return (rank[ta] as number) - (rank[tb] as number);
}
