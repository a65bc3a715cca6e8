/**
 * The demo's data: web-shop events as NDJSON lines, a generator that writes a file of them (with
 * a small, counted share of malformed lines), and the validation `handleMessage` runs.
 */
import { once } from "node:events";
import { createWriteStream } from "node:fs";

/** What a shopper did. */
export type EventKind = "view" | "cart" | "order";

/** One valid event, as `validateEvent` returns it. */
export interface ShopEvent {
  readonly id: number;
  readonly kind: EventKind;
  readonly customer: string;
  /** The customer's own event counter: 1, 2, 3, ... in the order the shop saw them. */
  readonly seq: number;
  readonly sku: string;
  readonly qty: number;
  /** Cents. */
  readonly price: number;
}

/** A line that parsed but is not an event; the message fails with it. */
export class InvalidEventError extends Error {
  constructor(
    readonly field: string,
    readonly value: unknown,
  ) {
    super(`invalid event: \`${field}\` is ${JSON.stringify(value) ?? "missing"}`);
    this.name = "InvalidEventError";
  }
}

const kinds: ReadonlySet<unknown> = new Set<EventKind>(["view", "cart", "order"]);

const isCount = (v: unknown): v is number => typeof v === "number" && Number.isInteger(v) && v > 0;

/**
 * Checks that `data` (a parsed line) is a `ShopEvent`; throws `InvalidEventError` naming the
 * first bad field.
 */
export function validateEvent(data: unknown): ShopEvent {
  if (typeof data !== "object" || data === null) throw new InvalidEventError("event", data);
  const e = data as Record<string, unknown>;
  if (!kinds.has(e.kind)) throw new InvalidEventError("kind", e.kind);
  if (typeof e.customer !== "string" || e.customer === "") {
    throw new InvalidEventError("customer", e.customer);
  }
  if (!isCount(e.seq)) throw new InvalidEventError("seq", e.seq);
  if (!isCount(e.qty)) throw new InvalidEventError("qty", e.qty);
  if (typeof e.price !== "number" || !(e.price >= 0)) throw new InvalidEventError("price", e.price);
  return data as ShopEvent;
}

/** The customer of a parsed line, when it has one: the key of per-customer order. */
export function customerOf(data: unknown): string | undefined {
  const customer = (data as { customer?: unknown } | undefined)?.customer;
  return typeof customer === "string" ? customer : undefined;
}

/** What `generateEvents` wrote. */
export interface Generated {
  readonly path: string;
  readonly events: number;
  /** Lines that will fail: not JSON, or JSON that is not an event. */
  readonly malformed: number;
  readonly customers: number;
  readonly bytes: number;
}

/** Options of `generateEvents`. */
export interface GenerateOptions {
  readonly events: number;
  /** Distinct customers to draw from; a few are far busier than the rest, as in a real shop. */
  readonly customers: number;
  /** One line in this many is malformed. */
  readonly malformedEvery: number;
  readonly seed: number;
  /** Called now and then with the lines written so far. */
  readonly onProgress?: (written: number) => void;
}

/** A small, seeded PRNG (mulberry32): the same seed writes the same file. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const chunkLines = 4096;

/**
 * Writes `options.events` NDJSON lines to `path` through a write stream (keeping to its
 * back-pressure). About 80% views, 15% carts, 5% orders; one line in `malformedEvery` is cut
 * short (not JSON) or carries a bad field (JSON, not an event).
 */
export async function generateEvents(path: string, options: GenerateOptions): Promise<Generated> {
  const next = random(options.seed);
  const seqs = new Int32Array(options.customers);
  const customerIds = Array.from(
    { length: options.customers },
    (_, n) => `c${String(n).padStart(5, "0")}`,
  );
  const skus = Array.from({ length: 5000 }, (_, n) => `sku-${String(n).padStart(4, "0")}`);
  const out = createWriteStream(path);
  const failed = once(out, "error").then(([error]) => {
    throw error;
  });
  let malformed = 0;
  let bytes = 0;
  let chunk: string[] = [];
  for (let id = 1; id <= options.events; id++) {
    // Squaring a uniform draw favours low numbers: customer 0 is the busiest.
    const r = next();
    const n = Math.floor(r * r * options.customers);
    seqs[n] = (seqs[n] as number) + 1;
    const customer = customerIds[n] as string;
    const roll = next();
    const kind: EventKind = roll < 0.05 ? "order" : roll < 0.2 ? "cart" : "view";
    const sku = skus[Math.floor(next() * skus.length)] as string;
    const qty = kind === "view" ? 1 : 1 + Math.floor(next() * 3);
    const price = 199 + Math.floor(next() * 20000);
    let line = `{"id":${id},"kind":"${kind}","customer":"${customer}","seq":${seqs[n]},"sku":"${sku}","qty":${qty},"price":${price}}`;
    if (id % options.malformedEvery === 0) {
      malformed++;
      line =
        id % (options.malformedEvery * 2) === 0
          ? line.slice(0, line.length >> 1)
          : line.replace(/"qty":\d+/, '"qty":-1');
    }
    chunk.push(line);
    if (chunk.length === chunkLines || id === options.events) {
      const text = `${chunk.join("\n")}\n`;
      bytes += Buffer.byteLength(text);
      chunk = [];
      if (!out.write(text)) await Promise.race([once(out, "drain"), failed]);
      options.onProgress?.(id);
    }
  }
  out.end();
  await Promise.race([once(out, "finish"), failed]);
  return { path, events: options.events, malformed, customers: options.customers, bytes };
}
