import assert from "node:assert/strict";
import { test } from "node:test";
import { InvalidArgumentError } from "beamish";
import {
  checkChildSpec,
  checkChildSpecs,
  checkDynamicChildSpec,
  shouldRestart,
} from "../../src/supervisor/child-spec.js";

const start = () => {
  throw new Error("not started in these tests");
};

function throwsMessage(fn: () => unknown, message: string): void {
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof InvalidArgumentError);
    assert.equal(error.message, message);
    return true;
  });
}

test("defaults: permanent worker, shutdown 5000; a supervisor's shutdown is infinity", () => {
  const worker = checkChildSpec({ id: "a", start }, "spec");
  assert.deepEqual(
    { ...worker },
    { id: "a", start, restart: "permanent", shutdown: 5000, type: "worker" },
  );
  assert.equal(checkChildSpec({ id: "s", start, type: "supervisor" }, "spec").shutdown, "infinity");
  assert.equal(
    checkChildSpec({ id: "s", start, type: "supervisor", shutdown: 100 }, "spec").shutdown,
    100,
  );
  assert.equal(
    checkChildSpec({ id: "b", start, shutdown: "brutalKill" }, "spec").shutdown,
    "brutalKill",
  );
});

test("bad specs name the field path", () => {
  throwsMessage(
    () => checkChildSpecs([{ id: "a", start }, { start }], "children"),
    "invalid value for `children[1].id`: expected a non-empty string, got undefined",
  );
  throwsMessage(
    () => checkChildSpecs([{ id: "a" }], "children"),
    "invalid value for `children[0].start`: expected a function, got undefined",
  );
  throwsMessage(
    () =>
      checkChildSpecs(
        [
          { id: "a", start },
          { id: "a", start },
        ],
        "children",
      ),
    'invalid value for `children[1].id`: expected an id not used by another child, got "a"',
  );
  throwsMessage(
    () => checkChildSpec({ id: "a", start, shutdown: -1 }, "spec"),
    'invalid value for `spec.shutdown`: expected a non-negative integer (ms), "brutalKill" or "infinity", got -1',
  );
  throwsMessage(
    () => checkChildSpec({ id: "a", start, shutdown: "never" }, "spec"),
    'invalid value for `spec.shutdown`: expected a non-negative integer (ms), "brutalKill" or "infinity", got "never"',
  );
  throwsMessage(
    () => checkChildSpec({ id: "a", start, restart: "always" }, "spec"),
    'invalid value for `spec.restart`: expected one of "permanent", "transient", "temporary", got "always"',
  );
  throwsMessage(
    () => checkChildSpec({ id: "a", start, type: "manager" }, "spec"),
    'invalid value for `spec.type`: expected one of "worker", "supervisor", got "manager"',
  );
  throwsMessage(
    () => checkChildSpec({ id: "a", start, restrat: "temporary" }, "spec"),
    'invalid value for `spec.restrat`: expected one of the options id, start, restart, shutdown, type, got "temporary"',
  );
  throwsMessage(
    () => checkChildSpecs("a", "children"),
    'invalid value for `children`: expected an array of child specs, got "a"',
  );
  throwsMessage(
    () => checkChildSpecs([42], "children"),
    "invalid value for `children[0]`: expected an options object, got 42",
  );
});

test("a dynamic child spec may leave out its id", () => {
  assert.equal(checkDynamicChildSpec({ start }, "spec").id, undefined);
  throwsMessage(
    () => checkDynamicChildSpec({ id: "", start }, "spec"),
    'invalid value for `spec.id`: expected a non-empty string, got ""',
  );
});

test("shouldRestart follows the restart type and the reason", () => {
  const crash = new Error("boom");
  assert.equal(shouldRestart("permanent", "normal"), true);
  assert.equal(shouldRestart("permanent", crash), true);
  assert.equal(shouldRestart("transient", "normal"), false);
  assert.equal(shouldRestart("transient", "shutdown"), false);
  assert.equal(shouldRestart("transient", { shutdown: "bye" }), false);
  assert.equal(shouldRestart("transient", "killed"), true);
  assert.equal(shouldRestart("transient", crash), true);
  assert.equal(shouldRestart("temporary", crash), false);
});
