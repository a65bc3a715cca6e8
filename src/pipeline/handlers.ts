/**
 * Running the user's handlers over messages: a synchronous loop while handlers return values,
 * continuing through promises only from the first handler that returns one. A throw, a
 * rejection or a broken contract fails the messages involved; nothing here throws.
 */
import { formatValue } from "../kernel/errors.js";
import type { Core } from "./core.js";
import type { BatchInfo } from "./definition.js";
import { UnknownBatcherError } from "./errors.js";
import { Message } from "./message.js";
import {
  batchException,
  batchStart,
  batchStop,
  messageException,
  messageStart,
  messageStop,
  tracing,
} from "./telemetry.js";

/** Messages a processor is done with: to forward (or acknowledge) and failed. */
export interface Outcome {
  readonly ok: Message[];
  readonly failed: readonly Message[];
}

/** An outcome being filled, message by message. */
interface Filling {
  readonly ok: Message[];
  readonly failed: Message[];
}

/** `failed` of the usual outcome, where nothing failed: one shared array, never written. */
const NONE_FAILED: readonly Message[] = Object.freeze([]);

const isThenable = (v: unknown): v is PromiseLike<unknown> =>
  typeof v === "object" && v !== null && typeof (v as PromiseLike<unknown>).then === "function";

function failAll(messages: readonly Message[], reason: unknown): Outcome {
  for (const m of messages) m.fail(reason);
  return { ok: [], failed: [...messages] };
}

/** `prepareMessages`, then `handleMessage` on each message, in order. */
export function processMessages(
  core: Core,
  messages: readonly Message[],
): Outcome | Promise<Outcome> {
  const prepare = core.prepareMessages as
    | ((m: readonly Message[], c: unknown) => unknown)
    | undefined;
  if (prepare === undefined) return run(core, messages);
  let prepared: unknown;
  try {
    prepared = prepare(messages, core.context);
  } catch (error) {
    return failAll(messages, error);
  }
  const go = (result: unknown): Outcome | Promise<Outcome> => {
    if (!sameMessages(result, messages)) {
      return failAll(
        messages,
        new TypeError(
          `prepareMessages must return the messages it was given (changed in place), got ${formatValue(result)}`,
        ),
      );
    }
    return run(core, messages);
  };
  return isThenable(prepared)
    ? Promise.resolve(prepared).then(go, (error: unknown) => failAll(messages, error))
    : go(prepared);
}

function sameMessages(result: unknown, messages: readonly Message[]): boolean {
  if (!Array.isArray(result) || result.length !== messages.length) return false;
  for (let i = 0; i < messages.length; i++) if (result[i] !== messages[i]) return false;
  return true;
}

/**
 * `handleMessage` on each message. While every message comes back synchronously, unfailed and
 * routable (the usual chunk), the chunk itself is the list of messages to forward: no copy. The
 * first one that does not hands over to {@link loop}, with the messages before it as `ok`.
 */
function run(core: Core, messages: readonly Message[]): Outcome | Promise<Outcome> {
  if (tracing()) return traced(core, messages, 0, { ok: [], failed: [] });
  const handle = core.handleMessage;
  const group = core.group;
  const context = core.context;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i] as Message;
    if (message.failed) return loop(core, messages, i, { ok: messages.slice(0, i), failed: [] });
    let result: unknown;
    try {
      result = handle(group, message, context);
    } catch (error) {
      const out = { ok: messages.slice(0, i), failed: [message.fail(error)] };
      return loop(core, messages, i + 1, out);
    }
    if (result !== message || message.failed || !routable(core, message)) {
      return resume(core, messages, i, result, { ok: messages.slice(0, i), failed: [] });
    }
  }
  return { ok: messages as Message[], failed: NONE_FAILED };
}

function loop(
  core: Core,
  messages: readonly Message[],
  start: number,
  out: Filling,
): Outcome | Promise<Outcome> {
  if (tracing()) return traced(core, messages, start, out);
  const handle = core.handleMessage;
  const group = core.group;
  const context = core.context;
  for (let i = start; i < messages.length; i++) {
    const message = messages[i] as Message;
    if (message.failed) {
      out.failed.push(message);
      continue;
    }
    let result: unknown;
    try {
      result = handle(group, message, context);
    } catch (error) {
      out.failed.push(message.fail(error));
      continue;
    }
    if (result === message) route(core, message, out);
    else if (isThenable(result)) return resume(core, messages, i, result, out);
    else settle(core, message, result, out);
  }
  return out;
}

/** Takes what `handleMessage` returned for `messages[i]` (a promise too), then the rest. */
function resume(
  core: Core,
  messages: readonly Message[],
  i: number,
  result: unknown,
  out: Filling,
): Outcome | Promise<Outcome> {
  const message = messages[i] as Message;
  if (!isThenable(result)) {
    settle(core, message, result, out);
    return loop(core, messages, i + 1, out);
  }
  return Promise.resolve(result).then(
    (value) => {
      settle(core, message, value, out);
      return loop(core, messages, i + 1, out);
    },
    (error: unknown) => {
      out.failed.push(message.fail(error));
      return loop(core, messages, i + 1, out);
    },
  );
}

