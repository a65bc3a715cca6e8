/**
 * `beamish demo`'s option parsing, in process: defaults, the forms a value may take, and the
 * exact message for each mistake.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { isBeamishError } from "beamish";
import { UsageError } from "../../src/cli/args.js";
import { defaultEvents, defaultRate, parseDemoOptions } from "../../src/cli/demo/options.js";

const message = (argv: string[]) => {
  try {
    parseDemoOptions(argv);
  } catch (error) {
    assert.ok(error instanceof UsageError || isBeamishError(error, "ERR_INVALID_ARGUMENT"));
    return error.message;
  }
  assert.fail(`${argv.join(" ")} parsed`);
};

describe("parseDemoOptions", () => {
  test("defaults: a million events at 50,000 msg/s, generated, with progress", () => {
    assert.deepEqual(parseDemoOptions([]), {
      events: defaultEvents,
      rate: defaultRate,
      input: undefined,
      quiet: false,
      keep: false,
    });
    assert.equal(defaultEvents, 1_000_000);
  });

  test("values as `--name value` or `--name=value`, with _ separators or an exponent", () => {
    assert.deepEqual(parseDemoOptions(["--events=1_000", "--rate", "0", "--quiet", "--keep"]), {
      events: 1000,
      rate: 0,
      input: undefined,
      quiet: true,
      keep: true,
    });
    const options = parseDemoOptions(["--events", "2e5"]);
    assert.ok(options !== "help");
    assert.equal(options.events, 200_000);
    const input = parseDemoOptions(["--input", "events.ndjson"]);
    assert.ok(input !== "help");
    assert.equal(input.input, "events.ndjson");
  });

  test("-h and --help ask for help, whatever else is given", () => {
    assert.equal(parseDemoOptions(["-h"]), "help");
    assert.equal(parseDemoOptions(["--rate", "5", "--help"]), "help");
  });

  test("each mistake has its own message", () => {
    assert.equal(message(["--nope"]), "unknown option `--nope`");
    assert.equal(message(["-x"]), "unknown option `-x`");
    assert.equal(message(["extra"]), "unexpected argument `extra`");
    assert.equal(message(["--events"]), "option `--events` needs a value (N)");
    assert.equal(message(["--quiet=yes"]), "option `--quiet` takes no value");
    for (const bad of ["0", "-5", "1.5", "ten", "", "0x10", "200000000"]) {
      assert.equal(
        message(["--events", bad]),
        `invalid value for \`--events\`: expected an integer from 1 to 100000000, got ${JSON.stringify(bad)}`,
      );
    }
    assert.equal(
      message(["--rate", "-1"]),
      'invalid value for `--rate`: expected a non-negative integer up to 100000000, got "-1"',
    );
    assert.equal(
      message(["--input", "a.ndjson", "--events", "5"]),
      "`--events` and `--input` exclude each other: an input file has its own",
    );
  });

  test("an option name from Object.prototype is still unknown", () => {
    assert.equal(message(["--constructor"]), "unknown option `--constructor`");
    assert.equal(message(["--toString=1"]), "unknown option `--toString`");
  });
});
