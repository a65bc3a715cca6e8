/**
 * @internal Which delivery tags of one channel are settled, and the fewest frames that settle
 * more. A `multiple` ack (or nack) settles every unsettled tag up to its own, so it can only run
 * from the lowest unsettled tag over tags that are all done. A done tag past a gap (a delivery
 * still in the pipeline, usually in the other processor's chunk) is held back rather than sent
 * alone: when the gap closes, one frame settles it with the rest. At most `maxHeld` wait so, so
 * that a slow message never holds more than that part of the prefetch window; past it, the
 * held tags go out one frame each.
 */

/** What becomes of a delivery: acknowledged, requeued, or rejected without requeue. */
export type Disposition = "ack" | "requeue" | "reject";

const KINDS: readonly Disposition[] = ["ack", "requeue", "reject"];
const CODE: Readonly<Record<Disposition, number>> = { ack: 0, requeue: 1, reject: 2 };

/** Where `settle` sends each frame; `count` is how many deliveries it settles. */
export type SendFrame = (
  kind: Disposition,
  deliveryTag: number,
  multiple: boolean,
  count: number,
) => void;

export class TagWindow {
  /** Every tag up to it is settled with the broker. Tags start at 1 on each channel. */
  private floor = 0;
  /** Tags above `floor` settled with the broker (a frame of their own). */
  private readonly ahead = new Set<number>();
  /** Tags above `floor` done in the pipeline, their frame not sent yet: tag to kind code. */
  private readonly held = new Map<number, number>();
  /** Tags handed to `settle` so far (each once). */
  accepted = 0;
  /** Tags settled with the broker so far: their frame was sent. */
  settled = 0;
  /** How many done tags may wait for a gap to close; 0 sends every frame at once. */
  maxHeld = 0;

  /** Encodes a tag with its disposition, so that sorting the codes sorts by tag. */
  static encode(deliveryTag: number, kind: Disposition): number {
    return deliveryTag * 4 + CODE[kind];
  }

  /** Done in the pipeline, not settled with the broker yet. */
  get holding(): number {
    return this.held.size;
  }

  /**
   * Settles the tags in `codes` (from `encode`), sending the frames that can go now. A tag
   * settled (or held) already is skipped: a second frame for it would close the channel.
   */
  settle(codes: readonly number[], send: SendFrame): void {
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i] as number;
      const tag = Math.floor(code / 4);
      if (tag <= this.floor || this.ahead.has(tag) || this.held.has(tag)) continue;
      this.held.set(tag, code % 4);
      this.accepted++;
    }
    this.release(send);
    if (this.held.size > this.maxHeld) this.flush(send);
  }

  /** Sends every held tag now, one frame each past the runs that can go together. */
  flush(send: SendFrame): void {
    this.release(send);
    if (this.held.size === 0) return;
    const tags = [...this.held.keys()].sort((a, b) => a - b);
    for (const tag of tags) {
      const kind = this.held.get(tag) as number;
      this.held.delete(tag);
      this.ahead.add(tag);
      send(KINDS[kind] as Disposition, tag, false, 1);
      this.settled++;
    }
  }

  /** Sends the runs that start at the floor: one frame per run of one disposition. */
  private release(send: SendFrame): void {
    let next = this.floor + 1;
    while (this.held.has(next)) {
      const kind = this.held.get(next) as number;
      let last = next;
      let count = 0;
      while (this.held.get(next) === kind) {
        this.held.delete(next);
        last = next;
        count++;
        this.floor = next;
        next++;
        while (this.ahead.delete(next)) {
          this.floor = next;
          next++;
        }
      }
      send(KINDS[kind] as Disposition, last, count > 1, count);
      this.settled += count;
    }
  }
}
