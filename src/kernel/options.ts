/**
 * Options are declared once: one {@link schema} per options object gives its TypeScript types
 * ({@link OptionsInput}, {@link OptionsOutput}), its defaults, its runtime validation with the
 * one message shape (``invalid value for `PATH`: expected EXPECTED, got GOT``) and the rows of
 * its documentation table.
 *
 * @example Declaring and parsing
 * ```ts
 * const callOptions = schema({
 *   timeout: option.timeout(5000).doc("How long to wait for the reply, in ms."),
 *   retries: option.nonNegativeInteger(0),
 *   onTimeout: option.func<() => void>().optional(),
 * });
 * type CallOptions = OptionsInput<typeof callOptions>;
 * // { timeout?: number | undefined; retries?: number | undefined; onTimeout?: ... }
 * const opts = callOptions.parse({ timeout: 100 }, "call");
 * // { timeout: 100, retries: 0, onTimeout: undefined }, frozen
 * callOptions.parse({ timout: 100 }, "call");
 * // throws: invalid value for `call.timout`: expected one of the options timeout, retries,
 * //         onTimeout, got 100
 * ```
 */
import { formatValue, invalidArgument } from "./errors.js";

/**
 * Whether an option must be given (`"required"`), falls back to its default (`"defaulted"`) or
 * may stay absent as `undefined` (`"optional"`). `undefined` given explicitly counts as absent.
 */
export type Presence = "required" | "defaulted" | "optional";

/**
 * One declared option, made by a builder of {@link option}: what it accepts, its default, its
 * documentation. Immutable: `.doc()` and `.optional()` return new options.
 *
 * @example
 * ```ts
 * const concurrency = option.positiveInteger(1).doc("Processes handling messages at once.");
 * concurrency.check(4, "concurrency"); // 4
 * concurrency.check(undefined, "concurrency"); // 1, the default
 * concurrency.check(0, "concurrency");
 * // throws: invalid value for `concurrency`: expected a positive integer, got 0
 * ```
 */
export interface Option<T, P extends Presence = Presence, In = T> {
  readonly presence: P;
  /** The type as a documentation table shows it, e.g. `positive integer`. */
  readonly type: string;
  /** The EXPECTED part of the error message, e.g. `a positive integer`. */
  readonly expected: string;
  readonly default: T | undefined;
  /** The text given to `.doc()`, `""` before. */
  readonly description: string;
  /** Type-level only: what users pass (`In`) and what parsing gives (`T`). Absent at run time. */
  readonly "~types": { readonly input: In; readonly output: T };
  /** The same option, documented. */
  doc(text: string): Option<T, P, In>;
  /** The same option, allowed to be absent (then `undefined`). Only for options without default. */
  optional(this: Option<T, "required", In>): Option<T, "optional", In>;
  /** Validates one value, as `parse` does for the key at `path`; `undefined` means absent. */
  check(value: unknown, path: string): P extends "optional" ? T | undefined : T;
}

/** A record of declared options, the argument of {@link schema}. */
export type Fields = Record<string, Option<unknown, Presence, unknown>>;

/**
 * The declared options of one options object, made by {@link schema}.
 *
 * @example
 * ```ts
 * const s = schema({ maxDemand: option.positiveInteger(10), minDemand: option.nonNegativeInteger().optional() });
 * s.defaults; // { maxDemand: 10 }
 * s.parse(undefined); // { maxDemand: 10, minDemand: undefined }
 * s.describe(); // [{ name: "maxDemand", type: "positive integer", default: "10", doc: "", required: false }, ...]
 * ```
 */
export interface Schema<F extends Fields> {
  readonly fields: F;
  /** The defaults of the options that have one (nested schemas included), frozen. */
  readonly defaults: OptionsDefaults<F>;
  /**
   * Validates `input` (`undefined` counts as `{}`), fills in defaults and returns a new frozen
   * object with every declared key, in declaration order. Own properties only. `path` prefixes
   * the option names in error messages (`"call"` gives `call.timeout`). Throws
   * `InvalidArgumentError` on the first bad, missing or unknown option.
   */
  parse(input: unknown, path?: string): OptionsOutput<F>;
  /** One row per option, nested options as `parent.child` after their parent, for doc tables. */
  describe(): OptionRow[];
}

/** A row of a documentation table, from {@link Schema.describe}. */
export interface OptionRow {
  readonly name: string;
  readonly type: string;
  /** The default as written in code (`5000`, `"oneForOne"`), `undefined` when there is none. */
  readonly default: string | undefined;
  readonly doc: string;
  readonly required: boolean;
}

