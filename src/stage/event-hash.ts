/**
 * The default hash of the partition dispatcher: a structural hash of an event, the same in every
 * process and every run, so that equal events (and equal keys) always land in the same partition.
 */
import { invalidArgument } from "../kernel/errors.js";

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;

const EXPECTED =
  "a string, number, bigint, boolean, null, undefined, or an array or plain object of these";

function mixString(h: number, s: string): number {
  let x = h;
  for (let i = 0; i < s.length; i++) x = Math.imul(x ^ s.charCodeAt(i), FNV_PRIME);
  return x;
}

function mixValue(h: number, value: unknown, path: string, depth: number): number {
  if (depth > 64) invalidArgument(path, `${EXPECTED}, nested at most 64 deep`, value);
  switch (typeof value) {
    case "string":
      return mixString(Math.imul(h ^ 0x73, FNV_PRIME), value);
    case "number":
      return mixString(Math.imul(h ^ 0x6e, FNV_PRIME), Object.is(value, -0) ? "0" : String(value));
    case "bigint":
      return mixString(Math.imul(h ^ 0x62, FNV_PRIME), String(value));
    case "boolean":
      return Math.imul(h ^ (value ? 0x74 : 0x66), FNV_PRIME);
    case "undefined":
      return Math.imul(h ^ 0x75, FNV_PRIME);
    case "object": {
      if (value === null) return Math.imul(h ^ 0x30, FNV_PRIME);
      if (Array.isArray(value)) {
        let x = Math.imul(h ^ 0x5b, FNV_PRIME);
        for (let i = 0; i < value.length; i++) {
          x = mixValue(x, value[i], `${path}[${i}]`, depth + 1);
        }
        return Math.imul(x ^ 0x5d, FNV_PRIME);
      }
      const proto = Object.getPrototypeOf(value);
      if (proto !== Object.prototype && proto !== null) break;
      // Keys sorted, so that { a, b } and { b, a } hash alike, as they are equal as data.
      const keys = Object.keys(value).sort();
      let x = Math.imul(h ^ 0x7b, FNV_PRIME);
      for (const key of keys) {
        x = mixString(x, key);
        x = mixValue(x, (value as Record<string, unknown>)[key], `${path}.${key}`, depth + 1);
      }
      return Math.imul(x ^ 0x7d, FNV_PRIME);
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
