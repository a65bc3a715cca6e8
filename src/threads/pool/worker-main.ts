/**
 * The entry module of a pool thread: loads the modules it is asked for (once each), runs the tasks
 * it holds one at a time, in order, and answers each with its value or its failure as data.
 * Loaded by the bootstrap script.
 */

import { existsSync } from "node:fs";
import { getHeapStatistics } from "node:v8";
import type { MessagePort, TransferListItem } from "node:worker_threads";
import { parentPort, receiveMessageOnPort, workerData } from "node:worker_threads";
import { formatValue } from "../../kernel/errors.js";
import { findUncloneable } from "./clone.js";
import {
  DONE,
  type ErrorData,
  ensureTypeScriptKey,
  type Failure,
  isTransfer,
  PENDING,
  READY,
  type ReplyMessage,
  STARTED,
  type StartedMessage,
  type TaskMessage,
  type ThreadData,
} from "./protocol.js";

const port = parentPort;
if (port === null) throw new Error("worker-main runs only in a pool thread");
const data = workerData as ThreadData;
const claims = data.claims;
const ensureTypeScript = (globalThis as Record<symbol, unknown>)[ensureTypeScriptKey] as (
  url: string,
) => Promise<void>;

type Fn = (...args: unknown[]) => unknown;

/** Thrown inside this module to answer with a failure other than the function's own throw. */
class TaskFailure {
  constructor(readonly failure: Failure) {}
}

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

/** A function this thread was told about: where it lives, and itself once loaded. */
interface Known {
  readonly module: string;
  readonly exportName: string;
  fn: Fn | undefined;
}

const known: Known[] = [];

/** Tasks received and not started, in order; the running one is not among them. */
const tasks: TaskMessage[] = [];
let head = 0;
/** Tasks received so far: the `n`th has claim cell `n % claims.length`, as the pool counts. */
let received = 0;
const cells: number[] = [];
let running = false;
/** The running task was taken back: the pool terminates this thread, which starts nothing more. */
let halted = false;

/** Ends the running task: false when the pool took it back (no answer, nothing more starts). */
function finish(cell: number): boolean {
  if (Atomics.compareExchange(claims, cell, STARTED, DONE) === STARTED) return true;
  halted = true;
  return false;
}

async function runAsync(task: TaskMessage, entry: Known, cell: number): Promise<void> {
  let value: unknown;
  try {
    const fn = await load(entry.module, entry.exportName);
    entry.fn = fn;
    port?.postMessage({ started: task.id } satisfies StartedMessage);
    value = await fn(...task.args);
  } catch (e) {
    if (finish(cell)) failWith(task.id, e);
    return;
  }
  if (finish(cell)) reply(task.id, value);
}

/** Holds a task the pool sent. */
function accept(task: TaskMessage): void {
  if (task.module !== undefined && known[task.fn] === undefined) {
    known[task.fn] = { module: task.module, exportName: task.exportName as string, fn: undefined };
  }
  tasks.push(task);
  cells.push(received++ % claims.length);
}

/**
 * Takes a task that arrived while this thread was busy straight from the port. Going back to
 * the event loop for it cost a turn between every two tasks: on 3 ms tasks a thread sat idle
 * 2-5% of its time that way, 1-3% without.
 */
function takeArrived(): boolean {
  const arrived = receiveMessageOnPort(port as MessagePort);
  if (arrived === undefined) return false;
  accept(arrived.message as TaskMessage);
  return true;
}

/**
 * Runs the tasks received, one at a time and in order, each only if this thread claims it first.
 * A synchronous function answers without a promise in between, and the next task starts at once:
 * it was sent while this one ran, so the thread never waits for the pool between two tasks.
 */
function runTasks(): void {
  running = true;
  while (!halted && (head < tasks.length || takeArrived())) {
    const task = tasks[head] as TaskMessage;
    const cell = cells[head] as number;
    tasks[head] = undefined as unknown as TaskMessage;
    head++;
    if (Atomics.compareExchange(claims, cell, PENDING, STARTED) !== PENDING) {
      port?.postMessage({ id: task.id, ok: false, skipped: true } satisfies ReplyMessage);
      continue;
    }
    const entry = known[task.fn] as Known;
    if (entry.fn === undefined) {
      void runAsync(task, entry, cell).then(runTasks);
      return;
    }
    let value: unknown;
    try {
      value = entry.fn(...task.args);
    } catch (e) {
      if (finish(cell)) failWith(task.id, e);
      continue;
    }
    if (typeof (value as { then?: unknown } | null)?.then === "function") {
      (value as Promise<unknown>).then(
        (v) => {
          if (finish(cell)) reply(task.id, v);
          runTasks();
        },
        (e: unknown) => {
          if (finish(cell)) failWith(task.id, e);
          runTasks();
        },
      );
      return;
    }
    if (finish(cell)) reply(task.id, value);
  }
  if (head === tasks.length) {
    tasks.length = 0;
    cells.length = 0;
    head = 0;
  }
  running = false;
}

port.on("message", (task: TaskMessage) => {
  accept(task);
  if (!running) runTasks();
});

port.postMessage(READY);
