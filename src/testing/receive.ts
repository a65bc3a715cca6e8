import { AssertionError } from "node:assert";
import { currentRuntime, type Self, TIMEOUT } from "../kernel/index.js";
import { matches, type Pattern } from "../kernel/pattern.js";
import { settleRuntime } from "./runtime.js";
import { VirtualClock } from "./virtual-clock.js";

/** Options of {@link assertReceive} and {@link refuteReceive}. */
export interface ReceiveAssertionOptions {
  /** How long to wait, in ms of the runtime's clock (virtual or real). Default 100, as ExUnit. */
  readonly timeout?: number;
}

/**
 * Asserts that a message matching `pattern` arrives in `self`'s mailbox within the timeout, takes
 * it out and returns it, as ExUnit's `assert_receive`. Under a {@link VirtualClock}, waiting
 * advances the clock, stopping as soon as the message is there.
 *
 * @example
 * ```ts
 * send(self.pid, { ok: 1 });
 * const msg = await assertReceive(self, { ok: 1 });
 * ```
 */
export async function assertReceive<T = unknown>(
  self: Self,
  pattern: Pattern<T> = () => true,
  options: ReceiveAssertionOptions = {},
): Promise<T> {
  const timeout = options.timeout ?? 100;
  const match = (m: unknown) => matches(pattern, m);
  const message = await waitFor(self, match, timeout);
  if (message === TIMEOUT) {
    throw new AssertionError({
      message: `expected a message matching ${describe(pattern)} within ${timeout} ms; the mailbox held ${describeMailbox(self)}`,
    });
  }
  return message as T;
}

/**
 * Asserts that no message matching `pattern` arrives within the timeout, as ExUnit's
 * `refute_receive`. A matching message found is taken out and reported.
 *
 * @example
 * ```ts
 * await refuteReceive(self, isDownMessage, { timeout: 50 });
 * ```
 */
export async function refuteReceive(
  self: Self,
  pattern: Pattern = () => true,
  options: ReceiveAssertionOptions = {},
): Promise<void> {
  const timeout = options.timeout ?? 100;
  const message = await waitFor(self, (m) => matches(pattern, m), timeout);
  if (message !== TIMEOUT) {
    throw new AssertionError({
      message: `expected no message matching ${describe(pattern)} within ${timeout} ms, got ${describe(message)}`,
    });
  }
}

async function waitFor(
  self: Self,
  match: (m: unknown) => boolean,
  timeout: number,
): Promise<unknown> {
  const runtime = currentRuntime();
  await settleRuntime(runtime);
  const clock = runtime.clock;
  if (!(clock instanceof VirtualClock)) return self.receive({ match, timeout });
  let result: unknown = TIMEOUT;
  let done = false;
  // A message may itself be an Error: only a rejected receive is a failure to rethrow.
  let failed = false;
  self.receive({ match, timeout }).then(
    (m) => {
      result = m;
      done = true;
    },
    (error: unknown) => {
      result = error;
      failed = true;
      done = true;
    },
  );
  await clock.advance(timeout, () => done);
  await settleRuntime(runtime);
  if (!done) throw new Error("receive did not settle after its timeout passed");
  if (failed) throw result;
  return result;
}

function describeMailbox(self: Self): string {
  const process = currentRuntime().lookup(self.pid);
  if (process === undefined) return "nothing (the process is dead)";
  const messages = process.mailboxSnapshot();
  return messages.length === 0 ? "nothing" : `[${messages.map(describe).join(", ")}]`;
}

function describe(value: unknown): string {
  if (typeof value === "function")
    return value.name ? `the predicate ${value.name}` : "a predicate";
  if (typeof value === "string") return JSON.stringify(value);
  if (typeof value === "symbol" || typeof value === "bigint") return String(value);
  try {
    return (
      JSON.stringify(value, (_k, v: unknown) => (typeof v === "bigint" ? `${v}n` : v)) ??
      String(value)
    );
  } catch {
    return String(value);
  }
}
