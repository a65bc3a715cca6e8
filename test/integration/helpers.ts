// What the broker integration tests share: waiting on real time, and counting deliveries.
import assert from "node:assert/strict";

/** Waits, in real time, until `condition` holds; fails after `ms`. */
export async function until(
  condition: () => boolean | Promise<boolean>,
  ms = 15_000,
  what = "condition",
): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) assert.fail(`${what} not reached within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Counts how many times each id reached a successful `handleBatch`. */
export class Ledger {
  readonly counts = new Map<number, number>();
  add(id: number): void {
    this.counts.set(id, (this.counts.get(id) ?? 0) + 1);
  }
  get unique(): number {
    return this.counts.size;
  }
  get duplicates(): number {
    let extra = 0;
    for (const n of this.counts.values()) extra += n - 1;
    return extra;
  }
}
