/**
 * Finds, after a structured clone failed, which value failed and what it is: only run on the
 * error path, so sending costs nothing more than `postMessage` itself.
 */
import { formatValue } from "../../kernel/errors.js";

/** Where the first value that cannot be cloned sits under `root`, and what it is. */
export interface Uncloneable {
  readonly path: string;
  readonly valueType: string;
}

function clones(value: unknown): boolean {
  try {
    structuredClone(value);
    return true;
  } catch {
    return false;
  }
}

/** Containers are searched for the culprit; any other object (a Socket) is the culprit. */
function isContainer(value: object): boolean {
  if (Array.isArray(value) || value instanceof Map || value instanceof Set) return true;
  const proto: unknown = Object.getPrototypeOf(value);
  return proto === null || Object.getPrototypeOf(proto) === null;
}

/**
 * The value under `root` that does not clone, named by its path from `rootPath`
 * (`args[0].onDone`): the innermost plain object, array, Map or Set holding it is searched, any
 * other object is reported whole (a Socket, not its native handle). `undefined` when all clones.
 */
export function findUncloneable(root: unknown, rootPath: string): Uncloneable | undefined {
  const seen = new Set<unknown>();
  const visit = (value: unknown, path: string): Uncloneable | undefined => {
    if (typeof value === "function" || typeof value === "symbol") {
      return { path, valueType: formatValue(value) };
    }
    if (typeof value !== "object" || value === null || seen.has(value)) return undefined;
    seen.add(value);
    if (clones(value)) return undefined;
    if (!isContainer(value)) return { path, valueType: formatValue(value) };
    for (const [key, child] of children(value)) {
      const found = visit(child, `${path}${key}`);
      if (found !== undefined) return found;
    }
    return { path, valueType: formatValue(value) };
  };
  return visit(root, rootPath);
}

function children(value: object): Array<[string, unknown]> {
  if (Array.isArray(value)) return value.map((v, i) => [`[${i}]`, v]);
  if (value instanceof Map) {
    return [...value].flatMap(
      ([k, v], i): Array<[string, unknown]> => [
        [`.<key ${i}>`, k],
        [`.get(${formatValue(k)})`, v],
      ],
    );
  }
  if (value instanceof Set) return [...value].map((v, i) => [`.<item ${i}>`, v]);
  return Object.keys(value).map((key) => [
    /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`,
    (value as Record<string, unknown>)[key],
  ]);
}