type Simplify<T> = { [K in keyof T]: T[K] } & {};
type FieldsOf<S> = S extends Schema<infer F> ? F : S extends Fields ? S : never;
type KeysWith<F, P extends Presence> = {
  [K in keyof F]: F[K] extends { readonly presence: P } ? K : never;
}[keyof F];
type InputOf<O> = O extends { readonly "~types": { readonly input: infer I } } ? I : never;
type OutputOf<O> = O extends { readonly "~types": { readonly output: infer T } } ? T : never;

/**
 * What a user passes for the options of schema `S` (a {@link Schema} or its fields): keys with
 * a default or marked optional may be left out or `undefined`; the others are required.
 *
 * @example
 * ```ts
 * export type CallOptions = OptionsInput<typeof callOptions>;
 * ```
 */
export type OptionsInput<S> = Simplify<
  { [K in KeysWith<FieldsOf<S>, "required">]: InputOf<FieldsOf<S>[K]> } & {
    [K in KeysWith<FieldsOf<S>, "defaulted" | "optional">]?: InputOf<FieldsOf<S>[K]> | undefined;
  }
>;

/**
 * What `parse` returns for schema `S`: every key present, readonly; optional keys may be
 * `undefined`.
 *
 * @example
 * ```ts
 * function start(options: OptionsInput<typeof startOptions>) {
 *   const opts: OptionsOutput<typeof startOptions> = startOptions.parse(options);
 * }
 * ```
 */
export type OptionsOutput<S> = Simplify<
  { readonly [K in KeysWith<FieldsOf<S>, "required" | "defaulted">]: OutputOf<FieldsOf<S>[K]> } & {
    readonly [K in KeysWith<FieldsOf<S>, "optional">]: OutputOf<FieldsOf<S>[K]> | undefined;
  }
>;

/** The type of {@link Schema.defaults}: the keys that have a default. */
export type OptionsDefaults<S> = Simplify<{
  readonly [K in KeysWith<FieldsOf<S>, "defaulted">]: OutputOf<FieldsOf<S>[K]>;
}>;

/** A schema whose every option may be absent is itself absent-able, as its defaults. */
type ObjectPresence<F> = [KeysWith<F, "required">] extends [never] ? "defaulted" : "required";

/** What an option accepts, shared by every copy `.doc()`/`.optional()` make. */
interface Kind {
  readonly type: string;
  readonly expected: string;
  readonly accepts: (v: unknown) => boolean;
  /** Set for nested schemas: the value is parsed, not only accepted. */
  readonly inner?: SchemaImpl;
}

const isPositiveInteger = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 1;
const isNonNegativeInteger = (v: unknown): v is number => Number.isInteger(v) && (v as number) >= 0;
const isTimeout = (v: unknown): v is number => v === Infinity || isNonNegativeInteger(v);
const isFunction = (v: unknown): v is (...args: unknown[]) => unknown => typeof v === "function";

const positiveIntegerKind: Kind = {
  type: "positive integer",
  expected: "a positive integer",
  accepts: isPositiveInteger,
};
const nonNegativeIntegerKind: Kind = {
  type: "non-negative integer",
  expected: "a non-negative integer",
  accepts: isNonNegativeInteger,
};
const timeoutKind: Kind = {
  type: "non-negative integer (ms) | Infinity",
  expected: "a non-negative integer (ms) or Infinity",
  accepts: isTimeout,
};
const booleanKind: Kind = {
  type: "boolean",
  expected: "a boolean",
  accepts: (v) => typeof v === "boolean",
};
const stringKind: Kind = {
  type: "string",
  expected: "a string",
  accepts: (v) => typeof v === "string",
};
const functionKind: Kind = { type: "function", expected: "a function", accepts: isFunction };

class OptionImpl<T, P extends Presence, In> implements Option<T, P, In> {
  declare readonly "~types": { readonly input: In; readonly output: T };
  readonly type: string;
  readonly expected: string;
  readonly default: T | undefined;

  constructor(
    readonly kind: Kind,
    readonly presence: P,
    defaultValue: T | undefined,
    readonly description: string,
  ) {
    this.default = defaultValue;
    this.type = kind.type;
    this.expected = kind.expected;
    Object.freeze(this);
  }

