import { isDeepStrictEqual } from "node:util";

/**
 * What a value is matched against, by `assertReceive`, `Registry.match` and kin: a predicate; an
 * object whose listed keys must match (values matched the same way, recursively; other keys are
 * ignored, so a missing key is Elixir's `_`); an array compared deeply; or a primitive compared
 * with `Object.is`. Values with an `equals` method (pids, refs) are compared with it.
 *
 * @example
 * ```ts
 * matches({ type: "DOWN", reason: "normal" }, downMessage); // true
 * matches((m) => typeof m === "number" && m > 2, 3); // true
 * ```
 */
export type Pattern<T = unknown> =
  | ((value: unknown) => value is T)
  | ((value: unknown) => boolean)
  | object
  | string
  | number
  | boolean
  | bigint
  | symbol
  | null
  | undefined;

/**
 * True when `value` matches `pattern` (see {@link Pattern}).
 *
 * @example
 * ```ts
 * matches({ ok: 1 }, { ok: 1, extra: true }); // true
 * ```
 */
export function matches(pattern: Pattern, value: unknown): boolean {
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
    const inner = (pattern as Record<string, Pattern>)[key];
    if (!matches(inner, (value as Record<string, unknown>)[key])) return false;
  }
  return true;
}
