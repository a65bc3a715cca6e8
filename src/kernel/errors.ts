/**
 * The error classes every layer builds on: a stable `code`, a typed payload, one type guard.
 *
 * Failures are data: callers branch on `code` (or on the class) and read the payload fields,
 * never parse a message.
 */

/** Brand shared by every copy of beamish in a process, so two installed copies agree. */
const brand: unique symbol = Symbol.for("beamish.error");

/**
 * The map from an error `code` to its class, used by {@link isBeamishError} to narrow. A module
 * that defines an error adds its code by declaration merging:
 *
 * @example
 * ```ts
 * declare module "./errors.js" {
 *   interface BeamishErrorCodes { ERR_NOPROC: NoProcError }
 * }
 * ```
 */
export interface BeamishErrorCodes {
  ERR_INVALID_ARGUMENT: InvalidArgumentError;
}

/**
 * The base class of every error beamish throws or exits with. Subclasses declare a stable
 * `code` (`"ERR_CALL_TIMEOUT"`, `"ERR_NOPROC"`, ...) and their payload as readonly fields;
 * `name` is the subclass's name.
 *
 * @example
 * ```ts
 * export class CallTimeoutError extends BeamishError {
 *   readonly code = "ERR_CALL_TIMEOUT";
 *   constructor(readonly timeout: number) {
 *     super(`call timed out after ${timeout} ms`);
 *   }
 * }
 * ```
 */
export abstract class BeamishError extends Error {
  abstract readonly code: string;
  declare readonly [brand]: true;

  // A prototype getter, not an own property: defining a property per instance made constructing
  // an error (once per killed process) several times slower.
  override get name(): string {
    return this.constructor.name;
  }

  override set name(value: string) {
    Object.defineProperty(this, "name", {
      value,
      writable: true,
      configurable: true,
      enumerable: false,
    });
  }
}
Object.defineProperty(BeamishError.prototype, brand, { value: true });

/**
 * A value given to beamish does not fit: an option of a schema or an argument of a function.
 * `path` names it (`processors.default.concurrency`, `timeout`), `expected` says what fits, `got`
 * is the value itself. The message always reads
 * ``invalid value for `PATH`: expected EXPECTED, got GOT``.
 *
 * @example
 * ```ts
 * try {
 *   Pipeline.start({ processors: { default: { concurrency: -1 } } });
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_INVALID_ARGUMENT")) console.log(e.path, e.got);
 *   // processors.default.concurrency -1
 * }
 * ```
 */
export class InvalidArgumentError extends BeamishError {
  readonly code = "ERR_INVALID_ARGUMENT";
  readonly path: string;
  readonly expected: string;
  readonly got: unknown;

  constructor(payload: { path: string; expected: string; got: unknown }, options?: ErrorOptions) {
    super(
      `invalid value for \`${payload.path}\`: expected ${payload.expected}, got ${formatValue(payload.got)}`,
      options,
    );
    this.path = payload.path;
    this.expected = payload.expected;
    this.got = payload.got;
  }
}

const maxStringLength = 60;
const maxKeys = 5;

/**
 * A short, human description of any value, for error messages: numbers, bigints and booleans as
 * written (`-1`, `NaN`, `10n`), strings JSON-quoted and cut after 60 characters with `…`,
 * `undefined`, `null`, `Symbol(x)`, `a function` / `function NAME` / `class NAME`,
 * `an array of length N`, `an object with keys a, b` (at most 5, then `…`), `an empty object`,
 * and `a Date instance` for other objects. Never throws, never prints a whole structure.
 *
 * @example
 * ```ts
 * formatValue(-1); // "-1"
 * formatValue("oneForAll"); // "\"oneForAll\""
 * formatValue({ concurrency: 2, maxDemand: 10 }); // "an object with keys concurrency, maxDemand"
 * formatValue(new Map()); // "a Map instance"
 * ```
 */
export function formatValue(v: unknown): string {
  switch (typeof v) {
    case "number":
      return Object.is(v, -0) ? "-0" : String(v);
    case "bigint":
      return `${v}n`;
    case "boolean":
    case "undefined":
      return String(v);
    case "symbol":
      return v.toString();
    case "string":
      return JSON.stringify(v.length > maxStringLength ? `${cut(v, maxStringLength)}…` : v);
    case "function":
      return formatFunction(v as (...args: unknown[]) => unknown);
    default:
      return v === null ? "null" : formatObject(v as object);
  }
}

/** Cuts `s` to at most `n` UTF-16 units without splitting a surrogate pair. */
function cut(s: string, n: number): string {
  const code = s.charCodeAt(n - 1);
  return s.slice(0, code >= 0xd800 && code <= 0xdbff ? n - 1 : n);
}

function formatFunction(f: (...args: unknown[]) => unknown): string {
  let name = "";
  let isClass = false;
  try {
    name = typeof f.name === "string" ? f.name : "";
    isClass = Function.prototype.toString.call(f).startsWith("class");
  } catch {
    // A revoked proxy or a hostile `name` getter: fall back to the anonymous form.
  }
  if (isClass) return name === "" ? "a class" : `class ${name}`;
  return name === "" ? "a function" : `function ${name}`;
}

function formatObject(o: object): string {
  try {
    if (Array.isArray(o)) return `an array of length ${o.length}`;
    const proto: unknown = Object.getPrototypeOf(o);
    // `proto` with a null prototype is some realm's Object.prototype: a plain object.
    if (proto === null || Object.getPrototypeOf(proto) === null) {
      const keys = Object.keys(o);
      if (keys.length === 0) return "an empty object";
      const shown = keys.length > maxKeys ? [...keys.slice(0, maxKeys), "…"] : keys;
      return `an object with keys ${shown.join(", ")}`;
    }
    const ctor: unknown = (proto as { constructor?: unknown }).constructor;
    const name = typeof ctor === "function" && typeof ctor.name === "string" ? ctor.name : "";
    if (name !== "") return `${/^[AEIOU]/i.test(name) ? "an" : "a"} ${name} instance`;
  } catch {
    // A proxy whose traps throw: describe it without looking further.
  }
  return "an object";
}

/**
 * True when `e` is a beamish error, and, given a `code`, one with that code. With a known code
 * the type narrows to its class, so the payload is typed.
 *
 * @example
 * ```ts
 * try {
 *   option.timeout().check(-5, "timeout");
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_INVALID_ARGUMENT")) console.log(e.path); // "timeout"
 * }
 * ```
 */
export function isBeamishError<C extends keyof BeamishErrorCodes>(
  e: unknown,
  code: C,
): e is BeamishErrorCodes[C];
export function isBeamishError(e: unknown, code?: string): e is BeamishError;
export function isBeamishError(e: unknown, code?: string): e is BeamishError {
  return (
    typeof e === "object" &&
    e !== null &&
    (e as { [brand]?: unknown })[brand] === true &&
    (code === undefined || (e as BeamishError).code === code)
  );
}

/**
 * Throws the {@link InvalidArgumentError} for `path`: the one-line form of an argument check.
 *
 * @example
 * ```ts
 * function after(ms: number) {
 *   if (!(ms >= 0)) invalidArgument("ms", "a non-negative number", ms);
 *   // invalid value for `ms`: expected a non-negative number, got -1
 * }
 * ```
 */
export function invalidArgument(path: string, expected: string, got: unknown): never {
  const error = new InvalidArgumentError({ path, expected, got });
  // The stack starts at the caller's check, not inside this helper.
  Error.captureStackTrace(error, invalidArgument);
  throw error;
}
