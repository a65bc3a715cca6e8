/**
 * The messages between the pool and its threads. Plain objects: each crosses by structured clone,
 * and everything a thread needs to name a failure travels as data, rebuilt into the pool's error
 * classes on the main thread.
 */

import type { TransferListItem } from "node:worker_threads";

/**
 * A task sent to a thread. `fn` numbers the function within the pool; its module and export
 * travel only the first time a thread is sent that function.
 */
export interface TaskMessage {
  readonly id: number;
  readonly fn: number;
  /** A file URL; present the first time this thread is sent `fn`. */
  readonly module?: string;
  readonly exportName?: string;
  readonly args: readonly unknown[];
}

/**
 * The claim on one task a thread holds, in a shared `Int32Array` (one cell per task a thread may
 * hold, used in turn: the task a thread is sent `n`th has cell `n % tasksPerThread`). The thread
 * moves a cell PENDING -> STARTED -> DONE, the pool moves PENDING or STARTED -> TAKEN with
 * compare-and-swap, so exactly one side wins: a task taken back before it started is never run
 * (the thread answers it `skipped`), and a thread whose running task was taken back (it is being
 * terminated) starts nothing more.
 */
export const PENDING = 0;
export const STARTED = 1;
export const DONE = 2;
export const TAKEN = 3;

/** An Error as data: what a structured clone would lose (its class name, its own fields) kept. */
export interface ErrorData {
  readonly isError: true;
  readonly name: string;
  readonly message: string;
  readonly stack: string | undefined;
  readonly fields: Record<string, unknown>;
}

/** Why a task failed in its thread. */
export type Failure =
  | { readonly kind: "throw"; readonly error: ErrorData | unknown }
  | { readonly kind: "notFound" }
  | { readonly kind: "load"; readonly detail: string; readonly error: ErrorData | unknown }
  | { readonly kind: "notFunction"; readonly got: string; readonly exports: readonly string[] }
  | { readonly kind: "cloneResult"; readonly path: string; readonly valueType: string };

/**
 * A thread's answer to a task, in the order it was sent: its value, its failure, or `skipped`
 * (taken back before it started). `heap` (bytes used) only when the pool recycles on heap use.
 */
export type ReplyMessage =
  | { readonly id: number; readonly ok: true; readonly value: unknown; readonly heap?: number }
  | { readonly id: number; readonly ok: false; readonly failure: Failure; readonly heap?: number }
  | { readonly id: number; readonly ok: false; readonly skipped: true };

/**
 * A thread loaded the module of task `id` (first use of that export there) and starts running
 * it: the task's timeout counts from now, not from the load.
 */
export interface StartedMessage {
  readonly started: number;
}

/** What a thread is started with. */
export interface ThreadData {
  /** Report the heap used after each task. */
  readonly reportHeap: boolean;
  /** The URL of `tsx/esm/api`, to register when a TypeScript module is asked for without a loader. */
  readonly tsxApi: string | null;
  /** The worker's entry module (file URL). */
  readonly entry: string;
  /** The claims on the tasks it holds (see {@link PENDING}). */
  readonly claims: Int32Array;
}

/** The first message of a thread: its entry module loaded, it takes tasks. */
export const READY = "beamish.pool.ready";

/** The key of a value returned with a transfer list (see `transfer`). */
export const transferKey: unique symbol = Symbol.for("beamish.threads.transfer");

/** Marks `value` to be sent with `transferList` moved rather than copied. */
export interface Transfer<T> {
  readonly [transferKey]: true;
  readonly value: T;
  readonly transferList: readonly TransferListItem[];
}

export function isTransfer(value: unknown): value is Transfer<unknown> {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { [transferKey]?: unknown })[transferKey] === true
  );
}

/** The global where the bootstrap leaves its TypeScript loader check for the entry module. */
export const ensureTypeScriptKey = Symbol.for("beamish.threads.ensureTypeScript");
