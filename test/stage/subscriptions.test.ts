import assert from "node:assert/strict";
import diagnostics from "node:diagnostics_channel";
import { describe, test } from "node:test";
import { GenStage, isAlive, isBeamishError, type Pid, send, spawn, stageChannels } from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";
import { counter, forwarder, range } from "./helpers.js";

describe("demand", () => {
  test(
    "a producer never emits more than asked, and handleDemand extras wait in the buffer",
    withRuntime(async ({ self, settle }) => {
      // handleDemand returns 3x what is asked: the excess must be buffered, never sent.
      const producer = await GenStage.start(
        {
          init: () => GenStage.producer(0),
          handleDemand: (demand, next: number) =>
            GenStage.emit(range(next, demand * 3), next + demand * 3),
        },
        undefined,
      );
      const consumer = await GenStage.start(
        forwarder(self.pid, [{ to: producer, maxDemand: 4, demand: "manual" }], {
          handleSubscribe: (_kind, _options, from) => {
            GenStage.ask(from, 4);
            return undefined;
          },
        }),
        undefined,
      );
      await assertReceive(self, { events: [0, 1, 2, 3] });
      await settle();
      await refuteReceive(self, () => true);
      assert.equal(isAlive(consumer), true);
    }),
  );

  test(
    "manual demand: the consumer gets exactly what it asks, from the buffer first",
    withRuntime(async ({ self, settle }) => {
      const demands: number[] = [];
      const producer = await GenStage.start(counter(demands), 0);
      const consumer = await GenStage.start(
        {
          init: () =>
            GenStage.consumer(null as unknown, {
              subscribeTo: [{ to: producer, demand: "manual" }],
            }),
          handleSubscribe: (_kind, _options, from) => from,
          handleEvents: (events, _from, from) => {
            send(self.pid, { events: [...events] });
            return from;
          },
          handleCast: (_request, n, from) => {
            GenStage.ask(from as never, n as number);
            return from;
          },
        },
        undefined,
      );
      await settle();
      await refuteReceive(self, () => true);
      GenStage.cast(consumer, "ask", 2);
      await assertReceive(self, { events: [0, 1] });
      GenStage.cast(consumer, "ask", 3);
      await assertReceive(self, { events: [2, 3, 4] });
      assert.deepEqual(demands, [2, 3]);
    }),
  );

  test(
    "accumulate holds demand until forward, then handleDemand gets it all at once",
    withRuntime(async ({ self, settle }) => {
      const demands: number[] = [];
      const producer = await GenStage.start(
        {
          ...counter(demands),
          init: (start) => GenStage.producer(start, { demand: "accumulate" }),
        },
        0,
      );
      await GenStage.start(forwarder(self.pid, [{ to: producer, maxDemand: 5 }], {}), undefined);
      await settle();
      assert.deepEqual(demands, []);
      GenStage.demand(producer, "forward");
      await assertReceive(self, { events: [0, 1, 2] });
      assert.equal(demands[0], 5);
      GenStage.demand(producer, "accumulate");
    }),
  );

  test(
    "rate limiting: a manual consumer releasing demand on an interval",
    withRuntime(async ({ self, clock, settle }) => {
      const producer = await GenStage.start(counter(), 0);
      await GenStage.start(
        {
          init: () =>
            GenStage.consumer(null as unknown, {
              subscribeTo: [{ to: producer, demand: "manual" }],
            }),
          handleSubscribe: (_kind, _options, from, _state, me) => {
            GenStage.ask(from, 2);
            setInterval2(me.pid, clock);
            return from;
          },
          handleEvents: (events, _from, from) => {
            send(self.pid, { events: [...events] });
            return from;
          },
          handleInfo: (_tick, from, me) => {
            GenStage.ask(from as never, 2);
            setInterval2(me.pid, clock);
            return from;
          },
        },
        undefined,
      );
      await assertReceive(self, { events: [0, 1] });
      await settle();
      await refuteReceive(self, () => true);
      await clock.advance(1000);
      await assertReceive(self, { events: [2, 3] });
      await clock.advance(1000);
      await assertReceive(self, { events: [4, 5] });
    }),
  );
});

function setInterval2(pid: Pid, clock: { setTimer(ms: number, fn: () => void): unknown }): void {
  clock.setTimer(1000, () => send(pid, "tick"));
}

