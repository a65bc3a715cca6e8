/**
 * The producer's round trips that bring entries (a read, a recovery of this consumer's own
 * pending entries, a claim of idle ones) and what each sends back to its stage.
 */
import type { StreamClient, StreamEntry, StreamReader } from "./stream-client.js";

/** How an entry came: its delivery count is 1 for a fresh read, else the broker's. */
export type Origin = "delivered" | "claimed" | "recovered";

/** Where entries are read: the stream, the group and this instance's consumer name. */
export interface ReadTarget {
  readonly stream: string;
  readonly group: string;
  readonly consumer: string;
}

/**
 * A read or recovery came back. It is sent to the stage and kept in the stage's `unread`, so
 * that a drain can take it before the message arrives; `taken` makes sure only one of them does.
 */
export class Delivered {
  taken = false;
  constructor(
    readonly origin: Origin,
    readonly entries: readonly StreamEntry[],
    /** Each entry's delivery count; none: first deliveries. */
    readonly counts: readonly number[] | undefined,
    /** The recovery filled its batch: more of this consumer's pending entries may be waiting. */
    readonly more = false,
  ) {}
}

export class ReadFailed {
  constructor(readonly error: unknown) {}
}

/** A claim came back: the entries now this consumer's, and where the next claim starts. */
export class Claimed {
  taken = false;
  constructor(
    readonly cursor: string,
    readonly entries: readonly StreamEntry[],
    readonly counts: readonly number[],
    /** The claim filled its batch: more may be due at once. */
    readonly full: boolean,
  ) {}
}

export class ClaimFailed {
  constructor(readonly error: unknown) {}
}

/** XREADGROUP `>`: entries never delivered to the group, first deliveries. */
export async function readNew(
  reader: StreamReader,
  target: ReadTarget,
  count: number,
  block: number,
): Promise<Delivered> {
  const entries = await reader.read(target.stream, target.group, target.consumer, count, block);
  return new Delivered("delivered", entries, undefined);
}

/**
 * This consumer's pending entries that no stage of this instance `held`, claimed back (XPENDING,
 * XCLAIM): those a read delivered but whose reply a drop lost, or a stopped stage's.
 */
export async function recoverOwn(
  client: StreamClient,
  { stream, group, consumer }: ReadTarget,
  held: ReadonlySet<string>,
  count: number,
): Promise<Delivered> {
  const pending = await client.pending(stream, group, count + held.size, consumer);
  const lost = pending.filter((p) => !held.has(p.id)).slice(0, count);
  if (lost.length === 0) return new Delivered("recovered", [], undefined);
  // At most as idle as the least idle of them: one another instance claimed meanwhile (its
  // idle time reset) is left to it.
  const minIdle = Math.min(...lost.map((p) => p.idle));
  const counts = new Map(lost.map((p) => [p.id, p.deliveryCount + 1]));
  const entries = await client.claim(
    stream,
    group,
    consumer,
    minIdle,
    lost.map((p) => p.id),
  );
  const deliveryCounts = entries.map((entry) => counts.get(entry.id) ?? 1);
  return new Delivered("recovered", entries, deliveryCounts, lost.length === count);
}

/**
 * The group's entries idle longer than `minIdle`, whoever held them, claimed (XAUTOCLAIM), with
 * their delivery counts (XPENDING of each, pipelined). Never rejects: a failure is a
 * {@link ClaimFailed}.
 */
export async function claimIdle(
  client: StreamClient,
  { stream, group, consumer }: ReadTarget,
  held: ReadonlySet<string>,
  options: { readonly minIdle: number; readonly cursor: string; readonly count: number },
): Promise<Claimed | ClaimFailed> {
  try {
    const { minIdle, cursor, count } = options;
    const claimed = await client.autoClaim(stream, group, consumer, minIdle, cursor, count);
    // Entries this instance is handling: claimed again (their idle time reset), not re-emitted.
    const fresh = claimed.entries.filter((entry) => !held.has(entry.id));
    const states = await Promise.all(
      fresh.map((entry) => client.pendingEntry(stream, group, entry.id)),
    );
    const entries: StreamEntry[] = [];
    const counts: number[] = [];
    fresh.forEach((entry, i) => {
      const pending = states[i];
      // No longer ours: acknowledged by its late first owner, or claimed by another instance.
      if (pending === undefined || pending.consumer !== consumer) return;
      entries.push(entry);
      counts.push(pending.deliveryCount);
    });
    const full = claimed.entries.length + claimed.deleted >= count;
    return new Claimed(claimed.cursor, entries, counts, full);
  } catch (error) {
    return new ClaimFailed(error);
  }
}
