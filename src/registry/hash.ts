/**
 * @internal The hash that routes a key to its partition. It is deterministic for values (the
 * same string, number, bigint or boolean lands in the same partition in every registry and every
 * run) and costs one pass over a string key, whatever the number of partitions.
 */

import { hashString } from "../kernel/hash.js";

/** Mixes a 32-bit integer (murmur3's finaliser), so that consecutive ids spread out. */
function mix(n: number): number {
  let h = n | 0;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * @internal Hashes keys to unsigned 32-bit integers. Keys compare as a `Map` compares them
 * (SameValueZero), so the hash agrees with it: `-0` and `0` hash alike, and an object key hashes
 * by its identity (a number given in the order objects are first seen, kept in a WeakMap).
 */
export class KeyHasher {
  readonly #objectIds = new WeakMap<object, number>();
  #nextObjectId = 1;

  hash(key: unknown): number {
    switch (typeof key) {
      case "string":
        return hashString(key);
      case "number":
        if (Number.isInteger(key) && key >= -0x80000000 && key <= 0x7fffffff) return mix(key);
        return hashString(Object.is(key, -0) ? "0" : String(key));
      case "bigint":
        return hashString(`${key}n`);
      case "boolean":
        return key ? 1 : 0;
      case "symbol":
        return hashString(key.description ?? "");
      case "object":
      case "function": {
        if (key === null) return 0;
        let id = this.#objectIds.get(key);
        if (id === undefined) {
          id = this.#nextObjectId++;
          this.#objectIds.set(key, id);
        }
        return mix(id);
      }
      default:
        return 0;
    }
  }

  /** The partition of `key` among `partitions`. */
  partition(key: unknown, partitions: number): number {
    return partitions === 1 ? 0 : this.hash(key) % partitions;
  }
}
