/**
 * Settling Redis messages: successful ones with one XACK for the acknowledgements of one run of
 * a stage, failed ones by their failure policy (left pending, acknowledged, or moved to a
 * dead-letter stream in one MULTI per target).
 */
import { describeReason } from "../../kernel/index.js";
import { type Acknowledger, type Message, parseOptions } from "../../pipeline/index.js";
import { ackOptionsSchema, type ParsedFailurePolicy } from "./options.js";
import type { Session } from "./session.js";
import type { DeadLetter } from "./stream-client.js";

/**
 * A Redis message's metadata, which is also its `ackData` (one object less per message): what
 * settling it needs, whatever the handlers do to its data.
 */
// A type, not an interface: it must fit `Message.metadata`'s index signature.
export type RedisMetadata = {
  /** The entry's id. */
  readonly id: string;
  readonly stream: string;
  /** 1 for a first delivery, else how many times Redis delivered it, this one included. */
  readonly deliveryCount: number;
  /** `deliveryCount > 1`. */
  readonly redelivered: boolean;
  /** The entry's fields as read, before `decode`. */
  readonly fields: Readonly<Record<string, string>>;
};

/** The `ackData` of a message: its metadata, and the policy `configureAck` gave it. */
export type RedisAckData = RedisMetadata & { readonly onFailure?: ParsedFailurePolicy };

/** Where the entries go, with their acknowledgement in one MULTI each. */
export interface AckTarget {
  readonly stream: string;
  readonly group: string;
  readonly onFailure: ParsedFailurePolicy;
}

/**
 * The fields of a dead-lettered entry: its own, then where it came from and why it failed,
 * under `dead-letter.` names that do not hide a field of the entry.
 */
export function deadLetterFields(
  target: AckTarget,
  data: RedisAckData,
  reason: unknown,
): Record<string, string> {
  const fields: Record<string, string> = { ...data.fields };
  const add = (key: string, value: string) => {
    if (!(key in fields)) fields[key] = value;
  };
  add("dead-letter.stream", target.stream);
  add("dead-letter.group", target.group);
  add("dead-letter.id", data.id);
  add("dead-letter.deliveries", String(data.deliveryCount));
  add("dead-letter.reason", describeReason(reason));
  return fields;
}

/**
 * XACK of successes and discards, tried again once: XACK is idempotent, and a dropped connection
 * loses the reply, not necessarily the command.
 */
async function ackIds(
  session: Session,
  target: AckTarget,
  ids: string[],
  discarded: number,
): Promise<void> {
  const { client, counters } = session;
  for (let attempt = 0; ; attempt++) {
    try {
      await client.ack(target.stream, target.group, ids);
      counters.acked += ids.length - discarded;
      counters.discarded += discarded;
      return;
    } catch {
      if (attempt >= 1) {
        counters.ackFailures += ids.length;
        return;
      }
    }
  }
}

/**
 * Adds `ids` to the XACK sent once the current run of the stage is over (a microtask later), so
 * that the batches one turn acknowledges go in one XACK rather than one each: a command costs
 * node more than its ids do. The XACK is tracked from the start, so `terminate` waits for it.
 */
function queueAck(session: Session, target: AckTarget, ids: string[], discarded: number): void {
  const pending = session.pendingAck;
  if (pending !== undefined) {
    for (let i = 0; i < ids.length; i++) pending.ids.push(ids[i] as string);
    pending.discarded += discarded;
    return;
  }
  const batch = { ids, discarded };
  session.pendingAck = batch;
  session.track(
    Promise.resolve().then(() => {
      session.pendingAck = undefined;
      return ackIds(session, target, batch.ids, batch.discarded);
    }),
  );
}

async function moveToDeadLetter(
  session: Session,
  target: AckTarget,
  deadLetter: string,
  entries: DeadLetter[],
): Promise<void> {
  const { client, counters } = session;
  try {
    await client.deadLetter(target.stream, target.group, deadLetter, entries);
    counters.deadLettered += entries.length;
  } catch {
    // Not tried again: EXEC may have run. The entry stays pending and fails its way back here.
    counters.ackFailures += entries.length;
  }
}

/**
 * A class rather than an object of closures: its methods are the same functions for every
 * producer, so that the pipeline's optimized code that inlined them outlives a producer (a
 * closure dying with its producer discards that code at the next full collection).
 */
class RedisAcknowledger implements Acknowledger<Session> {
  readonly name = "redis";

  constructor(
    private readonly target: AckTarget,
    private readonly current: () => Session | undefined,
  ) {}

  ack(ref: Session, successful: readonly Message[], failed: readonly Message[]): void {
    const target = this.target;
    const held = ref.held;
    // A message outliving its session (its producer stage restarted): XACK works from any
    // connection, so it goes through the session now open.
    const session = ref.closed ? (this.current() ?? ref) : ref;
    const counters = session.counters;
    const ids = new Array<string>(successful.length);
    for (let i = 0; i < successful.length; i++) {
      const id = ((successful[i] as Message).ackData as RedisAckData).id;
      ids[i] = id;
      held.delete(id);
    }
    let discarded = 0;
    let dead: Map<string, DeadLetter[]> | undefined;
    for (const message of failed) {
      const data = message.ackData as RedisAckData;
      held.delete(data.id);
      const policy = data.onFailure ?? target.onFailure;
      if (policy === "discard") {
        ids.push(data.id);
        discarded++;
      } else if (policy !== "retry" && data.deliveryCount >= policy.maxDeliveries) {
        dead ??= new Map();
        let entries = dead.get(policy.deadLetter);
        if (entries === undefined) {
          entries = [];
          dead.set(policy.deadLetter, entries);
        }
        const reason = message.status.kind === "failed" ? message.status.reason : undefined;
        entries.push({ id: data.id, fields: deadLetterFields(target, data, reason) });
      } else {
        counters.retried++;
      }
    }
    // Discards are acknowledged in the same XACK as the successes.
    if (ids.length > 0) queueAck(session, target, ids, discarded);
    if (dead !== undefined) {
      for (const [deadLetter, entries] of dead) {
        session.track(moveToDeadLetter(session, target, deadLetter, entries));
      }
    }
  }

  configure(
    _session: Session,
    ackData: unknown,
    options: Readonly<Record<string, unknown>>,
  ): RedisAckData {
    const { onFailure } = parseOptions("configureAck", ackOptionsSchema, options);
    return { ...(ackData as RedisAckData), onFailure };
  }
}

/**
 * The acknowledger of one producer's messages (their `ackRef` is its {@link Session}).
 * `configure` takes `{ onFailure }` for one message.
 */
export function redisAcknowledger(
  target: AckTarget,
  current: () => Session | undefined,
): Acknowledger<Session> {
  return new RedisAcknowledger(target, current);
}
