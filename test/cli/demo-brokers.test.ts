/**
 * `beamish demo --broker`: the demo's lines published to a fresh RabbitMQ queue, NATS JetStream
 * stream or Redis stream and consumed by the connector, against the brokers of CI (127.0.0.1).
 * The same summary and checks as with a file; malformed lines fail in the connector's decoding;
 * the queue or stream is gone afterwards, Ctrl-C included.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, test } from "node:test";
import { runInRuntime } from "beamish/testing";
import { createClient } from "redis";
import { runCli } from "../../src/cli/cli.js";

const root = join(import.meta.dirname, "..", "..");

/** `beamish demo ...args` in process, on the real clock; no crash may be reported. */
async function demo(args: string[]) {
  let stdout = "";
  let stderr = "";
  const { status, crashes } = await runInRuntime(
    async ({ crashes }) => {
      const status = await runCli(["demo", ...args], {
        out: { write: (text: string) => (stdout += text) },
        err: { write: (text: string) => (stderr += text), isTTY: false },
      });
      return { status, crashes };
    },
    { clock: "real" },
  );
  const context = `exit ${status}\n--- stdout\n${stdout}\n--- stderr\n${stderr}`;
  assert.deepEqual(crashes, [], context);
  return { status, stdout, stderr, context };
}

/** The number after `label` in the summary (`succeeded      2,997` -> 2997). */
function figure(stdout: string, label: RegExp): number {
  const match = new RegExp(`${label.source}\\s+([\\d,]+)`).exec(stdout);
  assert.ok(match, `no ${label} in\n${stdout}`);
  return Number((match[1] as string).replaceAll(",", ""));
}

const decodeErrors = {
  rabbitmq: "MalformedMessageError",
  nats: "MalformedNatsMessageError",
  redis: "MalformedEntryError",
} as const;

describe("beamish demo --broker", { timeout: 60_000 }, () => {
  for (const broker of ["rabbitmq", "nats", "redis"] as const) {
    test(`${broker}: 3,000 events through the broker, counts add up, checks pass`, async () => {
      const run = await demo(["--events", "3000", "--rate", "0", "--quiet", "--broker", broker]);
      assert.equal(run.status, 0, run.context);
      assert.equal(run.stderr, "", "--quiet draws no progress");
      assert.equal(figure(run.stdout, /messages/), 3000);
      assert.equal(figure(run.stdout, /succeeded/), 2997);
      assert.equal(figure(run.stdout, /failed/), 3);
      // Line 2000 is cut short: the connector's decoding fails it, not the handler.
      assert.match(run.stdout, new RegExp(`\\(2 InvalidEventError, 1 ${decodeErrors[broker]}\\)`));
      assert.match(run.stdout, /line 2000: .*could not be decoded/);
      assert.match(run.stdout, /line 1000: invalid event: `qty` is -1/);
      assert.match(
        run.stdout,
        /^check: passed: per-customer order held in the sink \(2,997 events, .*acknowledged exactly once \(3,000 of 3,000\)$/m,
      );
    });
  }

  test("the story names the stream, which is deleted at the end", async () => {
    const run = await demo(["--events", "500", "--rate", "0", "--broker", "redis"]);
    assert.equal(run.status, 0, run.context);
    const stream =
      /^publishing 500 lines to redis at redis:\/\/127\.0\.0\.1:6379, stream (\S+)$/m.exec(
        run.stdout,
      )?.[1];
    assert.ok(stream, run.context);
    assert.match(
      run.stdout,
      new RegExp(`^pipeline: redisProducer on stream ${stream} \\(no rate limit\\)$`, "m"),
    );
    assert.equal(await redisExists(stream), 0);
  });

  test("Ctrl-C deletes the stream too, exit 130", async () => {
    const child = spawn(
      process.execPath,
      ["--import", "tsx", "--conditions=beamish-source", join("examples", "demo.ts")].concat([
        "--events",
        "20000",
        "--rate",
        "2000",
        "--broker",
        "redis",
      ]),
      { cwd: root },
    );
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (chunk) => (stderr += chunk));
    const stream = await new Promise<string>((resolve, reject) => {
      child.stdout.on("data", (chunk) => {
        stdout += chunk;
        // Interrupted once the pipeline consumes the stream: it holds the group and the entries.
        const found = /^pipeline: redisProducer on stream (\S+)/m.exec(stdout)?.[1];
        if (found) resolve(found);
      });
      child.on("exit", () => reject(new Error(`exited early\n${stdout}\n${stderr}`)));
    });
    assert.equal(await redisExists(stream), 1);
    child.kill("SIGINT");
    const code = await new Promise((resolve) => child.on("exit", resolve));
    assert.equal(code, 130, `${stdout}\n${stderr}`);
    assert.match(stderr, /interrupted/);
    assert.equal(await redisExists(stream), 0);
  });

  test("a broker beamish has no connector for, or --url alone: usage errors, exit 2", async () => {
    const bad = await demo(["--broker", "kafka"]);
    assert.equal(bad.status, 2, bad.context);
    assert.equal(
      bad.stderr,
      'beamish: invalid value for `--broker`: expected one of rabbitmq, nats, redis, got "kafka" (see `beamish demo --help`)\n',
    );
    const alone = await demo(["--url", "redis://127.0.0.1:6379"]);
    assert.equal(alone.status, 2, alone.context);
    assert.match(alone.stderr, /`--url` is the address of a `--broker`: give `--broker` too/);
  });

  test("a broker that is not there: one line naming it, exit 1", async () => {
    const run = await demo(["--events", "10", "--broker", "redis", "--url", "redis://127.0.0.1:1"]);
    assert.equal(run.status, 1, run.context);
    assert.match(run.stderr, /^beamish demo: cannot reach redis at redis:\/\/127\.0\.0\.1:1: /m);
  });
});

async function redisExists(key: string): Promise<number> {
  const client = createClient({ url: "redis://127.0.0.1:6379" });
  await client.connect();
  try {
    return await client.exists(key);
  } finally {
    client.destroy();
  }
}
