/**
 * XREADGROUP's reply as node-redis's `sendCommand` leaves it, without the command's reply
 * transform, turned straight into entries. The transform builds an object per entry by
 * destructuring and spreading, then a copy of the reply's shape around it: on the read path of
 * every message, that was a tenth of the producer's CPU time (broker-redis).
 */
import type { StreamEntry } from "./stream-client.js";

/** One entry as Redis sends it: its id and its fields and values in turn (none if deleted). */
type RawEntry = readonly [id: string, pairs: readonly string[] | null];

/**
 * The entries of a one-stream XREADGROUP reply with node-redis's default type mapping (strings):
 * `null` when BLOCK timed out; under RESP2 `[[stream, entries]]`; under RESP3 (node-redis's
 * default) a map, an object `{ [stream]: entries }`. An entry without fields (deleted, which
 * only a read of pending history can return) comes with none, rather than being left pending
 * and never handled.
 */
export function entriesOfRead(reply: unknown): StreamEntry[] {
  if (reply === null || typeof reply !== "object") return [];
  const raw = streamEntries(reply);
  if (raw === undefined) return [];
  const entries = new Array<StreamEntry>(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const [id, pairs] = raw[i] as RawEntry;
    const message: Record<string, string> = {};
    if (pairs !== null) {
      for (let j = 0; j < pairs.length; j += 2) {
        message[pairs[j] as string] = pairs[j + 1] as string;
      }
    }
    entries[i] = { id, message };
  }
  return entries;
}

/** The entries of the only stream in the reply (its name may carry the client's key prefix). */
function streamEntries(reply: object): readonly RawEntry[] | undefined {
  if (Array.isArray(reply)) return (reply[0] as [unknown, RawEntry[]] | undefined)?.[1];
  for (const name in reply) return (reply as Record<string, RawEntry[]>)[name];
  return undefined;
}
