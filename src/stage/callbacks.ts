/**
 * What a stage makes of its callbacks' results: the new state, `emit(events, state)` (to the
 * producer core), `stop(...)`, a reply, or a promise of one of these; a throw or a bad return
 * crashes the stage, which runs `terminate` and exits. The state lives here, shared by the
 * stage's consumer half (upstream.ts), its producer half (downstream.ts) and its actor.
 */
import type { PendingCall } from "../gen-server/call.js";
import {
  Directive,
  NOREPLY,
  type NoReply,
  REPLY,
  type Reply,
  STOP,
  type Stop,
} from "../gen-server/directives.js";
import { BadReturnError } from "../gen-server/errors.js";
import { type ExitReason, isNormalExit } from "../kernel/exit.js";
import { isThenable, type Process } from "../kernel/process.js";
import { type AnyDefinition, Emit, type StageKind } from "./definition.js";
import { StageKindError } from "./errors.js";
import type { ProducerCore } from "./producer.js";
import type { KindOfStage } from "./stage-kind.js";
import type { Step } from "./step.js";
import type { CancelInfo, StageFrom } from "./subscription.js";

/** Matches no callback result. */
const NOT_PLAIN = Symbol("not plain");

/** @internal A stage's state, and the handling of what its callbacks return. */
export class StageCallbacks implements KindOfStage {
  /** Set once `init` returned a kind. */
  kind: StageKind | null = null;
  state: unknown = undefined;
  /** Producers and producer-consumers: their producer half's state. */
  core: ProducerCore | null = null;

  /**
   * The last object result taken as a plain new state (not an emit, a directive or a thenable).
   * A callback usually returns the state object it changed in place: that one is known plain
   * without asking it for `then`, which, over the state shapes of a pipeline's stages, is a
   * megamorphic property lookup per callback.
   */
  private plain: unknown = NOT_PLAIN;

  constructor(readonly definition: AnyDefinition) {}

  /** Takes a callback's result: the new state, `emit(events, state)`, `stop(...)`, or a promise. */
  apply(result: unknown, self: Process, callback: string): Step {
    if (result === this.plain) {
      this.state = result;
      return true;
    }
    if (typeof result !== "object" || result === null) {
      if (typeof result !== "function") {
        this.state = result;
        return true;
      }
    }
    if (result instanceof Emit) {
      this.state = result.state;
      return this.emitEvents(result.events, self, callback);
    }
    if (result instanceof Directive) {
      if (result.kind === STOP) {
        const r = result as Stop;
        if (r.state !== undefined) this.state = r.state;
        return this.terminate(r.reason, self, false);
      }
      if (result.kind === NOREPLY) {
        this.state = (result as NoReply).state;
        return true;
      }
      return this.crash(new BadReturnError(callback, result), self);
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => (self.alive ? this.apply(value, self, callback) : false),
        (error: unknown) => this.crash(error, self),
      );
    }
    this.state = result;
    this.plain = result;
    return true;
  }

  /** Runs `handleCancel` (if defined) for a subscription that ended, on either side. */
  cancelled(kind: CancelInfo["kind"], reason: ExitReason, from: StageFrom, self: Process): Step {
    const handler = this.definition.handleCancel;
    if (handler === undefined) return true;
    let result: unknown;
    try {
      result = handler({ kind, reason }, from, this.state, self);
    } catch (error) {
      return this.crash(error, self);
    }
    return this.apply(result, self, "handleCancel");
  }

  /** Takes `handleCall`'s result: `reply(value, state)` answers `call`, or as {@link apply}. */
  afterCall(result: unknown, call: PendingCall, self: Process): Step {
    if (result instanceof Directive && result.kind === REPLY) {
      const r = result as Reply;
      this.state = r.state;
      call.reply(r.value);
      return true;
    }
    if (isThenable(result)) {
      return Promise.resolve(result).then(
        (value) => (self.alive ? this.afterCall(value, call, self) : false),
        (error: unknown) => this.crash(error, self),
      );
    }
    return this.apply(result, self, "handleCall");
  }

  private emitEvents(events: readonly unknown[], self: Process, callback: string): Step {
    const core = this.core;
    if (core === null) {
      return this.crash(new StageKindError("consumer", `emit events (from ${callback})`), self);
    }
    if (!Array.isArray(events)) return this.crash(new BadReturnError(callback, events), self);
    if (this.kind === "producerConsumer") {
      // Events beyond the downstream demand wait in the buffer and count against later demand
      // when taken from it, so they must not count here too.
      core.downstream = events.length < core.downstream ? core.downstream - events.length : 0;
    }
    core.dispatch(events);
    return true;
  }

  /** A callback threw `error` (or returned what it must not): the stage exits with it. */
  crash(error: unknown, self: Process): Step {
    if (!self.alive) return false;
    return this.terminate(error, self, true);
  }

  /** Runs `terminate` and exits with `reason`; an abnormal reason is reported. */
  terminate(reason: ExitReason, self: Process, crashed: boolean): Step {
    const terminate = this.definition.terminate;
    if (terminate !== undefined) {
      let result: unknown;
      try {
        result = terminate(reason, this.state, self);
      } catch (error) {
        self.crash(error);
        return false;
      }
      if (isThenable(result)) {
        return Promise.resolve(result).then(
          () => exitWith(reason, self, crashed),
          (error: unknown) => {
            self.crash(error);
            return false;
          },
        );
      }
    }
    return exitWith(reason, self, crashed);
  }
}

function exitWith(reason: ExitReason, self: Process, crashed: boolean): false {
  if (crashed || !isNormalExit(reason)) self.crash(reason);
  else self.exit(reason);
  return false;
}
