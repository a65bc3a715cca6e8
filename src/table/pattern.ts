/** @internal Matching objects for `match`, `select`, `selectCount` and `selectDelete`. */
import { isDeepStrictEqual } from "node:util";
import { isPlainObject } from "./counter.js";
import type { TableKey } from "./keys.js";

/**
 * What `match` and `select` take: a predicate on value and key, or a partial value whose given
 * fields must be deeply equal to the object's (for values that are not plain objects: a value
 * deeply equal to the whole value).
 */
export type TablePattern<K, V> =
  | ((value: V, key: K) => boolean)
  | (V extends (...args: never[]) => unknown ? never : V extends object ? Partial<V> : V);

/** @internal */
export function matchesPattern(pattern: unknown, value: unknown, key: TableKey): boolean {
  if (typeof pattern === "function")
    return (pattern as (v: unknown, k: unknown) => unknown)(value, key) === true;
  if (isPlainObject(pattern) && isPlainObject(value)) {
    for (const field in pattern) {
      if (!isDeepStrictEqual(pattern[field], value[field])) return false;
    }
    return true;
  }
  return isDeepStrictEqual(pattern, value);
}
