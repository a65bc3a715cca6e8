/**
 * The frames that settle delivery tags: `multiple` only from the lowest unsettled tag over
 * tags of the group (or settled before), a frame per tag past the first gap, each tag settled
 * once; checked against a model of the broker's semantics on random groups.
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

  test("past a gap (a tag still in the pipeline) each tag has its own frame", () => {
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

  test("a tag settled already is skipped, not sent twice", () => {
    const window = new TagWindow();
    settle(window, [[1, "ack"]]);
    assert.deepEqual(settle(window, [[1, "ack"]]), []);
    assert.equal(window.settled, 1);
  });

  test("property: the broker, told these frames, settles exactly the groups' tags, each once, as asked", () => {
    const scenario = fc.integer({ min: 1, max: 60 }).chain((n) =>
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
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 20 }),
      ),
    );
    fc.assert(
      fc.property(scenario, ([n, order, kinds, sizes]) => {
        const window = new TagWindow();
        // The broker's view: what each tag became; a frame on an unsettled tag only.
        const outcome = new Map<number, Disposition>();
        let at = 0;
        let s = 0;
        while (at < n) {
          const size = sizes[s++ % sizes.length] as number;
          const group = order.slice(at, at + size).map((tag) => [tag, kinds[tag - 1]] as const);
          at += size;
          const inGroup = new Set(group.map(([tag]) => tag));
          for (const frame of settle(window, group)) {
            assert.ok(!outcome.has(frame.tag), `tag ${frame.tag} settled twice`);
            const covered = frame.multiple
              ? Array.from({ length: frame.tag }, (_, i) => i + 1).filter((t) => !outcome.has(t))
              : [frame.tag];
            for (const tag of covered) {
              assert.ok(inGroup.has(tag), `frame ${JSON.stringify(frame)} settles ${tag}`);
              assert.equal(frame.kind, kinds[tag - 1], `tag ${tag} as asked`);
              outcome.set(tag, frame.kind);
            }
          }
          for (const tag of inGroup) assert.ok(outcome.has(tag), `tag ${tag} settled`);
        }
        assert.equal(outcome.size, n);
        assert.equal(window.settled, n);
      }),
      { numRuns: 300 },
    );
  });
});
