/**
 * The little of Redis Streams the producer needs, as an interface: the real client implements
 * it in `node-redis.ts`, unit tests with an in-memory fake. Every method is one command (or one
 * MULTI), so that the producer's logic can be read and tested without a server.
 */

/**
 * One stream entry: its id and its field-value pairs, in node-redis's shape so that replies pass
 * through without a copy.
 */
export interface StreamEntry {
  readonly id: string;
  readonly message: Readonly<Record<string, string>>;
}

/** One entry of a group's pending entries list (XPENDING's extended form). */
export interface PendingEntry {
  readonly id: string;
  readonly consumer: string;
  /** Milliseconds since it was last delivered. */
  readonly idle: number;
  /** How many times it was delivered, this delivery included. */
  readonly deliveryCount: number;
}

/** What one XAUTOCLAIM returns. */
export interface AutoClaimed {
  /** Where the next XAUTOCLAIM starts; `"0-0"` once the whole pending list was scanned. */
  readonly cursor: string;
  readonly entries: readonly StreamEntry[];
  /** Pending ids whose entries were deleted from the stream (Redis drops them from the list). */
  readonly deleted: number;
}

/** An entry to move to a dead-letter stream, with the fields it is written with. */
export interface DeadLetter {
  readonly id: string;
  readonly fields: Readonly<Record<string, string>>;
}

/**
 * A connection for blocking reads. XREADGROUP with BLOCK occupies its connection until it
 * returns, so each producer stage reads on a connection of its own and acknowledges on the
 * shared one.
 */
export interface StreamReader {
  /** XREADGROUP GROUP group consumer COUNT count BLOCK block STREAMS stream `>`. */
  read(
    stream: string,
    group: string,
    consumer: string,
    count: number,
    block: number,
  ): Promise<StreamEntry[]>;
  /** Closes the connection at once; a read in flight rejects. */
  close(): void;
}

/** The shared connection of one producer: group management, claims and acknowledgements. */
export interface StreamClient {
  /** XGROUP CREATE stream group startId MKSTREAM; resolves as well when the group exists. */
  createGroup(stream: string, group: string, startId: string): Promise<void>;
  /** Opens a reader named `name` (its CLIENT SETNAME). */
  openReader(name: string): Promise<StreamReader>;
  /** XPENDING stream group - + count [consumer]. */
  pending(stream: string, group: string, count: number, consumer?: string): Promise<PendingEntry[]>;
  /** XPENDING stream group id id 1: one entry's pending state, if it is still pending. */
  pendingEntry(stream: string, group: string, id: string): Promise<PendingEntry | undefined>;
  /** XCLAIM stream group consumer minIdle ...ids; deleted entries are left out. */
  claim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    ids: readonly string[],
  ): Promise<StreamEntry[]>;
  /** XAUTOCLAIM stream group consumer minIdle cursor COUNT count. */
  autoClaim(
    stream: string,
    group: string,
    consumer: string,
    minIdle: number,
    cursor: string,
    count: number,
  ): Promise<AutoClaimed>;
  /** XACK stream group ...ids; resolves with how many were pending. */
  ack(stream: string, group: string, ids: readonly string[]): Promise<number>;
  /** MULTI, XADD target * fields for each entry, XACK stream group ...ids, EXEC. */
  deadLetter(
    stream: string,
    group: string,
    target: string,
    entries: readonly DeadLetter[],
  ): Promise<void>;
  /** Deletes `consumer` from the group if (atomically) nothing is pending for it. */
  removeConsumerIfIdle(stream: string, group: string, consumer: string): Promise<boolean>;
  /** Closes the connection, after the commands already sent when it is up. */
  close(): Promise<void>;
}
