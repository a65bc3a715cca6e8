/** The options of `Registry.start`, declared once. */
import type { Dest } from "../kernel/api.js";
import { type OptionsInput, option, schema } from "../kernel/options.js";
import { isPid } from "../kernel/pid.js";

const isListeners = (value: unknown): value is readonly Dest[] =>
  Array.isArray(value) &&
  value.every((dest) => isPid(dest) || (typeof dest === "string" && dest.length > 0));

/**
 * The options of `Registry.start` and `Registry.startLink`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `keys` | `"unique"` or `"duplicate"` | required | one process per key, or any number |
 * | `name` | string | none | registers the registry's owner process under this local name |
 * | `partitions` | positive integer | `1` | how many maps the keys are hashed over |
 * | `listeners` | array of pids or local names | `[]` | told of every register and unregister |
 *
 * @example
 * ```ts
 * const registry = Registry.start({ keys: "unique", name: "workers", partitions: 4 });
 * ```
 */
export const registryOptions = schema({
  keys: option
    .oneOf(["unique", "duplicate"])
    .doc("`unique`: a key belongs to one process at most; `duplicate`: to any number."),
  name: option
    .custom("a non-empty string", (v): v is string => typeof v === "string" && v.length > 0)
    .optional()
    .doc("Registers the registry's owner process under this local name."),
  partitions: option
    .positiveInteger(1)
    .doc("How many maps the keys are hashed over; lookups cost the same for any number."),
  listeners: option
    .custom<readonly Dest[]>("an array of pids or local names", isListeners, Object.freeze([]))
    .doc("Processes sent a `RegistryEvent` on every `register` and `unregister`."),
});

/** Options of `Registry.start`; see {@link registryOptions}. */
export type RegistryOptions = OptionsInput<typeof registryOptions>;
