/** Starting a server: spawn, register its name, link it to its parent, wait for `init`. */
import type { Name, Via } from "../kernel/api.js";
import type { TimerHandle } from "../kernel/clock.js";
import { invalidArgument } from "../kernel/errors.js";
import { type ExitReason, ProcessExitedError } from "../kernel/exit.js";
import { attachHook, detachHook, ExitHook } from "../kernel/hooks.js";
import { type OptionsInput, option, schema } from "../kernel/options.js";
import type { Pid } from "../kernel/pid.js";
import type { Actor, Process, Self } from "../kernel/process.js";
import { currentRuntime, type Runtime } from "../kernel/runtime.js";
import type { AnyDefinition } from "./definition.js";
import { StartError } from "./errors.js";
import { ServerActor, type StartListener } from "./server.js";

const isName = (value: unknown): value is Name =>
  (typeof value === "string" && value.length > 0) ||
  (typeof value === "object" &&
    value !== null &&
    typeof (value as Via).via === "object" &&
    (value as Via).via !== null &&
    typeof (value as Via).via.registerName === "function");

/**
 * The options of `GenServer.start` and `GenServer.startLink`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `name` | string or `{ via, key }` | none | registers the server before `init` runs; freed when it exits |
 * | `timeout` | ms or `Infinity` | `5000` | how long `init` may take; then the process is killed |
 * | `trapExit` | boolean | `false` | start trapping exits (`terminate` then runs on the parent's exit) |
 */
export const startOptions = schema({
  name: option
    .custom<Name>("a non-empty string or a via-name { via, key }", isName)
    .optional()
    .doc("Registers the server under this local or via-name before `init` runs."),
  timeout: option.timeout(5000).doc("How long `init` may take, in ms; then the process is killed."),
  trapExit: option.boolean(false).doc("Starts the server trapping exits."),
});

/** Options of `GenServer.start`; see {@link startOptions}. */
export type StartOptions = OptionsInput<typeof startOptions>;

const NO_OVERRIDE: unique symbol = Symbol("beamish.noOverride");

/** Settles `start`: resolves when `init` returns a state, rejects when the process exits first. */
class Starter extends ExitHook implements StartListener {
  done = false;
  timer: TimerHandle = undefined;
  reason: unknown = NO_OVERRIDE;
  process: Process | null = null;

  constructor(
    private readonly runtime: Runtime,
    private readonly resolve: (pid: Pid) => void,
    private readonly reject: (error: unknown) => void,
    private readonly parent: Self | undefined,
  ) {
    super();
  }

  started(process: Process): void {
    if (this.done) return;
    this.done = true;
    detachHook(this);
    this.clearTimer();
    this.resolve(process.pid);
  }

  ignored(): void {
    this.reason = "ignore";
  }

  readonly timedOut = (): void => {
    this.timer = undefined;
    const process = this.process;
    if (this.done || process === null) return;
    this.reason = "timeout";
    // As OTP's proc_lib: unlink first, so the parent does not get the kill's exit signal.
    if (this.parent !== undefined) this.parent.unlink(process.pid);
    process.exit("killed");
  };

  onExit(_pid: Pid, reason: ExitReason): void {
    if (this.done) return;
    this.done = true;
    this.clearTimer();
    this.reject(new StartError(this.reason === NO_OVERRIDE ? reason : this.reason));
  }

  private clearTimer(): void {
    if (this.timer !== undefined) {
      this.runtime.clock.clearTimer(this.timer);
      this.timer = undefined;
    }
  }
}

/** Frees a via-name when its holder exits. */
class ViaRelease extends ExitHook {
  constructor(
    private readonly name: Via,
    private readonly process: Process,
  ) {
    super();
  }

  onExit(): void {
    try {
      this.name.via.unregisterName(this.name.key);
    } catch (error) {
      this.process.runtime.reportCrash(this.process, error);
    }
  }
}

/** @internal Validates a definition once, at start. */
export function checkDefinition(definition: unknown): AnyDefinition {
  if (typeof definition !== "object" || definition === null) {
    invalidArgument("definition", "a callbacks object with init", definition);
  }
  const d = definition as Record<string, unknown>;
  if (typeof d.init !== "function") invalidArgument("definition.init", "a function", d.init);
  for (const map of ["handleCall", "handleCast"] as const) {
    const handlers = d[map];
    if (handlers === undefined) continue;
    if (typeof handlers !== "object" || handlers === null) {
      invalidArgument(
        `definition.${map}`,
        "an object of callbacks keyed by message name",
        handlers,
      );
    }
    for (const [key, value] of Object.entries(handlers)) {
      if (typeof value !== "function")
        invalidArgument(`definition.${map}.${key}`, "a function", value);
    }
  }
  for (const key of ["handleInfo", "handleContinue", "terminate"] as const) {
    if (d[key] !== undefined && typeof d[key] !== "function") {
      invalidArgument(`definition.${key}`, "a function", d[key]);
    }
  }
  return definition as AnyDefinition;
}

/** @internal The untyped start behind `start` and `startLink`. */
export function startServer(
  definition: unknown,
  arg: unknown,
  options: unknown,
  parent: Self | undefined,
): Promise<Pid> {
  let checked: AnyDefinition;
  try {
    checked = checkDefinition(definition);
  } catch (error) {
    return Promise.reject(error);
  }
  return startActor((starter) => new ServerActor(checked, arg, starter), options, parent);
}

/**
 * @internal Starts a process driven by the actor `makeActor` returns, with GenServer's start
 * protocol (name, link to the parent, start timeout); the actor tells `listener` how `init`
 * went. GenStage starts its stages through it.
 */
export function startActor(
  makeActor: (listener: StartListener) => Actor,
  options: unknown,
  parent: Self | undefined,
): Promise<Pid> {
  let opts: ReturnType<typeof startOptions.parse>;
  try {
    opts = startOptions.parse(options, "options");
  } catch (error) {
    return Promise.reject(error);
  }
  const runtime = currentRuntime();
  if (parent !== undefined && runtime.lookup(parent.pid) === undefined) {
    return Promise.reject(new ProcessExitedError(parent.pid, undefined));
  }
  return new Promise<Pid>((resolve, reject) => {
    const starter = new Starter(runtime, resolve, reject, parent);
    const name = opts.name;
    let process: Process;
    try {
      process = runtime.spawnProcess(null, makeActor(starter), {
        name: typeof name === "string" ? name : undefined,
        trapExit: opts.trapExit,
      });
    } catch (error) {
      reject(new StartError(error));
      return;
    }
    if (typeof name === "object") {
      try {
        name.via.registerName(name.key, process.pid);
      } catch (error) {
        process.exit("normal");
        reject(new StartError(error));
        return;
      }
      attachHook(process, new ViaRelease(name, process));
    }
    if (parent !== undefined) {
      process.parent = parent.pid;
      parent.link(process.pid);
    }
    starter.process = process;
    attachHook(process, starter);
    if (opts.timeout !== Infinity)
      starter.timer = runtime.clock.setTimer(opts.timeout, starter.timedOut);
  });
}