  doc(text: string): Option<T, P, In> {
    return new OptionImpl<T, P, In>(this.kind, this.presence, this.default, text);
  }

  optional(this: Option<T, "required", In>): Option<T, "optional", In> {
    const self = this as OptionImpl<T, "required", In>;
    return new OptionImpl<T, "optional", In>(self.kind, "optional", undefined, self.description);
  }

  check(value: unknown, path: string): P extends "optional" ? T | undefined : T {
    return resolve(this, value, path) as P extends "optional" ? T | undefined : T;
  }
}

type AnyOption = OptionImpl<unknown, Presence, unknown>;

function joinPath(prefix: string | undefined, key: string): string {
  return prefix === undefined || prefix === "" ? key : `${prefix}.${key}`;
}

/** The value an option takes for `value`; the one place where presence and checks meet. */
function resolve(opt: AnyOption, value: unknown, path: string): unknown {
  if (value === undefined) {
    if (opt.presence === "required") invalidArgument(path, opt.expected, undefined);
    return opt.default;
  }
  const { inner, accepts } = opt.kind;
  if (inner !== undefined) return inner.parse(value, path);
  if (!accepts(value)) invalidArgument(path, opt.expected, value);
  return value;
}

function make<T, In = T>(kind: Kind, def: T | undefined): Option<T, Presence, In> {
  if (def !== undefined && kind.inner === undefined && !kind.accepts(def)) {
    // A schema author's mistake, reported when the module that declares it loads.
    invalidArgument("default", kind.expected, def);
  }
  return new OptionImpl<T, Presence, In>(
    kind,
    def === undefined ? "required" : "defaulted",
    def,
    "",
  );
}

function positiveInteger(): Option<number, "required">;
function positiveInteger(def: number): Option<number, "defaulted">;
function positiveInteger(def?: number): Option<number> {
  return make(positiveIntegerKind, def);
}

function nonNegativeInteger(): Option<number, "required">;
function nonNegativeInteger(def: number): Option<number, "defaulted">;
function nonNegativeInteger(def?: number): Option<number> {
  return make(nonNegativeIntegerKind, def);
}

function timeout(): Option<number, "required">;
function timeout(def: number): Option<number, "defaulted">;
function timeout(def?: number): Option<number> {
  return make(timeoutKind, def);
}

/** Bounds of {@link option.number}, inclusive. */
export interface NumberBounds {
  readonly min?: number;
  readonly max?: number;
  /** Only integers (then Infinity is out too). Default `false`. */
  readonly integer?: boolean;
}

function number(bounds: NumberBounds): Option<number, "required">;
function number(bounds: NumberBounds, def: number): Option<number, "defaulted">;
function number(bounds: NumberBounds, def?: number): Option<number> {
  const { min = -Infinity, max = Infinity, integer = false } = bounds;
  if (!(min <= max)) invalidArgument("max", `a number >= min (${min})`, bounds.max);
  const noun = integer ? "an integer" : "a finite number";
  const expected =
    min > -Infinity && max < Infinity
      ? `${noun} between ${min} and ${max}`
      : min > -Infinity
        ? `${noun} >= ${min}`
        : max < Infinity
          ? `${noun} <= ${max}`
          : noun;
  const accepts = (v: unknown): boolean =>
    (integer ? Number.isInteger(v) : Number.isFinite(v)) &&
    (v as number) >= min &&
    (v as number) <= max;
  return make({ type: expected.replace(/^an? /, ""), expected, accepts }, def);
}

function boolean(): Option<boolean, "required">;
function boolean(def: boolean): Option<boolean, "defaulted">;
function boolean(def?: boolean): Option<boolean> {
  return make(booleanKind, def);
}

function string(): Option<string, "required">;
function string(def: string): Option<string, "defaulted">;
function string(def?: string): Option<string> {
  return make(stringKind, def);
}

function oneOf<const L extends string>(values: readonly L[]): Option<L, "required">;
function oneOf<const L extends string>(
  values: readonly L[],
  def: NoInfer<L>,
): Option<L, "defaulted">;
function oneOf<const L extends string>(values: readonly L[], def?: L): Option<L> {
  if (values.length === 0) invalidArgument("values", "a non-empty array of strings", values);
  const allowed = [...values];
  const quoted = allowed.map((v) => JSON.stringify(v));
  const kind: Kind = {
    type: quoted.join(" | "),
    expected: `one of ${quoted.join(", ")}`,
    accepts: (v) => typeof v === "string" && allowed.includes(v as L),
  };
  return make(kind, def);
}

