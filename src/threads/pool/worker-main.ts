/**
 * The entry module of a pool thread: loads the modules it is asked for (once each), runs one task
 * at a time and answers with its value or its failure as data. Loaded by the bootstrap script.
 */

import { existsSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import type { TransferListItem } from "node:worker_threads";
import { parentPort, workerData } from "node:worker_threads";
import { formatValue } from "../../kernel/errors.js";
import { findUncloneable } from "./clone.js";
import {
  type ErrorData,
  ensureTypeScriptKey,
  type Failure,
  isTransfer,
  READY,
  type ReplyMessage,
  type StartedMessage,
  type TaskMessage,
  type ThreadData,
} from "./protocol.js";

const port = parentPort;
if (port === null) throw new Error("worker-main runs only in a pool thread");
const data = workerData as ThreadData;
const ensureTypeScript = (globalThis as Record<symbol, unknown>)[ensureTypeScriptKey] as (
  url: string,
) => Promise<void>;

type Fn = (...args: unknown[]) => unknown;

/** Thrown inside this module to answer with a failure other than the function's own throw. */
class TaskFailure {
  constructor(readonly failure: Failure) {}
}

const functions = new Map<string, Fn>();
const modules = new Map<string, Promise<Record<string, unknown>>>();

function errorData(error: unknown): ErrorData | unknown {
  if (!(error instanceof Error)) return error;
  const fields: Record<string, unknown> = {};
  for (const key of Object.keys(error))
    fields[key] = (error as unknown as Record<string, unknown>)[key];
  if (error.cause !== undefined) fields.cause = errorData(error.cause);
  return { isError: true, name: error.name, message: error.message, stack: error.stack, fields };
}

async function loadModule(url: string): Promise<Record<string, unknown>> {
  try {
    await ensureTypeScript(url);
  } catch (e) {
    throw new TaskFailure({ kind: "load", detail: (e as Error).message, error: undefined });
  }
  try {
    return (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const code = (e as { code?: unknown }).code;
    if (code === "ERR_MODULE_NOT_FOUND" && !existsSync(new URL(url))) {
      throw new TaskFailure({ kind: "notFound" });
    }
    const detail =
      code === "ERR_UNKNOWN_FILE_EXTENSION"
        ? `its extension has no loader here (${(e as Error).message})`
        : `it threw while loading: ${(e as Error).message}`;
    throw new TaskFailure({ kind: "load", detail, error: errorData(e) });
  }
}

async function load(module: string, exportName: string): Promise<Fn> {
  let loading = modules.get(module);
  if (loading === undefined) {
    loading = loadModule(module);
    modules.set(module, loading);
    // A failed load is tried again next time: the file may appear, and the error is per task.
    loading.catch(() => modules.delete(module));
  }
  const exports = await loading;
  const fn = exports[exportName];
  if (typeof fn !== "function") {
    throw new TaskFailure({
      kind: "notFunction",
      got: exportName in exports ? formatValue(fn) : "not exported",
      exports: Object.keys(exports).filter((k) => typeof exports[k] === "function"),
    });
  }
  functions.set(`${module}#${exportName}`, fn as Fn);
  return fn as Fn;
}

function heap(): number | undefined {
  return data.reportHeap ? getHeapStatistics().used_heap_size : undefined;
}

function reply(id: number, value: unknown): void {
  const h = heap();
  try {
    if (isTransfer(value)) {
      const message: ReplyMessage = { id, ok: true, value: value.value };
      if (h !== undefined) (message as { heap?: number }).heap = h;
      port?.postMessage(message, value.transferList as TransferListItem[]);
    } else {
      port?.postMessage(
        h === undefined ? { id, ok: true, value } : { id, ok: true, value, heap: h },
      );
    }
  } catch (e) {
    const found = findUncloneable(isTransfer(value) ? value.value : value, "result");
    fail(id, {
      kind: "cloneResult",
      path: found?.path ?? "result",
      valueType: found?.valueType ?? (e as Error).message,
    });
  }
}

function fail(id: number, failure: Failure): void {
  const h = heap();
  try {
    port?.postMessage(
      h === undefined ? { id, ok: false, failure } : { id, ok: false, failure, heap: h },
    );
  } catch {
    // The thrown value itself does not clone (an error holding a socket): send its description.
    const error = (failure as { error?: unknown }).error;
    port?.postMessage({
      id,
      ok: false,
      failure: { kind: "throw", error: errorData(new Error(formatValue(error))) },
    });
  }
}

function failWith(id: number, e: unknown): void {
  fail(id, e instanceof TaskFailure ? e.failure : { kind: "throw", error: errorData(e) });
}

async function runAsync(task: TaskMessage): Promise<void> {
  try {
    const fn = await load(task.module, task.exportName);
    port?.postMessage({ started: task.id } satisfies StartedMessage);
    reply(task.id, await fn(...task.args));
  } catch (e) {
    failWith(task.id, e);
  }
}

port.on("message", (task: TaskMessage) => {
  const fn = functions.get(`${task.module}#${task.exportName}`);
  if (fn === undefined) {
    void runAsync(task);
    return;
  }
  // A synchronous function answers without a promise in between.
  let value: unknown;
  try {
    value = fn(...task.args);
  } catch (e) {
    failWith(task.id, e);
    return;
  }
  if (typeof (value as { then?: unknown } | null)?.then === "function") {
    (value as Promise<unknown>).then(
      (v) => reply(task.id, v),
      (e: unknown) => failWith(task.id, e),
    );
  } else {
    reply(task.id, value);
  }
});

port.postMessage(READY);
