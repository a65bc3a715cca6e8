import type { Pattern } from "../kernel/pattern.js";

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
export type ValuePattern = Pattern;
