/**
 * The frames that settle delivery tags: `multiple` only from the lowest unsettled tag over done
 * tags; past a gap, done tags held back (at most `maxHeld`) until one frame can take them, or a
 * frame each; each tag settled once. Checked against a model of the broker on random groups.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import fc from "fast-check";
import { type Disposition, TagWindow } from "../../src/connectors/rabbitmq/tag-window.js";

interface Sent {
  readonly kind: Disposition;
  readonly tag: number;
  readonly multiple: boolean;
}

function settle(window: TagWindow, group: ReadonlyArray<readonly [number, Disposition]>): Sent[] {
  const sent: Sent[] = [];
  const codes = group.map(([tag, kind]) => TagWindow.encode(tag, kind));
  window.settle(codes, (kind, tag, multiple) => sent.push({ kind, tag, multiple }));
  return sent;
}

function flush(window: TagWindow): Sent[] {
  const sent: Sent[] = [];
  window.flush((kind, tag, multiple) => sent.push({ kind, tag, multiple }));
  return sent;
}

function holding(maxHeld: number): TagWindow {
  const window = new TagWindow();
  window.maxHeld = maxHeld;
  return window;
}

interface Limits {
  readonly maxTags: number;
  readonly minTags?: number;
  readonly maxGroup: number;
  readonly maxHeld: number;
  readonly numRuns: number;
}

/** Random groups of done tags, settled in turn: a model of the broker checks every frame. */
function checkAgainstBroker(limits: Limits): void {
  const scenario = fc.integer({ min: limits.minTags ?? 1, max: limits.maxTags }).chain((n) =>
    fc.tuple(
      fc.constant(n),
      fc.shuffledSubarray(
        Array.from({ length: n }, (_, i) => i + 1),
        { minLength: n, maxLength: n },
      ),
      fc.array(fc.constantFrom<Disposition>("ack", "ack", "ack", "requeue", "reject"), {
        minLength: n,
        maxLength: n,
      }),
      fc.array(fc.integer({ min: 1, max: limits.maxGroup }), { minLength: 1, maxLength: 20 }),
      fc.integer({ min: 0, max: limits.maxHeld }),
    ),
  );
  fc.assert(
    fc.property(scenario, ([n, order, kinds, sizes, maxHeld]) => {
      const window = holding(maxHeld);
      // The broker's view: what each tag became; a frame on an unsettled tag only.
      const outcome = new Map<number, Disposition>();
      const done = new Set<number>();
      const apply = (frames: Sent[]) => {
        for (const frame of frames) {
          assert.ok(!outcome.has(frame.tag), `tag ${frame.tag} settled twice`);
          const covered = frame.multiple
            ? Array.from({ length: frame.tag }, (_, i) => i + 1).filter((t) => !outcome.has(t))
            : [frame.tag];
          for (const tag of covered) {
            assert.ok(done.has(tag), `frame ${JSON.stringify(frame)} settles ${tag}, not done`);
            assert.equal(frame.kind, kinds[tag - 1], `tag ${tag} as asked`);
            outcome.set(tag, frame.kind);
          }
        }
      };
      let at = 0;
      let s = 0;
      while (at < n) {
        const size = sizes[s++ % sizes.length] as number;
        const group = order.slice(at, at + size).map((tag) => [tag, kinds[tag - 1]] as const);
        at += size;
        for (const [tag] of group) done.add(tag);
        apply(settle(window, group));
        assert.ok(window.holding <= maxHeld, "never more held than maxHeld");
        assert.equal(window.holding + outcome.size, done.size, "each done tag sent or held");
      }
      // Every tag done: nothing is left to wait for.
      assert.equal(window.holding, 0);
      apply(flush(window));
      assert.equal(outcome.size, n);
      assert.equal(window.settled, n);
      assert.equal(window.accepted, n);
    }),
    { numRuns: limits.numRuns },
  );
}