describe("buffer", () => {
  for (const keep of ["first", "last"] as const) {
    test(
      `a full buffer keeps the ${keep} events and reports the dropped count`,
      withRuntime(async ({ self, settle }) => {
        const dropped: unknown[] = [];
        const listen = (m: unknown) => dropped.push(m);
        diagnostics.subscribe(stageChannels.discard, listen);
        try {
          const producer = await GenStage.start(
            {
              init: () => GenStage.producer(undefined, { bufferSize: 3, bufferKeep: keep }),
              handleDemand: (_demand, state) => state,
              handleCast: (_request, events, state) => GenStage.emit(events as number[], state),
            },
            undefined,
          );
          GenStage.cast(producer, "emit", [1, 2, 3, 4, 5]);
          await settle();
          assert.deepEqual(dropped, [{ pid: producer, count: 2, keep }]);
          await GenStage.start(forwarder(self.pid, [{ to: producer, maxDemand: 10 }]), undefined);
          await assertReceive(self, { events: keep === "first" ? [1, 2, 3] : [3, 4, 5] });
        } finally {
          diagnostics.unsubscribe(stageChannels.discard, listen);
        }
      }),
    );
  }

  test(
    "syncInfo reaches handleInfo after the events buffered before it",
    withRuntime(async ({ self }) => {
      const producer = await GenStage.start(
        {
          init: () => GenStage.producer(undefined),
          handleDemand: (_demand, state) => state,
          handleCast: (_request, events, state) => GenStage.emit(events as number[], state),
          handleInfo: (message, state) => {
            send(self.pid, { info: message });
            return state;
          },
        },
        undefined,
      );
      GenStage.cast(producer, "emit", [1, 2]);
      await GenStage.syncInfo(producer, "after");
      await refuteReceive(self, () => true);
      await GenStage.start(forwarder(self.pid, [{ to: producer, maxDemand: 10 }]), undefined);
      await assertReceive(self, { events: [1, 2] });
      await assertReceive(self, { info: "after" });
    }),
  );
});

describe("cancel and crashes", () => {
  const modes = [
    ["permanent", "normal", false],
    ["permanent", "boom", false],
    ["transient", "normal", true],
    ["transient", "boom", false],
    ["temporary", "boom", true],
  ] as const;
  for (const [cancel, reason, survives] of modes) {
    test(
      `a ${cancel} subscriber ${survives ? "survives" : "exits with"} its producer's exit ${reason}`,
      withRuntime(async ({ self, settle }) => {
        const producer = await GenStage.start(counter(), 0);
        const consumer = await GenStage.start(
          forwarder(self.pid, [{ to: producer, maxDemand: 2, demand: "manual", cancel }], {
            handleCancel: (info) => {
              send(self.pid, { cancel: info.kind, reason: info.reason });
              return undefined;
            },
          }),
          undefined,
        );
        const ref = self.monitor(consumer);
        await GenStage.stop(producer, reason === "boom" ? new Error("boom") : reason);
        const got = (await assertReceive(
          self,
          (m) => typeof m === "object" && m !== null && "cancel" in m,
        )) as {
          cancel: string;
          reason: unknown;
        };
        assert.equal(got.cancel, "down");
        await settle();
        assert.equal(isAlive(consumer), survives);
        if (!survives) {
          const down = await assertReceive(self, (m) => (m as { ref?: unknown }).ref === ref);
          assert.deepEqual((down as { reason: unknown }).reason, got.reason);
        }
      }),
    );
  }

  test(
    "a crashing consumer is cancelled at its producer, which goes on serving the others",
    withRuntime(async ({ self, settle, crashes }) => {
      const producer = await GenStage.start(
        {
          ...counter(),
          handleCancel: (info, _from, state) => {
            send(self.pid, { producerSaw: info.kind });
            return state;
          },
        },
        0,
      );
      const crashing = await GenStage.start(
        {
          init: () =>
            GenStage.consumer(undefined, { subscribeTo: [{ to: producer, maxDemand: 2 }] }),
          handleEvents: () => {
            throw new Error("bad event");
          },
        },
        undefined,
      );
      await assertReceive(self, { producerSaw: "down" });
      await settle();
      assert.equal(isAlive(crashing), false);
      assert.equal(isAlive(producer), true);
      assert.equal(crashes.length, 1);
      const consumer = await GenStage.start(
        forwarder(self.pid, [{ to: producer, maxDemand: 2, demand: "manual" }], {
          handleSubscribe: (_k, _o, from) => {
            GenStage.ask(from, 2);
            return undefined;
          },
        }),
        undefined,
      );
      await assertReceive(self, (m) => Array.isArray((m as { events?: unknown }).events));
      assert.equal(isAlive(consumer), true);
    }),
  );

  test(
    "GenStage.cancel from a permanent consumer: the producer forgets it, the consumer exits with the reason",
    withRuntime(async ({ self }) => {
      const producer = await GenStage.start(counter(), 0);
      const consumer = await GenStage.start(
        {
          init: () =>
            GenStage.consumer(null as unknown, {
              subscribeTo: [{ to: producer, maxDemand: 2, demand: "manual" }],
            }),
          handleSubscribe: (_k, _o, from) => from,
          handleEvents: (_events, _from, state) => state,
          handleCast: (_request, _arg, from) => {
            GenStage.cancel(from as never, "shutdown");
            return from;
          },
        },
        undefined,
      );
      const ref = self.monitor(consumer);
      GenStage.cast(consumer, "cancel");
      const down = await assertReceive(self, (m) => (m as { ref?: unknown }).ref === ref);
      assert.equal((down as { reason: unknown }).reason, "shutdown");
      assert.equal(isAlive(producer), true);
    }),
  );

  test(
    "stopping a consumer stage stops it normally; its producer lives on",
    withRuntime(async ({ self }) => {
      const producer = await GenStage.start(counter(), 0);
      const consumer = await GenStage.start(
        forwarder(self.pid, [{ to: producer, maxDemand: 2 }]),
        undefined,
      );
      await GenStage.stop(consumer);
      assert.equal(isAlive(producer), true);
    }),
  );
});

