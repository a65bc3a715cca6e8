/** The declared options of Supervisor: its flags, its start options and the result of `init`. */
import { startOptions as serverStartOptions } from "../gen-server/start.js";
import { type OptionsInput, type OptionsOutput, option, schema } from "../kernel/options.js";
import type { ChildSpec } from "./child-spec.js";

/** The restart intensity options, shared by Supervisor and DynamicSupervisor. */
export const intensityFields = {
  maxRestarts: option
    .nonNegativeInteger(3)
    .doc("Restarts allowed within `maxSeconds`; one more and the supervisor exits."),
  maxSeconds: option.positiveInteger(5).doc("The window, in seconds, `maxRestarts` counts over."),
};

/** The name option of GenServer.start, declared once there. */
export const nameField = { name: serverStartOptions.fields.name };

/**
 * The flags of a supervisor.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `strategy` | `"oneForOne" \| "oneForAll" \| "restForOne"` | `"oneForOne"` | which children a crash restarts |
 * | `maxRestarts` | non-negative integer | `3` | restarts allowed within `maxSeconds` |
 * | `maxSeconds` | positive integer | `5` | the window of `maxRestarts`, in seconds |
 */
export const supervisorFlags = schema({
  strategy: option
    .oneOf(["oneForOne", "oneForAll", "restForOne"], "oneForOne")
    .doc("Which children a crash restarts."),
  ...intensityFields,
});

/** The validated flags of a supervisor. */
export type SupervisorFlags = OptionsOutput<typeof supervisorFlags>;

/**
 * The options of `Supervisor.start(children, options)`: the {@link supervisorFlags} and `name`
 * (a local name or a via-name to register the supervisor under).
 */
export const supervisorOptions = schema({ ...supervisorFlags.fields, ...nameField });

/** Options of `Supervisor.start(children, options)`; see {@link supervisorOptions}. @example `{ strategy: "oneForAll", maxRestarts: 5 }` */
export type SupervisorOptions = OptionsInput<typeof supervisorOptions>;

/** The options of `Supervisor.start(definition, arg, options)`: only `name`. */
export const moduleOptions = schema({ ...nameField });

/** Options of `Supervisor.start(definition, arg, options)`. @example `{ name: "app" }` */
export type ModuleOptions = OptionsInput<typeof moduleOptions>;

/** What a supervisor definition's `init` returns: its children and its flags. */
export const supervisorSpecSchema = schema({
  children: option
    .custom("an array of child specs", (v: unknown): v is readonly ChildSpec[] => Array.isArray(v))
    .doc("The children, in start order."),
  ...supervisorFlags.fields,
});

/**
 * What `init` of a supervisor definition returns: `children` and the flags.
 *
 * @example
 * ```ts
 * const spec: SupervisorSpec = { children: [cache, web], strategy: "restForOne" };
 * ```
 */
export type SupervisorSpec = OptionsInput<typeof supervisorSpecSchema>;
