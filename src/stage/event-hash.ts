/**
 * The default hash of the partition dispatcher: a structural hash of an event, the same in every
 * process and every run, so that equal events (and equal keys) always land in the same partition.
 * FNV-1a is the kernel's (kernel/hash.ts); the structure (a tag per type, arrays in order, plain
 * objects by sorted keys) is this file's.
 */
import { invalidArgument } from "../kernel/errors.js";
import { FNV_OFFSET, FNV_PRIME, fnvMix } from "../kernel/hash.js";

const EXPECTED =
  "a string, number, bigint, boolean, null, undefined, or an array or plain object of these";

/** One FNV-1a step over `code`: the tags telling types and structure apart. */
function mixTag(h: number, code: number): number {
  return Math.imul(h ^ code, FNV_PRIME);
}

function mixValue(h: number, value: unknown, path: string, depth: number): number {
  if (depth > 64) invalidArgument(path, `${EXPECTED}, nested at most 64 deep`, value);
  switch (typeof value) {
    case "string":
      return fnvMix(mixTag(h, 0x73), value);
    case "number":
      return fnvMix(mixTag(h, 0x6e), Object.is(value, -0) ? "0" : String(value));
    case "bigint":
      return fnvMix(mixTag(h, 0x62), String(value));
    case "boolean":
      return mixTag(h, value ? 0x74 : 0x66);
    case "undefined":
      return mixTag(h, 0x75);
    case "object": {
      if (value === null) return mixTag(h, 0x30);
      if (Array.isArray(value)) {
        let x = mixTag(h, 0x5b);
        for (let i = 0; i < value.length; i++) {
          x = mixValue(x, value[i], `${path}[${i}]`, depth + 1);
        }
        return mixTag(x, 0x5d);
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) break;
      // Keys sorted, so that { a, b } and { b, a } hash alike, as they are equal as data.
      const keys = Object.keys(value).sort();
      let x = mixTag(h, 0x7b);
      for (const key of keys) {
        x = fnvMix(x, key);
        x = mixValue(x, (value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
      }
      return mixTag(x, 0x7d);
    }
  }
  return invalidArgument(path, EXPECTED, value);
}

/**
 * A structural FNV-1a hash of `value`, an unsigned 32-bit integer: strings, numbers, bigints,
 * booleans, `null` and `undefined` by value, arrays by their elements in order, plain objects by
 * their keys and values whatever the key order. Other values (class instances, functions,
 * symbols, Maps) have no stable form to hash: they throw `InvalidArgumentError` for `path`, and
 * the partition dispatcher's `key` or `hash` option is the way to route them.
 *
 * @example
 * ```ts
 * hashEvent({ user: 42, action: "login" }) === hashEvent({ action: "login", user: 42 }); // true
 * hashEvent(new Map(), "key(event)");
 * // throws: invalid value for `key(event)`: expected a string, number, ..., got Map {}
 * ```
 */
export function hashEvent(value: unknown, path = "event"): number {
  return mixValue(FNV_OFFSET, value, path, 0) >>> 0;
}