describe("bad input", () => {
  test(
    "maxDemand and minDemand are checked with exact messages",
    withRuntime(async () => {
      const producer = await GenStage.start(counter(), 0);
      const consumer = await GenStage.start(forwarder(spawn(() => undefined)), undefined);
      await assert.rejects(GenStage.syncSubscribe(consumer, { to: producer, maxDemand: 0 }), {
        code: "ERR_INVALID_ARGUMENT",
        message: "invalid value for `options.maxDemand`: expected a positive integer, got 0",
      });
      await assert.rejects(
        GenStage.syncSubscribe(consumer, { to: producer, maxDemand: 10, minDemand: 10 }),
        {
          code: "ERR_INVALID_ARGUMENT",
          message:
            "invalid value for `options.minDemand`: expected an integer from 0 to 9 (below maxDemand), got 10",
        },
      );
      await assert.rejects(
        GenStage.syncSubscribe(consumer, { to: producer, maxDemand: 10, minDemand: 20 }),
        {
          message:
            "invalid value for `options.minDemand`: expected an integer from 0 to 9 (below maxDemand), got 20",
        },
      );
      await assert.rejects(
        GenStage.syncSubscribe(consumer, { to: producer, cancel: "never" as never }),
        {
          message:
            'invalid value for `options.cancel`: expected one of "permanent", "transient", "temporary", got "never"',
        },
      );
    }),
  );

  test(
    "subscribing to a consumer or to a plain process fails with NotAProducerError",
    withRuntime(async () => {
      const consumer = await GenStage.start(forwarder(spawn(() => undefined)), undefined);
      const other = await GenStage.start(forwarder(spawn(() => undefined)), undefined);
      await assert.rejects(GenStage.syncSubscribe(consumer, { to: other }), (e: unknown) => {
        assert.ok(isBeamishError(e, "ERR_NOT_A_PRODUCER"));
        assert.equal(
          e.message,
          `cannot subscribe to ${other}: it is a consumer stage, not a producer`,
        );
        return true;
      });
      const plain = spawn((me) => me.receive());
      await assert.rejects(GenStage.syncSubscribe(consumer, { to: plain }), {
        code: "ERR_NOT_A_PRODUCER",
        message: `cannot subscribe to ${plain}: it is not a stage, not a producer`,
      });
      await assert.rejects(GenStage.syncSubscribe(consumer, { to: "nobody" }), {
        code: "ERR_NOPROC",
      });
      const producer = await GenStage.start(counter(), 0);
      await assert.rejects(GenStage.syncSubscribe(producer, { to: producer }), {
        code: "ERR_NOT_A_CONSUMER",
        message: `${producer} cannot subscribe to a producer: it is a producer stage, not a consumer`,
      });
    }),
  );

  test(
    "a stage whose init subscribes to a non-producer does not start",
    withRuntime(async () => {
      const other = await GenStage.start(forwarder(spawn(() => undefined)), undefined);
      await assert.rejects(
        GenStage.start(
          forwarder(
            spawn(() => undefined),
            [other],
          ),
          undefined,
        ),
        (e: unknown) => {
          assert.ok(isBeamishError(e, "ERR_START"));
          assert.ok(isBeamishError(e.reason, "ERR_NOT_A_PRODUCER"));
          return true;
        },
      );
      await assert.rejects(
        GenStage.start(
          forwarder(
            spawn(() => undefined),
            [{ to: other, maxDemand: -1 }],
          ),
          undefined,
        ),
        (e: unknown) => {
          assert.ok(isBeamishError(e, "ERR_START"));
          assert.equal(
            (e.reason as Error).message,
            "invalid value for `options.subscribeTo[0].maxDemand`: expected a positive integer, got -1",
          );
          return true;
        },
      );
    }),
  );

  test(
    "a consumer that emits events crashes with StageKindError; a producer without handleDemand does not start",
    withRuntime(async ({ crashes, settle }) => {
      const producer = await GenStage.start(counter(), 0);
      const consumer = await GenStage.start(
        {
          init: () =>
            GenStage.consumer(undefined, { subscribeTo: [{ to: producer, maxDemand: 2 }] }),
          handleEvents: (events, _from, state) => GenStage.emit(events, state) as never,
        },
        undefined,
      );
      await settle();
      assert.equal(isAlive(consumer), false);
      assert.ok(crashes.some((c) => isBeamishError(c.error, "ERR_STAGE_KIND")));
      await assert.rejects(
        GenStage.start({ init: () => GenStage.producer(0) }, undefined),
        (e: unknown) => {
          assert.ok(isBeamishError(e, "ERR_START"));
          assert.equal(
            (e.reason as Error).message,
            "invalid value for `definition.handleDemand`: expected a function (the stage is a producer), got undefined",
          );
          return true;
        },
      );
    }),
  );
});

