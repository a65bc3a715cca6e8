// Runs one file of examples/ as a program, as a reader would: it must exit 0 and report no crash.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { join } from "node:path";

const root = join(import.meta.dirname, "..", "..");

/**
 * Runs `examples/<file>` with tsx from the repo root; returns what it printed. An example that
 * crashes a process on purpose (to show a restart) says so with `crashes: "expected"`.
 */
export function runExample(
  file: string,
  options: { crashes?: "expected" } = {},
): { stdout: string; stderr: string } {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "--conditions=beamish-source", join("examples", file)],
    { cwd: root, encoding: "utf8", timeout: 30_000 },
  );
  assert.equal(
    run.status,
    0,
    `exit ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
  );
  if (options.crashes !== "expected") {
    assert.doesNotMatch(run.stderr, /\[beamish\] process .* crashed/, run.stderr);
  }
  return { stdout: run.stdout, stderr: run.stderr };
}
