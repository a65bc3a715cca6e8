/**
 * The server process: an actor that turns mailbox messages into callback runs. A synchronous
 * callback takes the fast path (no Promise per message); an async one holds the mailbox until it
 * settles, so messages are handled one at a time and in order.
 */
import { ExitMessage, type ExitReason, isNormalExit } from "../kernel/exit.js";
import { type Actor, isThenable, type Process } from "../kernel/process.js";
import { CastTag, PendingCall, StopRequest, setRunningServer } from "./call.js";
import type { AnyDefinition } from "./definition.js";
import {
  Directive,
  IGNORE,
  NO_CONTINUE,
  NOREPLY,
  type NoReply,
  OK,
  type Ok,
  REPLY,
  type Reply,
  STOP,
  type Stop,
} from "./directives.js";
import { BadReturnError, UnknownRequestError } from "./errors.js";

type Handlers = Readonly<Record<string, (...args: never[]) => unknown>>;
type CallHandler = (arg: unknown, from: unknown, state: unknown, self: Process) => unknown;
type CastHandler = (arg: unknown, state: unknown, self: Process) => unknown;

/** @internal What the server tells whoever started it. */
export interface StartListener {
  /** `init` returned a state. */
  started(process: Process): void;
  /** `init` returned `ignore()`: the reason `start` rejects with. */
  ignored(): void;
}

/** @internal */
export class ServerActor implements Actor {
  private state: unknown = undefined;
  /** Set between a cast's tag and its argument, the next message. */
  private cast: CastTag | null = null;
  private readonly calls: Handlers;
  private readonly casts: Handlers;

  constructor(
    private readonly definition: AnyDefinition,
    private readonly arg: unknown,
    private readonly listener: StartListener,
  ) {
    // Own copies, so that a definition edited after start changes nothing; plain objects (not
    // null-prototype ones, which V8 keeps as slow dictionaries) for a fast keyed lookup.
    this.calls = { ...definition.handleCall };
    this.casts = { ...definition.handleCast };
  }

