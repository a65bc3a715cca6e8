/**
 * @internal Which delivery tags of one channel are settled, and the fewest frames that settle
 * more. A `multiple` ack (or nack) settles every unsettled tag up to its own, so it is only safe
 * from the lowest unsettled tag on, over tags that are all in the group or settled already;
 * past the first gap each tag needs a frame of its own.
 */

/** What becomes of a delivery: acknowledged, requeued, or rejected without requeue. */
export type Disposition = "ack" | "requeue" | "reject";

const KINDS: readonly Disposition[] = ["ack", "requeue", "reject"];
const CODE: Readonly<Record<Disposition, number>> = { ack: 0, requeue: 1, reject: 2 };

/** Where `settle` sends each frame. */
export type SendFrame = (kind: Disposition, deliveryTag: number, multiple: boolean) => void;

export class TagWindow {
  /** Every tag up to it is settled. Tags start at 1 on each channel. */
  private floor = 0;
  /** Settled tags above `floor`. */
  private readonly ahead = new Set<number>();
  /** Tags settled so far. */
  settled = 0;

  /** Encodes a tag with its disposition, so that sorting the codes sorts by tag. */
  static encode(deliveryTag: number, kind: Disposition): number {
    return deliveryTag * 4 + CODE[kind];
  }

  /**
   * Settles the tags in `codes` (from `encode`; sorted here, in place), sending the frames that
   * do it. A tag settled already is skipped: a second frame for it would close the channel.
   */
  settle(codes: number[], send: SendFrame): void {
    const n = codes.length;
    if (!isSorted(codes)) codes.sort((a, b) => a - b);
    let i = 0;
    while (i < n) {
      const code = codes[i] as number;
      const tag = Math.floor(code / 4);
      if (this.isSettled(tag)) {
        i++;
        continue;
      }
      if (tag !== this.floor + 1) break;
      const kind = code % 4;
      let last = tag;
      let j = i + 1;
      this.advance(tag);
      while (j < n) {
        const next = codes[j] as number;
        const nextTag = Math.floor(next / 4);
        if (next % 4 !== kind || nextTag !== this.floor + 1) break;
        last = nextTag;
        this.advance(nextTag);
        j++;
      }
      this.settled += j - i;
      send(KINDS[kind] as Disposition, last, j - i > 1);
      i = j;
    }
    for (; i < n; i++) {
      const code = codes[i] as number;
      const tag = Math.floor(code / 4);
      if (this.isSettled(tag)) continue;
      this.ahead.add(tag);
      this.settled++;
      send(KINDS[code % 4] as Disposition, tag, false);
    }
  }

  private isSettled(tag: number): boolean {
    return tag <= this.floor || this.ahead.has(tag);
  }

  /** `tag` is `floor + 1` and now settled: moves the floor over it and the settled tags after it. */
  private advance(tag: number): void {
    this.floor = tag;
    if (this.ahead.size === 0) return;
    while (this.ahead.delete(this.floor + 1)) this.floor++;
  }
}

function isSorted(codes: readonly number[]): boolean {
  for (let i = 1; i < codes.length; i++) {
    if ((codes[i - 1] as number) > (codes[i] as number)) return false;
  }
  return true;
}