describe("TagWindow", () => {
  test("a contiguous group of acks from the start is one multiple ack", () => {
    const window = new TagWindow();
    assert.deepEqual(
      settle(window, [
        [3, "ack"],
        [1, "ack"],
        [2, "ack"],
      ]),
      [{ kind: "ack", tag: 3, multiple: true }],
    );
    assert.equal(window.settled, 3);
  });

  test("without holding, past a gap (a tag still in the pipeline) each tag has its own frame", () => {
    const window = new TagWindow();
    assert.deepEqual(
      settle(window, [
        [1, "ack"],
        [2, "ack"],
        [4, "ack"],
        [5, "ack"],
      ]),
      [
        { kind: "ack", tag: 2, multiple: true },
        { kind: "ack", tag: 4, multiple: false },
        { kind: "ack", tag: 5, multiple: false },
      ],
    );
    // Tag 3 arrives: the floor moves over 4 and 5, settled before.
    assert.deepEqual(settle(window, [[3, "requeue"]]), [
      { kind: "requeue", tag: 3, multiple: false },
    ]);
    assert.deepEqual(settle(window, [[6, "ack"]]), [{ kind: "ack", tag: 6, multiple: false }]);
  });

  test("a run changes frames where the disposition changes", () => {
    const window = new TagWindow();
    assert.deepEqual(
      settle(window, [
        [1, "ack"],
        [2, "ack"],
        [3, "reject"],
        [4, "reject"],
        [5, "ack"],
      ]),
      [
        { kind: "ack", tag: 2, multiple: true },
        { kind: "reject", tag: 4, multiple: true },
        { kind: "ack", tag: 5, multiple: false },
      ],
    );
  });

  test("a multiple frame may cover tags settled before, never a tag outside the group", () => {
    const window = new TagWindow();
    settle(window, [[2, "ack"]]);
    assert.deepEqual(
      settle(window, [
        [1, "ack"],
        [3, "ack"],
      ]),
      [{ kind: "ack", tag: 3, multiple: true }],
    );
  });

  test("holding: done tags past a gap wait, and go with the gap's tag in one frame", () => {
    const window = holding(8);
    assert.deepEqual(
      settle(window, [
        [1, "ack"],
        [2, "ack"],
        [4, "ack"],
        [5, "ack"],
      ]),
      [{ kind: "ack", tag: 2, multiple: true }],
    );
    assert.equal(window.holding, 2);
    assert.equal(window.settled, 2);
    assert.equal(window.accepted, 4);
    assert.deepEqual(settle(window, [[3, "ack"]]), [{ kind: "ack", tag: 5, multiple: true }]);
    assert.equal(window.holding, 0);
    assert.equal(window.settled, 5);
  });

  test("holding: a held run of another disposition goes in a frame of its own", () => {
    const window = holding(8);
    settle(window, [
      [2, "requeue"],
      [3, "ack"],
    ]);
    assert.deepEqual(settle(window, [[1, "requeue"]]), [
      { kind: "requeue", tag: 2, multiple: true },
      { kind: "ack", tag: 3, multiple: false },
    ]);
  });

  test("holding: past maxHeld, or on flush, held tags go one frame each", () => {
    const window = holding(2);
    assert.deepEqual(
      settle(window, [
        [2, "ack"],
        [3, "ack"],
      ]),
      [],
    );
    assert.deepEqual(settle(window, [[5, "reject"]]), [
      { kind: "ack", tag: 2, multiple: false },
      { kind: "ack", tag: 3, multiple: false },
      { kind: "reject", tag: 5, multiple: false },
    ]);
    settle(window, [[6, "ack"]]);
    assert.deepEqual(flush(window), [{ kind: "ack", tag: 6, multiple: false }]);
    // Tag 1 arrives: the floor moves over everything sent before.
    assert.deepEqual(settle(window, [[1, "ack"]]), [{ kind: "ack", tag: 1, multiple: false }]);
    assert.deepEqual(settle(window, [[4, "ack"]]), [{ kind: "ack", tag: 4, multiple: false }]);
    assert.equal(window.settled, 6);
  });

  test("a tag settled already is skipped, not sent twice", () => {
    const window = new TagWindow();
    settle(window, [[1, "ack"]]);
    assert.deepEqual(settle(window, [[1, "ack"]]), []);
    assert.equal(window.settled, 1);
  });

  test("property: the broker, told these frames, settles exactly the done tags, each once, as asked", () => {
    checkAgainstBroker({ maxTags: 60, maxGroup: 8, maxHeld: 6, numRuns: 400 });
  });

  test("property: the same when a late tag holds the floor back past the ring's first size (256)", () => {
    checkAgainstBroker({ maxTags: 1200, minTags: 300, maxGroup: 64, maxHeld: 400, numRuns: 40 });
  });

  test("a tag held open for thousands of deliveries: the rest wait, then go in one frame", () => {
    const window = holding(10_000);
    const rest = Array.from({ length: 4999 }, (_, i) => [i + 2, "ack"] as const);
    assert.deepEqual(settle(window, rest), []);
    assert.equal(window.holding, 4999);
    assert.deepEqual(settle(window, [[1, "ack"]]), [{ kind: "ack", tag: 5000, multiple: true }]);
    assert.deepEqual(settle(window, [[5001, "reject"]]), [
      { kind: "reject", tag: 5001, multiple: false },
    ]);
    assert.equal(window.settled, 5001);
  });
});
