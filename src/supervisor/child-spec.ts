/**
 * Child specifications: what a supervisor needs to know to start, restart and stop one child.
 * Shared by Supervisor, DynamicSupervisor and the supervisors built on them; validated once, at
 * the boundary, into a {@link NormalizedChildSpec}.
 */
import { invalidArgument } from "../kernel/errors.js";
import { type ExitReason, isNormalExit } from "../kernel/exit.js";
import { type OptionsInput, option, schema } from "../kernel/options.js";
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";

/**
 * When a child is restarted: `"permanent"` always, `"transient"` only after an abnormal exit
 * (not `"normal"`, `"shutdown"` nor `{ shutdown }`), `"temporary"` never (its spec is dropped when
 * it exits).
 */
export type Restart = "permanent" | "transient" | "temporary";

/**
 * How a child is stopped: a number of ms to wait after the exit signal `"shutdown"` before
 * killing it, `"brutalKill"` to kill it at once, `"infinity"` to wait as long as it takes (the
 * usual choice for a child that is itself a supervisor).
 */
export type Shutdown = number | "brutalKill" | "infinity";

/** Whether a child is a worker or a supervisor (which changes its default {@link Shutdown}). */
export type ChildType = "worker" | "supervisor";

/**
 * Starts a child from inside the supervisor process and returns its pid (or a promise of it). It
 * must link the child to `supervisor`, as `GenServer.startLink(supervisor, ...)`,
 * `Agent.startLink` and `supervisor.spawnLink` do. Rejecting with a `StartError` whose `reason`
 * is `"ignore"` means "not started": the child is kept as not running. A DynamicSupervisor passes
 * its `extraArguments` after `supervisor`.
 *
 * @example
 * ```ts
 * const start: StartFunction = (sup) => GenServer.startLink(sup, cacheDefinition, {});
 * ```
 */
export type StartFunction = (
  supervisor: Self,
  ...extraArguments: never[]
) => Pid | PromiseLike<Pid>;

/** The `shutdown` of a worker when its spec gives none, in ms (a supervisor gets `"infinity"`). */
export const DEFAULT_WORKER_SHUTDOWN = 5000;

const isChildId = (v: unknown): v is string => typeof v === "string" && v.length > 0;
const isShutdown = (v: unknown): v is Shutdown =>
  v === "brutalKill" || v === "infinity" || (Number.isInteger(v) && (v as number) >= 0);

/**
 * The declared fields of a child spec.
 *
 * | field | type | default | |
 * |---|---|---|---|
 * | `id` | non-empty string | required | names the child within its supervisor |
 * | `start` | {@link StartFunction} | required | starts and links the child |
 * | `restart` | `"permanent" \| "transient" \| "temporary"` | `"permanent"` | see {@link Restart} |
 * | `shutdown` | ms, `"brutalKill"` or `"infinity"` | 5000, `"infinity"` for a supervisor | see {@link Shutdown} |
 * | `type` | `"worker" \| "supervisor"` | `"worker"` | |
 */
export const childSpecSchema = schema({
  id: option.custom("a non-empty string", isChildId).doc("Names the child within its supervisor."),
  start: option.func<StartFunction>().doc("Starts the child, linked to the supervisor."),
  restart: option
    .oneOf(["permanent", "transient", "temporary"], "permanent")
    .doc("When the child is restarted."),
  shutdown: option
    .custom('a non-negative integer (ms), "brutalKill" or "infinity"', isShutdown)
    .optional()
    .doc(
      `How long to wait for the child to stop before killing it; default ${DEFAULT_WORKER_SHUTDOWN} for a worker, "infinity" for a supervisor.`,
    ),
  type: option.oneOf(["worker", "supervisor"], "worker").doc("A worker or a supervisor."),
});

/** The same fields with an optional `id`, for DynamicSupervisor children. */
export const dynamicChildSpecSchema = schema({
  ...childSpecSchema.fields,
  id: childSpecSchema.fields.id.optional(),
});

/**
 * How to start, restart and stop a child (see {@link childSpecSchema} for the fields and their
 * defaults).
 *
 * @example
 * ```ts
 * const spec: ChildSpec = {
 *   id: "cache",
 *   start: (sup) => GenServer.startLink(sup, cacheDefinition, {}),
 *   restart: "transient",
 *   shutdown: 1000,
 * };
 * ```
 */
export type ChildSpec = OptionsInput<typeof childSpecSchema>;

/** A child spec for a DynamicSupervisor: its `id` may be left out. @example `{ start: (sup) => Agent.startLink(sup, () => 0) }` */
export type DynamicChildSpec = OptionsInput<typeof dynamicChildSpecSchema>;

/** A validated child spec: every field present, `shutdown` resolved from `type`. */
export interface NormalizedChildSpec {
  readonly id: string;
  readonly start: StartFunction;
  readonly restart: Restart;
  readonly shutdown: Shutdown;
  readonly type: ChildType;
}

/** A validated DynamicSupervisor child spec. */
export interface NormalizedDynamicChildSpec extends Omit<NormalizedChildSpec, "id"> {
  readonly id: string | undefined;
}

/**
 * Validates one child spec and fills in its defaults. `path` names it in the error message.
 *
 * @example
 * ```ts
 * checkChildSpec({ id: "db" }, "children[0]");
 * // throws: invalid value for `children[0].start`: expected a function, got undefined
 * ```
 */
export function checkChildSpec(value: unknown, path: string): NormalizedChildSpec {
  const spec = childSpecSchema.parse(value, path);
  return Object.freeze({ ...spec, shutdown: spec.shutdown ?? defaultShutdown(spec.type) });
}

/**
 * Validates a DynamicSupervisor child spec (its `id` is optional) and fills in its defaults.
 *
 * @example
 * ```ts
 * checkDynamicChildSpec({ start: (sup) => Agent.startLink(sup, () => 0) }, "spec").shutdown; // 5000
 * ```
 */
export function checkDynamicChildSpec(value: unknown, path: string): NormalizedDynamicChildSpec {
  const spec = dynamicChildSpecSchema.parse(value, path);
  return Object.freeze({ ...spec, shutdown: spec.shutdown ?? defaultShutdown(spec.type) });
}

/**
 * Validates a list of child specs: an array, each spec valid, no id used twice.
 *
 * @example
 * ```ts
 * checkChildSpecs([a, { ...b, id: a.id }], "children");
 * // throws: invalid value for `children[1].id`: expected an id not used by another child, got "a"
 * ```
 */
export function checkChildSpecs(value: unknown, path: string): NormalizedChildSpec[] {
  if (!Array.isArray(value)) invalidArgument(path, "an array of child specs", value);
  const seen = new Set<string>();
  return value.map((item, index) => {
    const spec = checkChildSpec(item, `${path}[${index}]`);
    if (seen.has(spec.id)) {
      invalidArgument(`${path}[${index}].id`, "an id not used by another child", spec.id);
    }
    seen.add(spec.id);
    return spec;
  });
}

function defaultShutdown(type: ChildType): Shutdown {
  return type === "supervisor" ? "infinity" : DEFAULT_WORKER_SHUTDOWN;
}

/**
 * True when a child of restart type `restart` that exited with `reason` is to be restarted.
 *
 * @example
 * ```ts
 * shouldRestart("transient", "shutdown"); // false
 * shouldRestart("transient", new Error("boom")); // true
 * ```
 */
export function shouldRestart(restart: Restart, reason: ExitReason): boolean {
  return restart === "permanent" || (restart === "transient" && !isNormalExit(reason));
}
