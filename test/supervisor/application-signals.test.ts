// Integration: a real Node process running an Application, stopped by real signals. Waits are
// bounded; nothing here depends on timing beyond "the child answers within 20 s".
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { join } from "node:path";
import { test } from "node:test";

const root = join(import.meta.dirname, "..", "..");
const fixture = join(import.meta.dirname, "fixtures", "application.ts");
const bound = 20_000;

interface Run {
  readonly child: ChildProcess;
  readonly lines: string[];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  waitFor(line: string): Promise<void>;
}

function run(...args: string[]): Run {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", "--conditions=beamish-source", fixture, ...args],
    { cwd: root, stdio: ["ignore", "pipe", "pipe"] },
  );
  const lines: string[] = [];
  const waiters: Array<{ line: string; resolve: () => void }> = [];
  let buffer = "";
  let stderr = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout?.on("data", (chunk: Buffer) => {
    buffer += chunk.toString();
    const parts = buffer.split("\n");
    buffer = parts.pop() ?? "";
    for (const line of parts) {
      lines.push(line);
      for (const w of waiters.filter((w) => w.line === line)) w.resolve();
    }
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>(
    (resolve, reject) => {
      const timer = setTimeout(() => {
        child.kill("SIGKILL");
        reject(new Error(`the fixture did not exit within ${bound} ms; stderr: ${stderr}`));
      }, bound);
      child.on("exit", (code, signal) => {
        clearTimeout(timer);
        resolve({ code, signal });
      });
    },
  );
  const waitFor = (line: string) =>
    lines.includes(line)
      ? Promise.resolve()
      : Promise.race([
          new Promise<void>((resolve) => waiters.push({ line, resolve })),
          exited.then(() => {
            throw new Error(`exited before printing ${line}; stderr: ${stderr}`);
          }),
        ]);
  return { child, lines, exited, waitFor };
}

test("SIGTERM stops the tree in reverse order, then the process exits 0", async () => {
  const app = run();
  await app.waitFor("ready");
  app.child.kill("SIGTERM");
  assert.deepEqual(await app.exited, { code: 0, signal: null });
  assert.deepEqual(app.lines, [
    "ready",
    "terminate d",
    "terminate c",
    "terminate b",
    "terminate a",
  ]);
});

test("a second signal while a child will not stop exits at once with code 130", async () => {
  const app = run("stubborn");
  await app.waitFor("ready");
  // Whichever signal is handled first starts the graceful stop, which waits forever on the
  // stubborn child (stopped first, as the last started); the other one forces the exit.
  app.child.kill("SIGTERM");
  app.child.kill("SIGINT");
  assert.deepEqual(await app.exited, { code: 130, signal: null });
  assert.deepEqual(app.lines, ["ready"]);
});