describe("sends that meet in the consumer's mailbox", () => {
  /**
   * A producer that emits what each info names (`{ emit: [...] }`), and first sends `{ ping }`
   * straight to the consumer when the info carries one; the consumer forwards each batch and
   * each other message to the test, in the order it takes them.
   */
  async function start(
    self: { pid: Pid },
    subscription: Record<string, unknown>,
  ): Promise<{ producer: Pid; consumer: Pid }> {
    const producer = await GenStage.start(
      {
        init: () => GenStage.producer(null as Pid | null),
        handleDemand: (_demand, consumer: Pid | null) => consumer,
        handleInfo: (
          info: { consumer?: Pid; emit?: number[]; ping?: string },
          consumer: Pid | null,
        ) => {
          if (info.consumer !== undefined) return info.consumer;
          if (info.ping !== undefined && consumer !== null) send(consumer, { ping: info.ping });
          return GenStage.emit(info.emit ?? [], consumer);
        },
      },
      undefined,
    );
    const consumer = await GenStage.start(
      forwarder(self.pid, [{ to: producer, ...subscription }], {
        handleSubscribe: (_kind, _options, from) => {
          if (subscription.demand === "manual") GenStage.ask(from, 100);
          return undefined;
        },
        handleInfo: (message) => {
          send(self.pid, message);
          return undefined;
        },
      }),
      undefined,
    );
    send(producer, { consumer });
    return { producer, consumer };
  }

  test(
    "join into one batch, in order, up to the consumer's batch size (maxDemand - minDemand)",
    withRuntime(async ({ self, settle }) => {
      const { producer } = await start(self, { maxDemand: 10, minDemand: 5 });
      await settle();
      // One turn of the producer: five sends before the consumer runs.
      const first = [1, 2];
      send(producer, { emit: first });
      send(producer, { emit: [3] });
      send(producer, { emit: [4, 5] });
      send(producer, { emit: [6] });
      send(producer, { emit: [7, 8] });
      await assertReceive(self, { events: [1, 2, 3, 4, 5] });
      await assertReceive(self, { events: [6, 7, 8] });
      assert.deepEqual(first, [1, 2], "the emitted arrays are left as they were");
      await settle();
      await refuteReceive(self, () => true);
    }),
  );

  test(
    "do not join across another message from the producer: per-sender order holds",
    withRuntime(async ({ self, settle }) => {
      const { producer } = await start(self, { maxDemand: 10, minDemand: 0 });
      await settle();
      send(producer, { emit: [1, 2] });
      send(producer, { emit: [3], ping: "between" });
      send(producer, { emit: [4] });
      await assertReceive(self, { events: [1, 2] });
      await assertReceive(self, { ping: "between" });
      await assertReceive(self, { events: [3, 4] });
      await settle();
      await refuteReceive(self, () => true);
    }),
  );

  test(
    "do not join once the consumer took the first: each batch as it was handled",
    withRuntime(async ({ self, settle }) => {
      const { producer } = await start(self, { maxDemand: 10, minDemand: 0 });
      await settle();
      send(producer, { emit: [1, 2] });
      await assertReceive(self, { events: [1, 2] });
      send(producer, { emit: [3] });
      await assertReceive(self, { events: [3] });
    }),
  );

  test(
    "never join under manual demand: the consumer gets each send as it was made",
    withRuntime(async ({ self, settle }) => {
      const { producer } = await start(self, { maxDemand: 10, demand: "manual" });
      await settle();
      send(producer, { emit: [1, 2] });
      send(producer, { emit: [3] });
      await assertReceive(self, { events: [1, 2] });
      await assertReceive(self, { events: [3] });
      await settle();
      await refuteReceive(self, () => true);
    }),
  );
});
