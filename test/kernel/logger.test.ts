import assert from "node:assert/strict";
import { test } from "node:test";
import { type CrashReport, currentRuntime, setLogger, spawn } from "beamish";
import { withRuntime } from "beamish/testing";

test(
  "setLogger receives crash reports and returns the logger it replaced",
  withRuntime(async ({ self, settle }) => {
    const runtime = currentRuntime();
    const original = runtime.logger;
    const reports: CrashReport[] = [];
    const previous = setLogger({ crash: (report) => reports.push(report) });
    assert.equal(previous, original);
    const pid = spawn(() => {
      throw new Error("boom");
    });
    self.monitor(pid);
    await settle();
    assert.equal(reports.length, 1);
    const [report] = reports as [CrashReport];
    assert.ok(report.pid.equals(pid));
    assert.equal((report.error as Error).message, "boom");
    setLogger(previous);
    assert.equal(runtime.logger, original);
  }),
);

test("setLogger rejects what is not a logger, naming the argument", () => {
  assert.throws(() => setLogger({} as never), {
    code: "ERR_INVALID_ARGUMENT",
    message:
      "invalid value for `logger`: expected an object with a crash(report) method, got an empty object",
  });
});
