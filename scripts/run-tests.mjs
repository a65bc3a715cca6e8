#!/usr/bin/env node
// Runs every `*.test.ts` under test/ (or under the files/folders given as arguments) with
// node's test runner. Node 20's `--test` expands no globs, so the files are listed explicitly.
import { spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(dirname(fileURLToPath(import.meta.url)), "..");
const testSuffix = ".test.ts";

/** Every `*.test.ts` below `dir`, skipping node_modules and dot-folders. */
function findTests(dir) {
  const found = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === "node_modules" || entry.name.startsWith(".")) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) found.push(...findTests(path));
    else if (entry.isFile() && entry.name.endsWith(testSuffix)) found.push(path);
  }
  return found;
}

function collect(target) {
  let stats;
  try {
    stats = statSync(target);
  } catch {
    console.error(`run-tests: no such file or folder: ${target}`);
    process.exit(1);
  }
  return stats.isDirectory() ? findTests(target) : [target];
}

const targets = process.argv.slice(2).map((target) => resolve(target));
const defaultRoot = join(root, "test");
const roots = targets.length > 0 ? targets : existsSync(defaultRoot) ? [defaultRoot] : [];
const files = [...new Set(roots.flatMap(collect))].sort();
console.error(`run-tests: found ${files.length} test file${files.length === 1 ? "" : "s"}`);
if (files.length === 0) {
  console.error("run-tests: no *.test.ts files found; failing rather than passing vacuously");
  process.exit(1);
}

const args = ["--import", "tsx", "--conditions=beamish-source", "--test", "--test-reporter=spec"];
if (process.env.TEST_CONCURRENCY) args.push(`--test-concurrency=${process.env.TEST_CONCURRENCY}`);
// Paths relative to the repo root, and the root as cwd, so that `--import tsx` and the
// `beamish` self-reference resolve from this package wherever the script is started.
args.push(...files.map((file) => relative(root, file)));

const child = spawn(process.execPath, args, { cwd: root, stdio: "inherit" });
for (const signal of ["SIGINT", "SIGTERM"]) {
  process.on(signal, () => child.kill(signal));
}
child.on("exit", (code, signal) => {
  if (signal) {
    console.error(`run-tests: test runner killed by ${signal}`);
    process.exit(1);
  }
  process.exit(code ?? 1);
});
