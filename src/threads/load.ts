/**
 * Loading the module a process is named by, on the node that runs it. TypeScript modules load
 * the way they do on the main thread: a worker inherits the main thread's `execArgv` (so
 * `--import tsx` carries over); a worker without a TypeScript loader registers tsx when it is
 * installed, and otherwise fails naming the module.
 */
import { existsSync } from "node:fs";
import { isAbsolute } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { isMainThread } from "node:worker_threads";
import { invalidArgument } from "../kernel/errors.js";
import { SpawnError } from "./errors.js";

const TS_FILE = /\.[cm]?tsx?$/;
let tsxRegistered: Promise<void> | null = null;

/**
 * The file URL of `module` (an absolute path or a file URL), checked at the caller: a missing
 * file fails here, naming it.
 */
export function moduleUrl(module: unknown, exportName: unknown): string {
  if (typeof module !== "string" && !(module instanceof URL)) {
    invalidArgument("module", "an absolute path or a file URL", module);
  }
  const text = String(module);
  let url: URL;
  if (text.startsWith("file:")) url = new URL(text);
  else if (isAbsolute(text)) url = pathToFileURL(text);
  else invalidArgument("module", "an absolute path or a file URL (not a relative path)", module);
  if (typeof exportName !== "string" || exportName === "") {
    invalidArgument("exportName", "the name of an export of the module", exportName);
  }
  if (!existsSync(fileURLToPath(url))) {
    throw new SpawnError({ module: url.href, exportName }, "module not found");
  }
  return url.href;
}

/** The export `exportName` of the module at `url`. */
export async function loadExport(url: string, exportName: string): Promise<unknown> {
  const request = { module: url, exportName };
  // A failed import stays failed: tsx is registered before a TypeScript module is first imported
  // on a worker (the main thread has its own loader, or the test of it would not run).
  if (TS_FILE.test(url) && !isMainThread) await registerTypeScript(request);
  let namespace: Record<string, unknown>;
  try {
    namespace = (await import(url)) as Record<string, unknown>;
  } catch (error) {
    const code = errorCode(error);
    if (code === "ERR_MODULE_NOT_FOUND") {
      throw new SpawnError(request, `module not found (${(error as Error).message})`);
    }
    if (code === "ERR_UNKNOWN_FILE_EXTENSION") {
      throw new SpawnError(
        request,
        `${(error as Error).message}: no TypeScript loader on this thread`,
      );
    }
    throw error;
  }
  if (!(exportName in namespace)) {
    const names = Object.keys(namespace).join(", ") || "none";
    throw new SpawnError(
      request,
      `the module has no export "${exportName}" (its exports: ${names})`,
    );
  }
  return namespace[exportName];
}

function registerTypeScript(request: { module: string; exportName: string }): Promise<void> {
  tsxRegistered ??= (async () => {
    // A computed specifier: tsx is a development dependency, not a dependency of the library.
    const specifier = "tsx/esm/api";
    let api: { register(): unknown };
    try {
      api = (await import(specifier)) as { register(): unknown };
    } catch {
      tsxRegistered = null;
      throw new SpawnError(
        request,
        "it is TypeScript and this thread has no TypeScript loader: install tsx, or run node with --import tsx",
      );
    }
    api.register();
  })();
  return tsxRegistered;
}

function errorCode(error: unknown): unknown {
  return typeof error === "object" && error !== null
    ? (error as { code?: unknown }).code
    : undefined;
}