/** The same loop, publishing start / stop / exception around each call; one message at a time. */
async function traced(
  core: Core,
  messages: readonly Message[],
  start: number,
  out: Filling,
): Promise<Outcome> {
  const pipeline = core.name;
  const processor = core.group;
  for (let i = start; i < messages.length; i++) {
    const message = messages[i] as Message;
    if (message.failed) {
      out.failed.push(message);
      continue;
    }
    const began = performance.now();
    if (messageStart.hasSubscribers) messageStart.publish({ pipeline, processor, message });
    try {
      let result = core.handleMessage(processor, message, core.context);
      if (isThenable(result)) result = await result;
      settle(core, message, result, out);
      if (messageStop.hasSubscribers) {
        messageStop.publish({ pipeline, processor, message, duration: performance.now() - began });
      }
    } catch (error) {
      out.failed.push(message.fail(error));
      if (messageException.hasSubscribers) {
        const duration = performance.now() - began;
        messageException.publish({ pipeline, processor, message, error, duration });
      }
    }
  }
  return out;
}

function settle(core: Core, message: Message, result: unknown, out: Filling): void {
  if (result === message) {
    route(core, message, out);
    return;
  }
  message.fail(
    new TypeError(
      `handleMessage must return the message it was given (changed in place), got ${result instanceof Message ? "another message" : formatValue(result)}`,
    ),
  );
  out.failed.push(message);
}

function route(core: Core, message: Message, out: Filling): void {
  if (message.failed) {
    out.failed.push(message);
  } else if (!routable(core, message)) {
    out.failed.push(message.fail(new UnknownBatcherError(message.batcher, core.batcherNames)));
  } else {
    out.ok.push(message);
  }
}

/** True when the message names a batcher of the pipeline, or the pipeline has none. */
function routable(core: Core, message: Message): boolean {
  const names = core.batcherNames;
  if (names.length === 0) return true;
  return names.length === 1 ? message.batcher === names[0] : names.includes(message.batcher);
}

/** `handleFailed` on failed messages; whatever it does, they stay failed. */
export function handleFailed(core: Core, failed: readonly Message[]): void | Promise<void> {
  const handle = core.handleFailed as ((m: Message[], c: unknown) => unknown) | undefined;
  if (handle === undefined || failed.length === 0) return;
  try {
    const result = handle([...failed], core.context);
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        () => undefined,
        () => undefined,
      );
    }
  } catch {
    // The messages are failed already; a failing handleFailed changes nothing about them.
  }
  return;
}

/**
 * `handleBatch` on one batch. Messages it returns failed, throws or rejects for, or does not
 * return at all, are failed; the rest succeeded.
 */
export function processBatch(
  core: Core,
  messages: Message[],
  info: BatchInfo,
): Outcome | Promise<Outcome> {
  if (batchStart.hasSubscribers || batchStop.hasSubscribers || batchException.hasSubscribers) {
    return tracedBatch(core, messages, info);
  }
  const handle = core.handleBatch as BatchHandler;
  let result: unknown;
  try {
    result = handle(info.batcher, messages, info, core.context);
  } catch (error) {
    return failAll(messages, error);
  }
  if (!isThenable(result)) return splitBatch(messages, result);
  return Promise.resolve(result).then(
    (value) => splitBatch(messages, value),
    (error: unknown) => failAll(messages, error),
  );
}

type BatchHandler = (b: string, m: Message[], i: BatchInfo, c: unknown) => unknown;

async function tracedBatch(core: Core, messages: Message[], info: BatchInfo): Promise<Outcome> {
  const meta = {
    pipeline: core.name,
    batcher: info.batcher,
    batchKey: info.batchKey,
    size: info.size,
  };
  const began = performance.now();
  if (batchStart.hasSubscribers) batchStart.publish(meta);
  try {
    let result = (core.handleBatch as BatchHandler)(info.batcher, messages, info, core.context);
    if (isThenable(result)) result = await result;
    const outcome = splitBatch(messages, result);
    if (batchStop.hasSubscribers) {
      const duration = performance.now() - began;
      batchStop.publish({ ...meta, failed: outcome.failed.length, duration });
    }
    return outcome;
  } catch (error) {
    if (batchException.hasSubscribers) {
      batchException.publish({ ...meta, error, duration: performance.now() - began });
    }
    return failAll(messages, error);
  }
}

const unreturned = new TypeError("handleBatch did not return this message");

function splitBatch(messages: readonly Message[], result: unknown): Outcome {
  if (!Array.isArray(result)) {
    return failAll(
      messages,
      new TypeError(`handleBatch must return the batch's messages, got ${formatValue(result)}`),
    );
  }
  const same = result === messages || sameMessages(result, messages);
  if (same) {
    let i = 0;
    while (i < messages.length && !(messages[i] as Message).failed) i++;
    // The usual batch: every message succeeded, and the batch itself is the list to acknowledge.
    if (i === messages.length) return { ok: messages as Message[], failed: NONE_FAILED };
  }
  const ok: Message[] = [];
  const failed: Message[] = [];
  if (same) {
    for (const m of messages) (m.failed ? failed : ok).push(m);
    return { ok, failed };
  }
  const returned = new Set<unknown>(result);
  for (const m of messages) {
    if (!returned.has(m)) failed.push(m.fail(unreturned));
    else (m.failed ? failed : ok).push(m);
  }
  return { ok, failed };
}
