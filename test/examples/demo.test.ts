/**
 * `npm run demo` (examples/demo.ts, the same as `beamish demo`) run small: once as a program,
 * where the summary adds up, the malformed lines and only they fail, and the demo's own check
 * (per-customer order in the sink, every message acknowledged exactly once) passes; then in
 * process (`runCli`, a fresh runtime on the real clock) for the rate limit and `--input`.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { runCli } from "../../src/cli/cli.js";

const root = join(import.meta.dirname, "..", "..");

function demo(...args: string[]) {
  const run = spawnSync(
    process.execPath,
    ["--import", "tsx", "--conditions=beamish-source", join("examples", "demo.ts"), ...args],
    { cwd: root, encoding: "utf8", timeout: 30_000 },
  );
  const context = `exit ${run.status}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  assert.doesNotMatch(run.stderr, /\[beamish\] process .* crashed/, context);
  return { ...run, context };
}

/** `beamish ...args` in process; no crash may be reported. */
async function demoInProcess(args: string[], terminal?: { columns: number }) {
  let stdout = "";
  let stderr = "";
  const { status, crashes } = await runInRuntime(
    async ({ crashes }) => {
      const status = await runCli(["demo", ...args], {
        out: { write: (text: string) => (stdout += text) },
        err: {
          write: (text: string) => (stderr += text),
          isTTY: terminal !== undefined,
          ...(terminal && { columns: terminal.columns }),
        },
      });
      return { status, crashes };
    },
    { clock: "real" },
  );
  const context = `exit ${status}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  assert.deepEqual(crashes, [], context);
  return { status, stdout, stderr, context };
}

/** The number after `label` in the summary (`succeeded      19,980` -> 19980). */
function figure(stdout: string, label: RegExp): number {
  const match = new RegExp(`${label.source}\\s+([\\d,]+)`).exec(stdout);
  assert.ok(match, `no ${label} in\n${stdout}`);
  return Number((match[1] as string).replaceAll(",", ""));
}

test("20,000 generated events, no rate limit: counts add up, malformed lines fail, checks pass", () => {
  const run = demo("--events", "20000", "--rate", "0", "--quiet");
  assert.equal(run.status, 0, run.context);
  assert.equal(run.stderr, "", "--quiet draws no progress");
  const out = run.stdout;
  const messages = figure(out, /messages/);
  const succeeded = figure(out, /succeeded/);
  const failed = figure(out, /failed/);
  const malformed = figure(out, /;/);
  assert.equal(messages, 20_000);
  assert.equal(succeeded + failed, messages);
  assert.match(out, /malformed lines generated/);
  assert.equal(failed, malformed, "exactly the malformed lines fail");
  assert.ok(malformed > 0);
  assert.match(out, /\(10 InvalidEventError, 10 MalformedLineError\)/);
  assert.match(out, /latency {4}p50 [\d.]+ ms, p99 [\d.]+ ms/);
  assert.match(out, /line \d+: invalid event: `qty` is -1/, "a few failures are shown");
  assert.match(
    out,
    /^check: passed: per-customer order held in the sink \(19,980 events, .*acknowledged exactly once \(20,000 of 20,000\)$/m,
  );
});

test("the rate limit sets the pace: 3,000 events at 2,000 msg/s take about 1.5 s", async () => {
  const run = await demoInProcess(["--events", "3000", "--rate", "2000", "--quiet"]);
  assert.equal(run.status, 0, run.context);
  const done = /^done in ([\d.]+) s$/m.exec(run.stdout);
  assert.ok(done, run.context);
  // 100 ms windows of 200 messages: the 15th window opens 1.4 s after the first.
  assert.ok(Number(done[1]) >= 1.3, `done in ${done[1]} s`);
  const rate = /msg\/s \(rate limit 2,000 msg\/s\)/.exec(run.stdout);
  assert.ok(rate, run.context);
  assert.ok(figure(run.stdout, /messages\s+[\d,]+/) <= 2_000 * 1.1, run.stdout);
});

const event = (id: number, customer: string, seq: number, kind = "view") =>
  JSON.stringify({ id, kind, customer, seq, sku: "sku-1", qty: 1, price: 100 });

test("--input: a file of one's own, with blank lines, a line that is not JSON and a bad event", async () => {
  const dir = mkdtempSync(join(tmpdir(), "beamish-demo-test-"));
  try {
    const path = join(dir, "events.ndjson");
    writeFileSync(
      path,
      [
        event(1, "ann", 1),
        event(2, "bob", 1, "order"),
        "",
        event(3, "ann", 2, "cart"),
        '{"id":4,"kind":"view"',
        event(5, "ann", 3, "refund"),
        event(6, "bob", 2),
        event(7, "ann", 4, "order"),
        "",
      ].join("\n"),
    );
    // Not quiet: the story on stdout, progress as plain lines on stderr (not a terminal).
    const run = await demoInProcess(["--input", path, "--rate", "0"]);
    assert.equal(run.status, 0, run.context);
    assert.match(run.stdout, /^reading 7 lines from /m);
    assert.match(run.stdout, /^pipeline: fromNdjson \(no rate limit\)$/m);
    assert.equal(figure(run.stdout, /messages/), 7);
    assert.equal(figure(run.stdout, /succeeded/), 5);
    assert.equal(figure(run.stdout, /failed/), 2);
    assert.match(run.stdout, /line 5: .*not JSON/);
    assert.match(run.stdout, /line 6: invalid event: `kind` is "refund"/);
    assert.match(run.stdout, /^check: passed: .*\(5 events, 4 customer streams\).*\(7 of 7\)$/m);
    assert.match(run.stderr, /100% {2}7 \/ 7 .*failed 2 {2}in flight 0/);
    assert.ok(!run.stderr.includes("\u001b["), "no terminal codes when stderr is not a terminal");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("on a terminal, the progress is redrawn in place and cut to the terminal's width", async () => {
  const dir = mkdtempSync(join(tmpdir(), "beamish-demo-test-"));
  try {
    const path = join(dir, "events.ndjson");
    writeFileSync(path, `${event(1, "ann", 1)}\n${event(2, "bob", 1)}\n`);
    const run = await demoInProcess(["--input", path], { columns: 50 });
    assert.equal(run.status, 0, run.context);
    // Each redraw goes back up over the two lines it drew before, clearing each line.
    const esc = "\u001b";
    assert.ok(run.stderr.includes(`${esc}[2A`), run.stderr);
    const lines = run.stderr
      .replaceAll(`${esc}[2A`, "")
      .split(`\r${esc}[2K`)
      .flatMap((chunk) => chunk.split("\n"))
      .filter((line) => line !== "");
    for (const line of lines) assert.ok(line.length <= 49, line);
    assert.ok(
      lines.some((line) => line.includes("100%")),
      run.stderr,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
