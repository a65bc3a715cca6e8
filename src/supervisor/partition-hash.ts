/**
 * Routing a key to its partition: a pure function, the same in every process and every run, so
 * that a key's messages always reach the same partition of a PartitionSupervisor.
 */
import { invalidArgument } from "../kernel/errors.js";
import { FNV_OFFSET, FNV_PRIME, hashString as fnv1a } from "../kernel/hash.js";

/**
 * Turns a key into an integer; its partition is `|hash| % partitions`. Give one to
 * `PartitionSupervisor.start` to route keys the default hash refuses (objects) or to route by a
 * part of the key.
 *
 * @example
 * ```ts
 * const byTenant: KeyHash = (key) => hashKey((key as { tenant: string }).tenant);
 * ```
 */
export type KeyHash = (key: unknown) => number;

const EXPECTED_KEY =
  "a string, number, bigint, boolean, null, undefined or an array of these (or a keyHash option)";

/**
 * The default hash of a key, an unsigned 32-bit integer: FNV-1a over the UTF-16 code units of a
 * string, and over `String(key)` for a number, a bigint (`"42n"`), a boolean, `null` and
 * `undefined`; for an array, FNV-1a folded over its elements' hashes, so `["user", 42]` works as
 * a composite key. Other keys (objects, symbols, functions) have no stable value to hash and
 * throw `InvalidArgumentError` for `path`. Note that {@link partitionOf} routes integers by
 * `|key| % partitions` before this hash is consulted.
 *
 * @example
 * ```ts
 * hashKey("user:42"); // the same number in every run
 * hashKey(["user", 42]);
 * ```
 */
export function hashKey(key: unknown, path = "key"): number {
  switch (typeof key) {
    case "string":
      return fnv1a(key);
    case "number":
      return fnv1a(Object.is(key, -0) ? "0" : String(key));
    case "bigint":
      return fnv1a(`${key}n`);
    case "boolean":
    case "undefined":
      return fnv1a(String(key));
    case "object": {
      if (key === null) return fnv1a("null");
      if (!Array.isArray(key)) break;
      let h = FNV_OFFSET ^ key.length;
      for (let i = 0; i < key.length; i++) {
        h = Math.imul(h ^ hashKey(key[i], `${path}[${i}]`), FNV_PRIME);
      }
      return h >>> 0;
    }
  }
  return invalidArgument(path, EXPECTED_KEY, key);
}

/**
 * The partition, in `0 .. partitions - 1`, of `key`. Integers (numbers and bigints) route by
 * `|key| % partitions`, as Elixir's PartitionSupervisor does, so that keys 0..n-1 land on
 * partitions 0..n-1; other keys by `hashKey(key) % partitions`, or by `|keyHash(key)| %
 * partitions` when `keyHash` is given (it must return an integer).
 *
 * @example
 * ```ts
 * partitionOf(7, 4); // 3
 * partitionOf("user:42", 4); // the same partition on every call
 * ```
 */
export function partitionOf(key: unknown, partitions: number, keyHash?: KeyHash): number {
  if (keyHash !== undefined) {
    const hash = keyHash(key);
    if (!Number.isInteger(hash)) invalidArgument("keyHash(key)", "an integer", hash);
    return Math.abs(hash) % partitions;
  }
  if (typeof key === "number" && Number.isInteger(key)) return Math.abs(key) % partitions;
  if (typeof key === "bigint") {
    return Number((key < 0n ? -key : key) % BigInt(partitions));
  }
  return hashKey(key) % partitions;
}
