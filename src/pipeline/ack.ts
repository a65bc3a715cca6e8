/**
 * Acknowledging what a stage finished: each message once, grouped by acknowledger and ref, and
 * an acknowledger's failure reported rather than thrown into the stage.
 */
import type { Acknowledger } from "./acknowledger.js";
import { AckError } from "./errors.js";
import type { Message } from "./message.js";
import { publishAck } from "./telemetry.js";

/** Where a stage reports an acknowledger's failure (the runtime's crash logger). */
export type Report = (error: unknown) => void;

interface Group {
  readonly acknowledger: Acknowledger;
  readonly ref: unknown;
  readonly successful: Message[];
  readonly failed: Message[];
}

/**
 * Acknowledges `successful` and `failed`, skipping any message already acknowledged. The usual
 * case, every message from one acknowledger and ref, makes one call and no grouping.
 */
export function acknowledge(
  successful: readonly Message[],
  failed: readonly Message[],
  report: Report,
): void {
  const first = successful[0] ?? failed[0];
  if (first === undefined) return;
  const { acknowledger, ackRef } = first;
  if (claimAll(successful, failed, acknowledger, ackRef)) {
    call(acknowledger, ackRef, successful, failed, report);
    return;
  }
  for (const group of groups(successful, failed)) {
    call(group.acknowledger, group.ref, group.successful, group.failed, report);
  }
}

/**
 * Marks every message acknowledged when all are new, distinct and of one acknowledger and ref;
 * else marks none. Marking while scanning is what catches a message passed twice in one call.
 */
function claimAll(
  successful: readonly Message[],
  failed: readonly Message[],
  acknowledger: Acknowledger,
  ref: unknown,
): boolean {
  const s = claim(successful, acknowledger, ref);
  if (s === successful.length) {
    const f = claim(failed, acknowledger, ref);
    if (f === failed.length) return true;
    release(failed, f);
  }
  release(successful, s);
  return false;
}

/** Marks messages until one is already marked or from elsewhere; returns how many it marked. */
function claim(messages: readonly Message[], acknowledger: Acknowledger, ref: unknown): number {
  for (let i = 0; i < messages.length; i++) {
    const m = messages[i] as Message;
    if (m.acked || m.acknowledger !== acknowledger || m.ackRef !== ref) return i;
    m.acked = true;
  }
  return messages.length;
}

function release(messages: readonly Message[], count: number): void {
  for (let i = 0; i < count; i++) (messages[i] as Message).acked = false;
}

function groups(successful: readonly Message[], failed: readonly Message[]): Iterable<Group> {
  const byAcknowledger = new Map<Acknowledger, Map<unknown, Group>>();
  const add = (message: Message, ok: boolean) => {
    if (message.acked) return;
    message.acked = true;
    let byRef = byAcknowledger.get(message.acknowledger);
    if (byRef === undefined) {
      byRef = new Map();
      byAcknowledger.set(message.acknowledger, byRef);
    }
    let group = byRef.get(message.ackRef);
    if (group === undefined) {
      group = {
        acknowledger: message.acknowledger,
        ref: message.ackRef,
        successful: [],
        failed: [],
      };
      byRef.set(message.ackRef, group);
    }
    (ok ? group.successful : group.failed).push(message);
  };
  for (const m of successful) add(m, true);
  for (const m of failed) add(m, false);
  return [...byAcknowledger.values()].flatMap((byRef) => [...byRef.values()]);
}

function call(
  acknowledger: Acknowledger,
  ref: unknown,
  successful: readonly Message[],
  failed: readonly Message[],
  report: Report,
): void {
  if (successful.length === 0 && failed.length === 0) return;
  publishAck(acknowledger.name, successful.length, failed.length);
  try {
    const result = acknowledger.ack(ref, successful, failed);
    if (result !== undefined && typeof result.then === "function") {
      result.then(undefined, (error: unknown) => report(new AckError(acknowledger.name, error)));
    }
  } catch (error) {
    report(new AckError(acknowledger.name, error));
  }
}