function func<F extends (...args: never[]) => unknown>(): Option<F, "required"> {
  return make<F>(functionKind, undefined) as Option<F, "required">;
}

function custom<T>(expected: string, check: (v: unknown) => v is T): Option<T, "required">;
function custom<T>(expected: string, check: (v: unknown) => v is T, def: T): Option<T, "defaulted">;
function custom<T>(expected: string, check: (v: unknown) => v is T, def?: T): Option<T> {
  return make({ type: expected.replace(/^an? /, ""), expected, accepts: check }, def);
}

function object<F extends Fields>(
  inner: Schema<F>,
): Option<OptionsOutput<F>, ObjectPresence<F>, OptionsInput<F>>;
function object<F extends Fields>(
  fields: F,
): Option<OptionsOutput<F>, ObjectPresence<F>, OptionsInput<F>>;
function object(inner: Schema<Fields> | Fields): Option<unknown, Presence, unknown> {
  const s = inner instanceof SchemaImpl ? inner : new SchemaImpl(inner as Fields);
  const kind: Kind = {
    type: "object",
    expected: "an options object",
    accepts: () => true,
    inner: s,
  };
  return make(kind, s.empty);
}

/**
 * The option builders. Each returns an {@link Option}; given a default it is `"defaulted"`,
 * without one `"required"` unless `.optional()` follows. `.doc("...")` attaches the text of its
 * documentation row. A default that its own check rejects throws when the schema is declared.
 *
 * - `positiveInteger(def?)`: an integer >= 1.
 * - `nonNegativeInteger(def?)`: an integer >= 0.
 * - `timeout(def?)`: milliseconds, an integer >= 0, or `Infinity` to wait forever. Values above
 *   2^31-1 are accepted: whatever arms the timer must handle them (Node's `setTimeout` fires
 *   such timers at once).
 * - `number({ min, max, integer }, def?)`: a finite number (or an integer) within inclusive bounds.
 * - `boolean(def?)`, `string(def?)`.
 * - `oneOf(["a", "b"], def?)`: a closed string union.
 * - `func<F>()`: a function, never defaulted.
 * - `custom<T>(expected, guard, def?)`: any value the type guard accepts; `expected` completes
 *   "expected ..." in the message.
 * - `object(schemaOrFields)`: a nested options object, errors with dotted paths; it defaults
 *   to its own defaults when none of its options is required.
 *
 * @example
 * ```ts
 * const supervisorOptions = schema({
 *   strategy: option.oneOf(["oneForOne", "oneForAll", "restForOne"], "oneForOne"),
 *   maxRestarts: option.nonNegativeInteger(3).doc("Restarts allowed within maxSeconds."),
 *   maxSeconds: option.positiveInteger(5),
 *   rateLimiting: option
 *     .object({ allowedMessages: option.positiveInteger(), interval: option.timeout() })
 *     .optional(),
 * });
 * ```
 */
export const option = Object.freeze({
  positiveInteger,
  nonNegativeInteger,
  timeout,
  number,
  boolean,
  string,
  oneOf,
  func,
  custom,
  object,
});

class SchemaImpl implements Schema<Fields> {
  readonly defaults: Record<string, unknown>;
  /** What `parse(undefined)` returns, when no option is required; shared, since frozen. */
  readonly empty: Record<string, unknown> | undefined;
  readonly #keys: string[];
  readonly #options: AnyOption[];
  readonly #unknownExpected: string;

