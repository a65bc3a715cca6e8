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

// A tag's state in the ring: OPEN (still in the pipeline), SENT (its own frame went out), or
// held, as its kind's code + 1 (1 ack, 2 requeue, 3 reject).
const OPEN = 0;
const SENT = 4;

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
  /** The highest tag handed to `settle`: every tag above it is open. */
  private top = 0;
  /**
   * The state of the tags above `floor`, at `tag & mask`. Tags arrive in a window a little wider
   * than the prefetch, so a ring over them (grown when a slow tag holds the floor back) costs
   * no hashing and no allocation per tag; every slot at or below the floor is OPEN.
   */
  private states = new Uint8Array(256);
  private mask = 255;
  /** Done tags whose frame is not sent yet. */
  private held = 0;
  /** No tag below it is held: `flush` starts there, so a floor held back is not rescanned. */
  private lowestHeld = 1;
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
    return this.held;
  }

  /**
   * Settles the tags in `codes` (from `encode`), sending the frames that can go now. A tag
   * settled (or held) already is skipped: a second frame for it would close the channel.
   */
  settle(codes: readonly number[], send: SendFrame): void {
    for (let i = 0; i < codes.length; i++) {
      const code = codes[i] as number;
      const tag = Math.floor(code / 4);
      if (tag <= this.floor) continue;
      if (tag - this.floor > this.mask) this.grow(tag);
      const slot = tag & this.mask;
      if (this.states[slot] !== OPEN) continue;
      this.states[slot] = (code % 4) + 1;
      this.held++;
      this.accepted++;
      if (tag > this.top) this.top = tag;
      if (tag < this.lowestHeld) this.lowestHeld = tag;
    }
    this.release(send);
    if (this.held > this.maxHeld) this.flush(send);
  }

  /** Sends every held tag now, one frame each past the runs that can go together. */
  flush(send: SendFrame): void {
    this.release(send);
    const states = this.states;
    const from = Math.max(this.floor + 1, this.lowestHeld);
    this.lowestHeld = this.top + 1;
    for (let tag = from; this.held > 0 && tag <= this.top; tag++) {
      const slot = tag & this.mask;
      const state = states[slot] as number;
      if (state === OPEN || state === SENT) continue;
      states[slot] = SENT;
      this.held--;
      send(KINDS[state - 1] as Disposition, tag, false, 1);
      this.settled++;
    }
  }

  /** Sends the runs that start at the floor: one frame per run of one disposition. */
  private release(send: SendFrame): void {
    const states = this.states;
    const mask = this.mask;
    let next = this.floor + 1;
    let state = states[next & mask] as number;
    while (state !== OPEN && state !== SENT) {
      const kind = state;
      let count = 0;
      let last = next;
      // The run goes on over tags sent before: a multiple frame covers only unsettled ones.
      while (state === kind || state === SENT) {
        states[next & mask] = OPEN;
        if (state === kind) {
          count++;
          last = next;
        }
        next++;
        state = states[next & mask] as number;
      }
      this.floor = next - 1;
      this.held -= count;
      send(KINDS[kind - 1] as Disposition, last, count > 1, count);
      this.settled += count;
    }
    // Tags sent before, now at the floor, are settled too.
    while (state === SENT) {
      states[next & mask] = OPEN;
      this.floor = next;
      next++;
      state = states[next & mask] as number;
    }
  }

  /** Makes room for `tag`: the ring doubles until it spans from the floor to it. */
  private grow(tag: number): void {
    let size = this.states.length * 2;
    while (size <= tag - this.floor) size *= 2;
    const states = new Uint8Array(size);
    for (let t = this.floor + 1; t <= this.top; t++) {
      states[t & (size - 1)] = this.states[t & this.mask] as number;
    }
    this.states = states;
    this.mask = size - 1;
  }
}
