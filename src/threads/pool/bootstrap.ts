/**
 * How a pool thread starts: a small CommonJS script (evaluated, so that it needs no loader) that
 * makes sure TypeScript can load before importing the entry module, then imports it.
 *
 * Node 20 runs a worker's `execArgv` (`--import tsx` inherited from the main thread) but does not
 * apply the loader hooks it registers to the worker's imports: `.ts` fails there with
 * `ERR_UNKNOWN_FILE_EXTENSION`. So, unless Node strips types itself, a thread registers tsx
 * (when installed) before its first TypeScript import, and only then: Node remembers a failed
 * import, so trying first and registering after does not work. Without tsx the import fails
 * with an error naming the module and what to install.
 */
import { fileURLToPath } from "node:url";
import type { ThreadData } from "./protocol.js";

/** Whether this file runs as TypeScript source: then the entry is the `.ts` file next to it. */
const fromSource = import.meta.url.endsWith(".ts");

/** The entry module of pool threads. */
export const entryUrl = new URL(
  fromSource ? "./worker-main.ts" : "./worker-main.js",
  import.meta.url,
).href;

let tsxApi: string | null | undefined;

/** The URL of tsx's registration API, or null when tsx is not installed. */
export function findTsxApi(): string | null {
  if (tsxApi === undefined) {
    try {
      tsxApi = import.meta.resolve("tsx/esm/api");
    } catch {
      tsxApi = null;
    }
  }
  return tsxApi;
}

/** @internal Tests: pretend tsx is (not) installed. `undefined` looks again. */
export function setTsxApiForTests(url: string | null | undefined): void {
  tsxApi = url;
}

/** What a new thread is given. */
export function threadData(reportHeap: boolean, claims: Int32Array): ThreadData {
  return { reportHeap, tsxApi: findTsxApi(), entry: entryUrl, claims };
}

/** The path of the entry module, for messages. */
export function entryPath(): string {
  return fileURLToPath(entryUrl);
}

/**
 * The bootstrap script. `ensureTypeScript(url)` resolves once `url` can be imported; it is left
 * on `globalThis` for the entry module to call before importing a task's module.
 */
export const bootstrapSource = `"use strict";
const { workerData } = require("node:worker_threads");
const typescript = /\\.[cm]?tsx?$/;
let registered = null;
// Node 20 does not carry the main thread's loader hooks (\`--import tsx\`) into workers, even
// with its execArgv: so unless Node strips types itself, the thread registers tsx.
function hasLoader() {
  return Boolean(process.features && process.features.typescript);
}
function ensureTypeScript(url) {
  if (!typescript.test(url) || registered === true || hasLoader()) return Promise.resolve();
  if (workerData.tsxApi === null) {
    const error = new Error("it is TypeScript and the thread has no TypeScript loader: install tsx (npm i -D tsx) or start node with --import tsx");
    error.code = "ERR_BEAMISH_NO_TYPESCRIPT";
    return Promise.reject(error);
  }
  if (registered === null) {
    registered = import(workerData.tsxApi).then((api) => {
      api.register();
      registered = true;
    });
  }
  return registered === true ? Promise.resolve() : registered;
}
globalThis[Symbol.for("beamish.threads.ensureTypeScript")] = ensureTypeScript;
ensureTypeScript(workerData.entry).then(() => import(workerData.entry));
`;
