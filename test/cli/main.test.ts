/**
 * The `beamish` command: as a user runs it (src/cli/main.ts, the `bin` entry, in a child
 * process) for help and the two usage errors, and in process (`runCli`) for the rest. A command
 * line it does not understand gets one line naming the problem and exit code 2.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runCli } from "../../src/cli/cli.js";

const root = join(import.meta.dirname, "..", "..");

function beamish(...args: string[]) {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "--conditions=beamish-source", join("src", "cli", "main.ts"), ...args],
    { cwd: root, encoding: "utf8", timeout: 20_000 },
  );
  return {
    ...run,
    context: `exit ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`,
  };
}

/** `runCli` with its output captured. */
async function inProcess(...argv: string[]) {
  let stdout = "";
  let stderr = "";
  const status = await runCli(argv, {
    out: { write: (text: string) => (stdout += text) },
    err: { write: (text: string) => (stderr += text), isTTY: false },
  });
  return { status, stdout, stderr, context: `exit ${status}\n${stdout}\n${stderr}` };
}

describe("beamish (the executable)", () => {
  test("--help lists the commands and options, exit 0", () => {
    const run = beamish("--help");
    assert.equal(run.status, 0, run.context);
    assert.match(run.stdout, /^Usage: beamish <command> \[options\]$/m);
    assert.match(run.stdout, /^ {2}demo {5}run a pipeline/m);
    assert.match(run.stdout, /-h, --help/);
    assert.equal(run.stderr, "");
  });

  test("an unknown option is named, exit 2, nothing runs", () => {
    const run = beamish("demo", "--events", "10", "--frobnicate");
    assert.equal(run.status, 2, run.context);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      "beamish: unknown option `--frobnicate` (see `beamish demo --help`)\n",
    );
  });

  test("a bad --events value: the value and what was expected, exit 2", () => {
    const run = beamish("demo", "--events", "lots");
    assert.equal(run.status, 2, run.context);
    assert.equal(run.stdout, "");
    assert.equal(
      run.stderr,
      'beamish: invalid value for `--events`: expected an integer from 1 to 100000000, got "lots" (see `beamish demo --help`)\n',
    );
  });
});

describe("runCli", () => {
  test("no arguments prints the help", async () => {
    const run = await inProcess();
    assert.equal(run.status, 0, run.context);
    assert.match(run.stdout, /^Usage: beamish/);
  });

  test("--version and -v print the package's version", async () => {
    const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
    for (const flag of ["--version", "-v"]) {
      const run = await inProcess(flag);
      assert.equal(run.status, 0, run.context);
      assert.equal(run.stdout, `${pkg.version}\n`);
    }
  });

  test("demo --help shows every demo option with its default", async () => {
    const run = await inProcess("demo", "--help");
    assert.equal(run.status, 0, run.context);
    assert.match(run.stdout, /^Usage: beamish demo \[options\]$/m);
    for (const option of ["--events N", "--rate N", "--input PATH", "--quiet", "--keep"]) {
      assert.ok(run.stdout.includes(option), `${option} in\n${run.stdout}`);
    }
    assert.match(run.stdout, /default 1000000/);
    assert.match(run.stdout, /0 for no limit \(default 50000\)/);
  });

  test("an unknown command is named, exit 2", async () => {
    const run = await inProcess("deploy");
    assert.equal(run.status, 2, run.context);
    assert.equal(run.stderr, "beamish: unknown command `deploy` (see `beamish --help`)\n");
  });

  test("an option before the command is checked too", async () => {
    const run = await inProcess("--fast", "demo");
    assert.equal(run.status, 2, run.context);
    assert.equal(run.stderr, "beamish: unknown option `--fast` (see `beamish --help`)\n");
  });

  test("an --input file that does not exist, exit 2, before anything is written", async () => {
    const run = await inProcess("demo", "--input", join(root, "no-such-file.ndjson"), "--quiet");
    assert.equal(run.status, 2, run.context);
    assert.equal(run.stdout, "");
    assert.match(
      run.stderr,
      /^beamish: invalid value for `--input`: expected a readable file, got ".*no-such-file\.ndjson" \(see `beamish demo --help`\)\n$/,
    );
  });
});
