/**
 * @internal The pure part of `updateCounter` and `updateElement`: new values are computed from
 * old ones without touching the stored object, which readers may hold.
 */
import { invalidArgument } from "../kernel/errors.js";

/** The fields of `V` that hold numbers. */
export type NumericField<V> = V extends object
  ? { [F in keyof V]-?: V[F] extends number ? F : never }[keyof V] & string
  : never;

/**
 * One counter update of `updateCounter`: add `increment` to the value (a number), or to its
 * `field` (a plain object). With `threshold` and `setValue`, as ETS: when the increment is
 * >= 0 and the result is above `threshold`, or the increment is < 0 and the result is below it,
 * the counter becomes `setValue` instead.
 */
export interface CounterOp<F extends string = string> {
  readonly field?: F | undefined;
  readonly increment: number;
  readonly threshold?: number | undefined;
  readonly setValue?: number | undefined;
}

const isFiniteNumber = (v: unknown): v is number => typeof v === "number" && Number.isFinite(v);

/** True for `{}`-made objects: the values whose fields `updateCounter`/`updateElement` rewrite. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (typeof value !== "object" || value === null) return false;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Checks one update (a number or a {@link CounterOp}) and returns it as an op. */
export function checkCounterOp(update: unknown, path: string): CounterOp {
  if (isFiniteNumber(update)) return { increment: update };
  if (!isPlainObject(update)) {
    return invalidArgument(
      path,
      "a finite number or { field?, increment, threshold?, setValue? }",
      update,
    );
  }
  const op = update as unknown as CounterOp;
  for (const key of Object.keys(update)) {
    if (key !== "field" && key !== "increment" && key !== "threshold" && key !== "setValue") {
      invalidArgument(
        `${path}.${key}`,
        "one of field, increment, threshold, setValue",
        update[key],
      );
    }
  }
  if (op.field !== undefined && typeof op.field !== "string") {
    invalidArgument(`${path}.field`, "a field name", op.field);
  }
  if (!isFiniteNumber(op.increment)) {
    invalidArgument(`${path}.increment`, "a finite number", op.increment);
  }
  if (op.threshold !== undefined || op.setValue !== undefined) {
    if (!isFiniteNumber(op.threshold)) {
      invalidArgument(`${path}.threshold`, "a finite number (with setValue)", op.threshold);
    }
    if (!isFiniteNumber(op.setValue)) {
      invalidArgument(`${path}.setValue`, "a finite number (with threshold)", op.setValue);
    }
  }
  return op;
}

/** Applies `ops` in order to `value`; returns the new value and each counter's result. */
export function applyCounterOps(
  value: unknown,
  ops: readonly CounterOp[],
  path: string,
): { value: unknown; results: number[] } {
  const results: number[] = [];
  let current = value;
  let copied = false;
  for (const op of ops) {
    const field = op.field;
    let old: unknown;
    if (field === undefined) {
      old = current;
      if (!isFiniteNumber(old))
        invalidArgument(`${path}.field`, "a field name: the value is not a number", field);
    } else {
      if (!isPlainObject(current))
        invalidArgument(`${path}.field`, "no field: the value is not a plain object", field);
      old = current[field];
      if (!isFiniteNumber(old))
        invalidArgument(`${path}.field`, "the name of a field holding a number", field);
    }
    let next = old + op.increment;
    if (op.threshold !== undefined) {
      if (op.increment >= 0 ? next > op.threshold : next < op.threshold)
        next = op.setValue as number;
    }
    results.push(next);
    if (field === undefined) {
      current = next;
    } else {
      if (!copied) {
        current = { ...(current as Record<string, unknown>) };
        copied = true;
      }
      (current as Record<string, unknown>)[field] = next;
    }
  }
  return { value: current, results };
}

/** `value` with the fields of `patch` replaced, as a new object. */
export function patchValue(value: unknown, patch: unknown, path: string): unknown {
  if (!isPlainObject(patch)) invalidArgument(`${path}.patch`, "a plain object of fields", patch);
  if (!isPlainObject(value)) {
    invalidArgument(`${path}.patch`, "nothing: the stored value is not a plain object", patch);
  }
  return { ...value, ...patch };
}
