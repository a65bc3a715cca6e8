/** Turns a thread's failure, sent as data, back into the error its caller gets. */
import { NotCloneableError } from "../errors.js";
import {
  ThreadExportNotFunctionError,
  ThreadModuleLoadError,
  ThreadModuleNotFoundError,
} from "./errors.js";
import type { ErrorData, Failure } from "./protocol.js";

const builtinErrors: Record<string, ErrorConstructor> = {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
  ReferenceError,
  EvalError,
  URIError,
};

function isErrorData(value: unknown): value is ErrorData {
  return typeof value === "object" && value !== null && (value as ErrorData).isError === true;
}

/**
 * The error thrown in a thread, rebuilt: the same class for the built-in ones (an `Error` named
 * as the original otherwise), message, the thread's stack and the error's own fields (`code`).
 */
export function rebuildError(value: unknown): unknown {
  if (!isErrorData(value)) return value;
  const Ctor = builtinErrors[value.name] ?? Error;
  const error = new Ctor(value.message) as Error & Record<string, unknown>;
  if (error.name !== value.name) {
    Object.defineProperty(error, "name", { value: value.name, configurable: true, writable: true });
  }
  if (value.stack !== undefined) error.stack = value.stack;
  for (const [key, field] of Object.entries(value.fields)) {
    error[key] = key === "cause" ? rebuildError(field) : field;
  }
  return error;
}

/** The error a task's caller gets for `failure` in `module#exportName`. */
export function failureError(module: string, exportName: string, failure: Failure): unknown {
  switch (failure.kind) {
    case "throw":
      return rebuildError(failure.error);
    case "notFound":
      return new ThreadModuleNotFoundError(module);
    case "load":
      return new ThreadModuleLoadError(module, failure.detail, rebuildError(failure.error));
    case "notFunction":
      return new ThreadExportNotFunctionError(module, exportName, failure.got, failure.exports);
    case "cloneResult":
      return new NotCloneableError(failure.path, failure.valueType, { module, exportName });
  }
}
