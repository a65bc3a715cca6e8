import { isDeepStrictEqual } from "node:util";

/**
 * What `Registry.match` and `Registry.countMatch` compare a value with: a predicate; an object
 * whose listed keys must match (values matched the same way, recursively; other keys are ignored,
 * so a missing key is Elixir's `:_`); an array compared deeply; or a primitive compared with
 * `Object.is`. Values with an `equals` method (pids, refs) are compared with it.
 *
 * @example
 * ```ts
 * Registry.match(registry, "topic", { role: "admin" });
 * Registry.match(registry, "topic", (value) => (value as { age: number }).age > 18);
 * ```
 */
export type ValuePattern =
  | ((value: unknown) => boolean)
  | object
  | string
  | number
  | boolean
  | bigint
  | symbol
  | null
  | undefined;

/** @internal True when `value` matches `pattern` (see {@link ValuePattern}). */
export function matchesPattern(pattern: ValuePattern, value: unknown): boolean {
  if (typeof pattern === "function") return Boolean((pattern as (v: unknown) => unknown)(value));
  if (pattern === null || typeof pattern !== "object") return Object.is(pattern, value);
  if (typeof (pattern as { equals?: unknown }).equals === "function") {
    return (
      value !== null &&
      typeof value === "object" &&
      (pattern as { equals(o: unknown): boolean }).equals(value)
    );
  }
  if (Array.isArray(pattern)) return isDeepStrictEqual(pattern, value);
  if (value === null || typeof value !== "object") return false;
  for (const key of Object.keys(pattern)) {
    const inner = (pattern as Record<string, ValuePattern>)[key];
    if (!matchesPattern(inner, (value as Record<string, unknown>)[key])) return false;
  }
  return true;
}
