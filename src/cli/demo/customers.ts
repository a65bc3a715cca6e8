/**
 * The enrichment step's data source: a customer directory behind a cache. Fetching misses waits
 * about a millisecond, as a call to another service would, however many customers it asks for;
 * a cached customer answers at once, without a promise.
 */
import { setTimeout as sleep } from "node:timers/promises";

/** What the shop knows about a customer. */
export interface Customer {
  readonly tier: "gold" | "silver" | "basic";
  readonly region: "eu" | "us" | "apac";
}

const tiers = ["gold", "silver", "basic", "basic", "basic"] as const;
const regions = ["eu", "us", "apac"] as const;

/** A stable made-up profile from the id. */
function profile(id: string): Customer {
  let h = 0;
  for (let i = 0; i < id.length; i++) h = (Math.imul(h, 31) + id.charCodeAt(i)) | 0;
  h >>>= 0;
  return {
    tier: tiers[h % tiers.length] as Customer["tier"],
    region: regions[h % 3] as Customer["region"],
  };
}

/**
 * @example
 * ```ts
 * const directory = new CustomerDirectory(1);
 * if (!directory.has("c00042")) await directory.fetchMany(["c00042"]);
 * directory.get("c00042"); // { tier: "basic", region: "us" }
 * ```
 */
export class CustomerDirectory {
  private readonly cache = new Map<string, Customer>();
  /** Customers fetched. */
  misses = 0;
  /** Round trips to the directory: one per `fetchMany`. */
  lookups = 0;

  constructor(private readonly delayMs: number) {}

  has(id: string): boolean {
    return this.cache.has(id);
  }

  /** The cached profile, or undefined when it was never fetched. */
  get(id: string): Customer | undefined {
    return this.cache.get(id);
  }

  /** The slow path: one round trip of about `delayMs` for all of `ids`, then cached. */
  async fetchMany(ids: ReadonlySet<string>): Promise<void> {
    this.lookups++;
    this.misses += ids.size;
    await sleep(this.delayMs);
    for (const id of ids) this.cache.set(id, profile(id));
  }
}