  constructor(readonly fields: Fields) {
    this.#keys = Object.keys(fields);
    this.#options = this.#keys.map((key) => {
      const opt = fields[key];
      if (!(opt instanceof OptionImpl)) invalidArgument(key, "an option made by `option.*`", opt);
      if (key === "__proto__") invalidArgument(key, "an option name other than __proto__", key);
      return opt as AnyOption;
    });
    this.#unknownExpected =
      this.#keys.length === 0 ? "no options" : `one of the options ${this.#keys.join(", ")}`;
    const defaults: Record<string, unknown> = {};
    for (const [i, key] of this.#keys.entries()) {
      const opt = this.#options[i] as AnyOption;
      if (opt.presence === "defaulted") defaults[key] = opt.default;
    }
    this.defaults = Object.freeze(defaults);
    this.empty = this.#options.some((opt) => opt.presence === "required")
      ? undefined
      : this.parse({});
    Object.freeze(this);
  }

  parse(input: unknown, path?: string): Record<string, unknown> {
    if (input === undefined) {
      if (this.empty !== undefined) return this.empty;
      input = {};
    }
    if (typeof input !== "object" || input === null || Array.isArray(input)) {
      return invalidArgument(path ?? "options", "an options object", input);
    }
    const record = input as Record<string, unknown>;
    const { fields } = this;
    for (const key in record) {
      if (Object.hasOwn(record, key) && !Object.hasOwn(fields, key)) {
        invalidArgument(joinPath(path, key), this.#unknownExpected, record[key]);
      }
    }
    const keys = this.#keys;
    const options = this.#options;
    const out: Record<string, unknown> = {};
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i] as string;
      const opt = options[i] as AnyOption;
      const value = Object.hasOwn(record, key) ? record[key] : undefined;
      // Inlined `resolve` for plain values, so that the path string is built only on failure.
      if (value === undefined) {
        if (opt.presence === "required") {
          invalidArgument(joinPath(path, key), opt.expected, undefined);
        }
        out[key] = opt.default;
      } else if (opt.kind.inner !== undefined) {
        out[key] = opt.kind.inner.parse(value, joinPath(path, key));
      } else if (opt.kind.accepts(value)) {
        out[key] = value;
      } else {
        invalidArgument(joinPath(path, key), opt.expected, value);
      }
    }
    return Object.freeze(out);
  }

  describe(): OptionRow[] {
    const rows: OptionRow[] = [];
    this.#describeInto(rows, "");
    return rows;
  }

  #describeInto(rows: OptionRow[], prefix: string): void {
    for (const [i, key] of this.#keys.entries()) {
      const opt = this.#options[i] as AnyOption;
      const name = joinPath(prefix, key);
      const inner = opt.kind.inner;
      rows.push({
        name,
        type: opt.type,
        default:
          opt.presence === "defaulted" && inner === undefined
            ? formatValue(opt.default)
            : undefined,
        doc: opt.description,
        required: opt.presence === "required",
      });
      if (inner !== undefined) inner.#describeInto(rows, name);
    }
  }
}

/**
 * Declares the options of one options object: their types, defaults, checks and docs, once.
 * See {@link option} for the builders and {@link Schema} for what it gives.
 *
 * @example
 * ```ts
 * export const startOptions = schema({
 *   name: option.string().optional().doc("A local name to register the process under."),
 *   timeout: option.timeout(5000).doc("How long `init` may take, in ms."),
 * });
 * export type StartOptions = OptionsInput<typeof startOptions>;
 * const opts = startOptions.parse(userOptions, "start");
 * ```
 */
export function schema<F extends Fields>(fields: F): Schema<F> {
  return new SchemaImpl(fields) as unknown as Schema<F>;
}

/**
 * The timeout check of {@link option.timeout}, for hot paths that take one value rather than an
 * options object. Returns the value or throws the standard `InvalidArgumentError`.
 *
 * @example
 * ```ts
 * const ms = checkTimeout(timeout, "timeout");
 * // checkTimeout(-1, "timeout") throws:
 * // invalid value for `timeout`: expected a non-negative integer (ms) or Infinity, got -1
 * ```
 */
export function checkTimeout(value: unknown, path: string): number {
  return isTimeout(value) ? value : invalidArgument(path, timeoutKind.expected, value);
}

/**
 * The check of {@link option.positiveInteger} for a single value.
 *
 * @example
 * ```ts
 * checkPositiveInteger(0, "count"); // throws: invalid value for `count`: expected a positive integer, got 0
 * ```
 */
export function checkPositiveInteger(value: unknown, path: string): number {
  return isPositiveInteger(value)
    ? value
    : invalidArgument(path, positiveIntegerKind.expected, value);
}

/**
 * The check of {@link option.func} for a single value; keeps the function's static type.
 *
 * @example
 * ```ts
 * const handler = checkFunction(options.handleMessage, "handleMessage");
 * checkFunction(42, "handleMessage"); // throws: invalid value for `handleMessage`: expected a function, got 42
 * ```
 */
export function checkFunction<F extends (...args: never[]) => unknown>(value: F, path: string): F;
export function checkFunction(value: unknown, path: string): (...args: unknown[]) => unknown;
export function checkFunction(value: unknown, path: string): (...args: unknown[]) => unknown {
  return isFunction(value) ? value : invalidArgument(path, functionKind.expected, value);
}