  init(self: Process): void | PromiseLike<void> {
    const previous = setRunningServer(self);
    let result: unknown;
    try {
      result = this.definition.init(this.arg, self);
    } catch (error) {
      // No crash report: the error goes to the starter as the StartError's reason.
      self.exit(error);
      return;
    } finally {
      setRunningServer(previous);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => this.initDone(value, self),
        (error: unknown) => self.exit(error),
      );
    }
    return this.initDone(result, self);
  }

  private initDone(result: unknown, self: Process): void | Promise<void> {
    if (!self.alive) return;
    if (!(result instanceof Directive)) {
      this.state = result;
      this.listener.started(self);
      return;
    }
    switch (result.kind) {
      case OK: {
        const ok = result as Ok;
        this.state = ok.state;
        this.listener.started(self);
        return ok.next === NO_CONTINUE ? undefined : this.continueWith(ok.next, self);
      }
      case IGNORE:
        this.listener.ignored();
        self.exit("normal");
        return;
      case STOP:
        // No terminate: OTP runs it only for a server that started.
        self.exit((result as Stop).reason);
        return;
      default:
        self.exit(new BadReturnError("init", result));
    }
  }

  handle(message: unknown, self: Process): void | Promise<void> {
    if (this.cast !== null) return this.handleCast(this.cast, message, self);
    if (message instanceof CastTag) return this.castTag(message, self);
    if (message instanceof PendingCall) {
      const handler = this.calls[message.request] as CallHandler | undefined;
      if (handler === undefined) {
        return this.crash(new UnknownRequestError("handleCall", message.request), self);
      }
      const previous = setRunningServer(self);
      let result: unknown;
      try {
        result = handler(message.arg, message, this.state, self);
      } catch (error) {
        setRunningServer(previous);
        return this.crash(error, self);
      }
      setRunningServer(previous);
      return this.afterCall(result, message, self);
    }
    if (message instanceof StopRequest) return this.terminate(message.reason, self, false);
    if (
      message instanceof ExitMessage &&
      self.parent !== undefined &&
      message.from.equals(self.parent)
    ) {
      // OTP: a server trapping exits stops with its parent's reason, running terminate.
      return this.terminate(message.reason, self, false);
    }
    const definition = this.definition;
    if (definition.handleInfo === undefined) return;
    const previous = setRunningServer(self);
    let result: unknown;
    try {
      result = definition.handleInfo(message, this.state, self);
    } catch (error) {
      setRunningServer(previous);
      return this.crash(error, self);
    }
    setRunningServer(previous);
    return this.afterNoReply(result, self, "handleInfo");
  }

  /** A cast's tag: its argument is the next message, unless it has none. */
  private castTag(tag: CastTag, self: Process): void | Promise<void> {
    if (!tag.hasArg) return this.handleCast(tag, undefined, self);
    this.cast = tag;
  }

  private handleCast(tag: CastTag, arg: unknown, self: Process): void | Promise<void> {
    this.cast = null;
    const handler = this.casts[tag.request] as CastHandler | undefined;
    if (handler === undefined) {
      return this.crash(new UnknownRequestError("handleCast", tag.request), self);
    }
    const previous = setRunningServer(self);
    let result: unknown;
    try {
      result = handler(arg, this.state, self);
    } catch (error) {
      setRunningServer(previous);
      return this.crash(error, self);
    }
    setRunningServer(previous);
    return this.afterNoReply(result, self, "handleCast");
  }

  private afterCall(result: unknown, call: PendingCall, self: Process): void | Promise<void> {
    if (result instanceof Directive) {
      switch (result.kind) {
        case REPLY: {
          const r = result as Reply;
          this.state = r.state;
          call.reply(r.value);
          return r.next === NO_CONTINUE ? undefined : this.continueWith(r.next, self);
        }
        case NOREPLY: {
          const r = result as NoReply;
          this.state = r.state;
          return r.next === NO_CONTINUE ? undefined : this.continueWith(r.next, self);
        }
        case STOP: {
          const r = result as Stop;
          if (r.state !== undefined) this.state = r.state;
          if (r.hasReply) call.reply(r.reply);
          return this.terminate(r.reason, self, false);
        }
      }
    } else if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => (self.alive ? this.afterCall(value, call, self) : undefined),
        (error: unknown) => this.crash(error, self),
      );
    }
    return this.crash(new BadReturnError(`handleCall.${call.request}`, result), self);
  }

  private afterNoReply(result: unknown, self: Process, callback: string): void | Promise<void> {
    if (typeof result !== "object" && typeof result !== "function") {
      this.state = result;
      return;
    }
    if (result instanceof Directive) {
      if (result.kind === NOREPLY) {
        const r = result as NoReply;
        this.state = r.state;
        return r.next === NO_CONTINUE ? undefined : this.continueWith(r.next, self);
      }
      if (result.kind === STOP) {
        const r = result as Stop;
        if (r.state !== undefined) this.state = r.state;
        return this.terminate(r.reason, self, false);
      }
      return this.crash(new BadReturnError(callback, result), self);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => (self.alive ? this.afterNoReply(value, self, callback) : undefined),
        (error: unknown) => this.crash(error, self),
      );
    }
    this.state = result;
  }

  private continueWith(next: unknown, self: Process): void | Promise<void> {
    const definition = this.definition;
    if (definition.handleContinue === undefined) {
      return this.crash(new UnknownRequestError("handleContinue", describeArg(next)), self);
    }
    const previous = setRunningServer(self);
    let result: unknown;
    try {
      result = definition.handleContinue(next, this.state, self);
    } catch (error) {
      setRunningServer(previous);
      return this.crash(error, self);
    }
    setRunningServer(previous);
    return this.afterNoReply(result, self, "handleContinue");
  }

  /** A callback threw or rejected: terminate, then report the crash once and exit with it. */
  private crash(error: unknown, self: Process): void | Promise<void> {
    if (!self.alive) return;
    return this.terminate(error, self, true);
  }

  /**
   * Runs `terminate` and exits with `reason`. An abnormal reason is reported, as OTP logs a
   * server that stops abnormally; if `terminate` itself throws, its error is the exit reason.
   */
  private terminate(reason: ExitReason, self: Process, crashed: boolean): void | Promise<void> {
    const definition = this.definition;
    if (definition.terminate !== undefined) {
      const previous = setRunningServer(self);
      let result: unknown;
      try {
        result = definition.terminate(reason, this.state, self);
      } catch (error) {
        self.crash(error);
        return;
      } finally {
        setRunningServer(previous);
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => exitWith(reason, self, crashed),
          (error: unknown) => self.crash(error),
        );
      }
    }
    exitWith(reason, self, crashed);
  }
}

function exitWith(reason: ExitReason, self: Process, crashed: boolean): void {
  if (crashed || !isNormalExit(reason)) self.crash(reason);
  else self.exit(reason);
}

function describeArg(arg: unknown): string {
  return typeof arg === "string" ? arg : String(arg);
}
