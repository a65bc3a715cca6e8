/**
 * Messages into a server: calls (a pending call is at once the mailbox envelope, the `from` of
 * `handleCall`, the exit hook on the server and the entry of the timeout list: one allocation),
 * casts, and stop requests.
 */
import { type Dest, resolve } from "../kernel/api.js";
import { invalidArgument } from "../kernel/errors.js";
import { type ExitReason, NoProcError } from "../kernel/exit.js";
import { attachHook, detachHook, ExitHook } from "../kernel/hooks.js";
import { checkTimeout } from "../kernel/options.js";
import { Pid } from "../kernel/pid.js";
import type { Process } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import { type DeadlineList, type Deadlines, deadlinesOf, type Expiring } from "./deadlines.js";
import { CallExitError, CallSelfError, CallTimeoutError, StopTimeoutError } from "./errors.js";

/** The default timeout of `call`, in ms, as OTP's. */
export const DEFAULT_CALL_TIMEOUT = 5000;

/** @internal The server whose callback is running now, to refuse calls to itself. */
let runningServer: Process | null = null;

/** @internal */
export function setRunningServer(process: Process | null): Process | null {
  const previous = runningServer;
  runningServer = process;
  return previous;
}

/** @internal A call waiting for its reply. */
export class PendingCall extends ExitHook implements Expiring {
  settled = false;
  resolve: (value: unknown) => void = noop;
  reject: (error: unknown) => void = noop;
  deadline = 0;
  deadlinePrev: Expiring | null = null;
  deadlineNext: Expiring | null = null;
  deadlineList: DeadlineList | null = null;
  deadlines: Deadlines | null = null;

  constructor(
    readonly server: Dest,
    readonly request: string,
    readonly arg: unknown,
    readonly timeout: number,
  ) {
    super();
  }

  /** Settles with `value` unless already settled; a late or second reply is dropped. */
  reply(value: unknown): void {
    if (this.settled) return;
    this.settled = true;
    detachHook(this);
    if (this.deadlineList !== null) (this.deadlines as Deadlines).remove(this);
    this.resolve(value);
  }

  expire(): void {
    if (this.settled) return;
    this.settled = true;
    detachHook(this);
    this.reject(new CallTimeoutError(this.server, this.request, this.timeout));
  }

  onExit(_pid: Pid, reason: ExitReason): void {
    if (this.settled) return;
    this.settled = true;
    if (this.deadlineList !== null) (this.deadlines as Deadlines).remove(this);
    this.reject(new CallExitError(this.server, this.request, reason));
  }
}

/**
 * @internal The first of a cast's two mailbox slots; the second is its argument (a cast without
 * argument takes the tag's slot only). A cast thus
 * allocates nothing: tags are shared per request name, and both slots are pushed in one
 * synchronous step, so nothing can come between them. (An envelope per cast made GC the
 * bottleneck of a burst of casts.)
 */
export class CastTag {
  constructor(
    readonly request: string,
    /** False for a cast without argument, which takes one slot: the tag alone. */
    readonly hasArg: boolean,
  ) {}
}

const castTags = new Map<string, CastTag>();
const bareCastTags = new Map<string, CastTag>();
let lastTag = new CastTag("", true);

function castTag(request: string, hasArg: boolean): CastTag {
  if (lastTag.request === request && lastTag.hasArg === hasArg) return lastTag;
  const tags = hasArg ? castTags : bareCastTags;
  let tag = tags.get(request);
  if (tag === undefined) {
    tag = new CastTag(request, hasArg);
    tags.set(request, tag);
  }
  lastTag = tag;
  return tag;
}

/** @internal Asks the server to run `terminate(reason)` and exit. */
export class StopRequest {
  constructor(readonly reason: ExitReason) {}
}

function noop(): void {}

// One executor for every call's Promise: no closure allocated per call.
let executorTarget: PendingCall | null = null;
function executor(resolve: (value: unknown) => void, reject: (error: unknown) => void): void {
  const call = executorTarget as PendingCall;
  call.resolve = resolve;
  call.reject = reject;
}

/** @internal The process behind a pid or name, without a table lookup for a local live pid. */
export function serverProcess(server: Dest): Process | undefined {
  if (server instanceof Pid) return server.process ?? currentRuntime().lookup(server);
  return resolve(server);
}

/** @internal The untyped call behind `GenServer.call`. */
export function callServer(
  server: Dest,
  request: string,
  arg: unknown,
  timeout: number,
): Promise<unknown> {
  const process = serverProcess(server);
  if (process === undefined) return Promise.reject(new NoProcError(server));
  if (process === runningServer) return Promise.reject(new CallSelfError(server, request));
  const call = new PendingCall(server, request, arg, timeout);
  executorTarget = call;
  const promise = new Promise<unknown>(executor);
  executorTarget = null;
  attachHook(process, call);
  if (timeout !== Infinity) {
    const deadlines = deadlinesOf(process.runtime);
    call.deadlines = deadlines;
    deadlines.add(call, timeout);
  }
  process.deliver(call);
  return promise;
}

/** @internal Reads `{ timeout }` from call options, validated. */
export function callTimeout(
  options: { readonly timeout?: number | undefined } | undefined,
): number {
  if (options === undefined) return DEFAULT_CALL_TIMEOUT;
  if (typeof options !== "object" || options === null) {
    return invalidArgument("options", "an options object", options);
  }
  const timeout = options.timeout;
  return timeout === undefined ? DEFAULT_CALL_TIMEOUT : checkTimeout(timeout, "timeout");
}

/** @internal The untyped cast behind `GenServer.cast`: dropped when nobody is there. */
export function castServer(server: Dest, request: string, arg: unknown): void {
  const process = serverProcess(server);
  if (process === undefined) return;
  if (arg === undefined) {
    process.deliver(castTag(request, false));
  } else {
    process.deliver(castTag(request, true));
    process.deliver(arg);
  }
}

/** @internal Replies to a pending call; anything else is an argument error. */
export function replyTo(from: unknown, value: unknown): void {
  if (!(from instanceof PendingCall)) {
    invalidArgument("from", "the `from` given to handleCall", from);
  }
  from.reply(value);
}

class StopWaiter extends ExitHook {
  timer: unknown = undefined;
  constructor(
    readonly resolve: () => void,
    readonly process: Process,
  ) {
    super();
  }
  onExit(): void {
    if (this.timer !== undefined) this.process.runtime.clock.clearTimer(this.timer);
    this.resolve();
  }
}

/** @internal The untyped stop behind `GenServer.stop`. */
export function stopServer(server: Dest, reason: ExitReason, timeout: number): Promise<void> {
  checkTimeout(timeout, "timeout");
  const process = serverProcess(server);
  if (process === undefined) return Promise.reject(new NoProcError(server));
  if (process === runningServer) return Promise.reject(new CallSelfError(server, "stop"));
  return new Promise<void>((resolve, reject) => {
    const waiter = new StopWaiter(resolve, process);
    attachHook(process, waiter);
    if (timeout !== Infinity) {
      waiter.timer = process.runtime.clock.setTimer(timeout, () => {
        detachHook(waiter);
        reject(new StopTimeoutError(server, timeout));
      });
    }
    process.deliver(new StopRequest(reason));
  });
}
