/**
 * Pids and refs inside messages that cross threads. Structured clone would copy a Pid as a plain
 * object (and fail on the live process it points at), so the sender replaces each pid and ref by
 * a tagged pair and the receiver turns the pairs back. Most messages hold none: one walk finds
 * that out (and refuses what cannot be cloned, at the sender's call site), and only then is a
 * copy made; the receiver walks only messages flagged as holding some.
 */
import { Pid, Ref } from "../kernel/pid.js";
import { NotCloneableError } from "./errors.js";

const PID_TAG = "\u0000beamish:pid";
const REF_TAG = "\u0000beamish:ref";
/** Deeper than this, a value is refused: a walk must end even on a cyclic structure. */
const MAX_DEPTH = 200;

/**
 * True when `value` holds a pid or a ref (it must go through {@link encode}); throws
 * {@link NotCloneableError} when it holds something structured clone refuses.
 */
export function needsEncoding(value: unknown, path = "message"): boolean {
  try {
    return scan(value, 0);
  } catch (error) {
    if (error === tooDeep) throw new NotCloneableError(path, "a value nested too deep or cyclic");
    if (error === notCloneable) throw locate(value, path, 0, "");
    throw error;
  }
}

const notCloneable = new Error("not cloneable");
const tooDeep = new Error("too deep");

function scan(value: unknown, depth: number): boolean {
  if (typeof value !== "object" || value === null) {
    if (typeof value === "function" || typeof value === "symbol") throw notCloneable;
    return false;
  }
  if (value instanceof Pid || value instanceof Ref) return true;
  if (depth > MAX_DEPTH) throw tooDeep;
  if (Array.isArray(value)) {
    let found = false;
    for (let i = 0; i < value.length; i++) if (scan(value[i], depth + 1)) found = true;
    return found;
  }
  if (isLeaf(value)) return false;
  if (value instanceof Map) {
    let found = false;
    for (const [k, v] of value) if (scan(k, depth + 1) || scan(v, depth + 1)) found = true;
    return found;
  }
  if (value instanceof Set) {
    let found = false;
    for (const v of value) if (scan(v, depth + 1)) found = true;
    return found;
  }
  let found = false;
  for (const key in value) {
    if (scan((value as Record<string, unknown>)[key], depth + 1)) found = true;
  }
  return found;
}

/** Values structured clone copies whole (or refuses by itself): no pid can hide inside. */
function isLeaf(value: object): boolean {
  return (
    value instanceof Date ||
    value instanceof RegExp ||
    value instanceof Error ||
    value instanceof ArrayBuffer ||
    ArrayBuffer.isView(value) ||
    (typeof SharedArrayBuffer !== "undefined" && value instanceof SharedArrayBuffer)
  );
}

/** Walks again, slowly, to name where the refused value is and which object holds it. */
function locate(value: unknown, path: string, depth: number, holder: string): NotCloneableError {
  const found = find(value, path, depth, holder);
  return found ?? new NotCloneableError(path, "a value");
}

function find(
  value: unknown,
  path: string,
  depth: number,
  holder: string,
): NotCloneableError | undefined {
  if (typeof value === "function" || typeof value === "symbol") {
    const what = typeof value === "function" ? "a function" : "a symbol";
    return holder === ""
      ? new NotCloneableError(path, what)
      : new NotCloneableError(path, holder, { detail: ` (it holds ${what})` });
  }
  if (typeof value !== "object" || value === null || depth > MAX_DEPTH) return undefined;
  if (value instanceof Pid || value instanceof Ref || isLeaf(value)) return undefined;
  const proto = Object.getPrototypeOf(value);
  const className =
    holder === "" && proto !== Object.prototype && proto !== null && !Array.isArray(value)
      ? `a ${(value as { constructor?: { name?: string } }).constructor?.name || "class instance"}`
      : holder;
  const inner = className === holder ? holder : className;
  const holderPath = className !== holder ? path : undefined;
  const entries: Array<[string, unknown]> =
    value instanceof Map
      ? [...value].flatMap(([k, v], i) => [
          [`${path}.<key ${i}>`, k] as [string, unknown],
          [`${path}.get(${String(k)})`, v] as [string, unknown],
        ])
      : value instanceof Set
        ? [...value].map((v, i) => [`${path}.<item ${i}>`, v] as [string, unknown])
        : Array.isArray(value)
          ? value.map((v, i) => [`${path}[${i}]`, v] as [string, unknown])
          : Object.keys(value).map((k) => [`${path}.${k}`, (value as Record<string, unknown>)[k]]);
  for (const [p, v] of entries) {
    const error = find(v, p, depth + 1, inner);
    if (error !== undefined) {
      return holderPath !== undefined
        ? new NotCloneableError(holderPath, inner, {
            detail: ` (it holds a function at \`${error.path}\`)`,
          })
        : error;
    }
  }
  return undefined;
}

/** A copy of `value` with every pid and ref replaced by its tagged pair; call after {@link needsEncoding}. */
export function encode(value: unknown, onPid?: (pid: Pid) => void): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (value instanceof Pid) {
    onPid?.(value);
    return { [PID_TAG]: value.node, id: value.id };
  }
  if (value instanceof Ref) return { [REF_TAG]: value.node, id: value.id };
  if (Array.isArray(value)) return value.map((v) => encode(v, onPid));
  if (isLeaf(value)) return value;
  if (value instanceof Map) {
    const out = new Map();
    for (const [k, v] of value) out.set(encode(k, onPid), encode(v, onPid));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set();
    for (const v of value) out.add(encode(v, onPid));
    return out;
  }
  const out: Record<string, unknown> = {};
  for (const key in value) out[key] = encode((value as Record<string, unknown>)[key], onPid);
  return out;
}

/** How the receiving node turns a tagged pair back into a pid (its own canonical one). */
export type PidOf = (node: number, id: number) => Pid;

/** Turns the tagged pairs of a received (cloned, so owned) value back into pids and refs, in place. */
export function decode(value: unknown, pidOf: PidOf): unknown {
  if (typeof value !== "object" || value === null) return value;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) value[i] = decode(value[i], pidOf);
    return value;
  }
  if (value instanceof Map) {
    const entries = [...value];
    value.clear();
    for (const [k, v] of entries) value.set(decode(k, pidOf), decode(v, pidOf));
    return value;
  }
  if (value instanceof Set) {
    const items = [...value];
    value.clear();
    for (const v of items) value.add(decode(v, pidOf));
    return value;
  }
  if (isLeaf(value)) return value;
  const record = value as Record<string, unknown>;
  const pidNode = record[PID_TAG];
  if (typeof pidNode === "number") return pidOf(pidNode, record.id as number);
  const refNode = record[REF_TAG];
  if (typeof refNode === "number") return new Ref(refNode, record.id as number);
  for (const key in record) record[key] = decode(record[key], pidOf);
  return value;
}
