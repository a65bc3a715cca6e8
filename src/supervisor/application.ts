/**
 * Application: runs a supervision tree as the program, as an OTP application does: starts the
 * root, keeps Node running while it lives, and on SIGTERM or SIGINT stops it gracefully (children
 * in reverse order, each within its shutdown time) before exiting the process.
 */
import { BeamishError } from "../kernel/errors.js";
import { describeReason, type ExitReason, isExitMessage } from "../kernel/exit.js";
import { attachHook, ExitHook } from "../kernel/hooks.js";
import { type OptionsInput, option, schema } from "../kernel/options.js";
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import {
  type ChildSpec,
  checkChildSpec,
  checkChildSpecs,
  type NormalizedChildSpec,
} from "./child-spec.js";
import { ChildStartError } from "./errors.js";
import { shutdownChild } from "./shutdown.js";
import { startChildProcess } from "./start-child.js";
import { startLink } from "./supervisor.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_ROOT_EXIT: RootExitError;
  }
}

/**
 * The root of an application exited without being asked to (its restart intensity was reached,
 * for instance). The application's own process crashes with this error, so the runtime's logger
 * reports it, and the Node process exits with code 1.
 *
 * @example
 * ```ts
 * // [beamish] process <0.1.0> crashed: RootExitError: the application's root exited: {"shutdown":"reachedMaxRestartIntensity"}
 * ```
 */
export class RootExitError extends BeamishError {
  readonly code = "ERR_ROOT_EXIT";
  constructor(readonly reason: ExitReason) {
    super(`the application's root exited: ${describeReason(reason)}`);
  }
}

/** What Application needs of Node's `process`; inject a fake in tests. */
export interface ProcessLike {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
  exit(code?: number): unknown;
}

/** The exit code after a second signal, as a shell reports a program ended by Ctrl-C. */
export const FORCED_EXIT_CODE = 130;
/** The exit code when the root exits by itself or the graceful stop outlasts `shutdownTimeout`. */
export const FAILED_EXIT_CODE = 1;

const isSignalList = (v: unknown): v is readonly NodeJS.Signals[] =>
  Array.isArray(v) && v.every((s) => typeof s === "string" && s.startsWith("SIG"));
const isProcessLike = (v: unknown): v is ProcessLike =>
  typeof v === "object" &&
  v !== null &&
  ["on", "off", "exit"].every((k) => typeof (v as Record<string, unknown>)[k] === "function");

/**
 * The options of `Application.start`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `signals` | array of signal names | `["SIGTERM", "SIGINT"]` | the first stops the tree gracefully, then exits 0; a second exits 130 at once |
 * | `shutdownTimeout` | ms or `Infinity` | `Infinity` | past it, a signalled stop gives up and exits 1 |
 * | `keepAlive` | boolean | `true` | keeps Node's event loop open while the tree runs |
 * | `process` | `{ on, off, exit }` | `globalThis.process` | where signals come from and exits go |
 */
export const applicationOptions = schema({
  signals: option
    .custom(
      'an array of signal names ("SIGTERM", ...)',
      isSignalList,
      Object.freeze(["SIGTERM", "SIGINT"]) as readonly NodeJS.Signals[],
    )
    .doc("The first stops the tree gracefully then exits 0; a second exits 130 at once."),
  shutdownTimeout: option
    .timeout(Infinity)
    .doc("How long a signalled stop may take, in ms; then the process exits 1."),
  keepAlive: option
    .boolean(true)
    .doc("Keeps Node's event loop open while the tree runs (idle processes do not)."),
  process: option
    .custom("an object with on, off and exit", isProcessLike, process as ProcessLike)
    .doc("Where signals come from and exits go: Node's `process` unless a test injects one."),
});

/** Options of `Application.start`; see {@link applicationOptions}. @example `{ shutdownTimeout: 30_000 }` */
export type ApplicationOptions = OptionsInput<typeof applicationOptions>;

/**
 * A running application: the root's `pid`, and `stop()` to stop the tree gracefully without
 * exiting the process (the signal listeners are removed once it has stopped).
 */
export interface Application {
  readonly pid: Pid;
  stop(): Promise<void>;
}

class StopRequest {}

/** Resolves once the application's own process has exited, whatever the reason. */
class Finished extends ExitHook {
  constructor(private readonly resolve: () => void) {
    super();
  }

  onExit(): void {
    this.resolve();
  }
}

/**
 * Starts `root` (a child spec, usually `Supervisor.supervisor(...)`, or a list of child specs
 * for a root Supervisor with the default flags) under a small process of its own, installs the
 * signal listeners and resolves with the running {@link Application}. Rejects as the root's
 * start does (`ChildStartError`, `InvalidArgumentError`), installing nothing.
 *
 * On the first of `signals`, the tree stops gracefully (reverse order, each child within its
 * shutdown time) and the process exits with code 0; a second signal exits at once with code
 * 130; a stop outlasting `shutdownTimeout` exits with code 1. If the root exits by itself, the
 * crash is reported and the process exits with code 1.
 *
 * @example
 * ```ts
 * await Application.start([
 *   Supervisor.genServer("cache", cache, {}, { trapExit: true }),
 *   Supervisor.dynamicSupervisor("jobs", { name: "jobs" }),
 * ], { shutdownTimeout: 30_000 });
 * ```
 */
export async function start(
  root: ChildSpec | readonly ChildSpec[],
  options?: ApplicationOptions,
): Promise<Application> {
  const opts = applicationOptions.parse(options, "options");
  const spec = rootSpec(root);
  const runtime = currentRuntime();
  const proc = opts.process;
  let finish = (): void => {};
  const finished = new Promise<void>((resolve) => {
    finish = resolve;
  });
  let resolveStart: (pid: Pid) => void = () => {};
  let rejectStart: (error: unknown) => void = () => {};
  const started = new Promise<Pid>((resolve, reject) => {
    resolveStart = resolve;
    rejectStart = reject;
  });
  const master = runtime.spawnProcess(
    async (self) => {
      let root: Pid | undefined;
      try {
        root = await startChildProcess(spec, self, []);
      } catch (error) {
        rejectStart(error);
        return;
      }
      if (root === undefined) {
        rejectStart(new ChildStartError(spec.id, "ignore"));
        return;
      }
      resolveStart(root);
      const pid = root;
      const message = await self.receive({
        match: (m) => m instanceof StopRequest || (isExitMessage(m) && m.from.equals(pid)),
      });
      if (message instanceof StopRequest) {
        await shutdownChild(self, pid, spec.shutdown);
        return;
      }
      throw new RootExitError(isExitMessage(message) ? message.reason : undefined);
    },
    null,
    { trapExit: true },
  );
  attachHook(master, new Finished(finish));
  const rootPid = await started;

  const keepAlive = opts.keepAlive ? setInterval(() => {}, 1 << 30) : undefined;
  let listening = true;
  let signalled = false;
  let stopping: Promise<void> | undefined;
  const removeListeners = (): void => {
    if (!listening) return;
    listening = false;
    if (keepAlive !== undefined) clearInterval(keepAlive);
    for (const signal of opts.signals) proc.off(signal, onSignal);
  };
  const stop = (): Promise<void> => {
    if (stopping === undefined) {
      master.deliver(new StopRequest());
      stopping = finished.then(removeListeners);
    }
    return stopping;
  };
  const onSignal = (): void => {
    if (signalled) {
      proc.exit(FORCED_EXIT_CODE);
      return;
    }
    signalled = true;
    const timer =
      opts.shutdownTimeout === Infinity
        ? undefined
        : runtime.clock.setTimer(opts.shutdownTimeout, () => proc.exit(FAILED_EXIT_CODE));
    void stop().then(() => {
      if (timer !== undefined) runtime.clock.clearTimer(timer);
      proc.exit(0);
    });
  };
  for (const signal of opts.signals) proc.on(signal, onSignal);
  // The root exiting by itself ends the application; its crash is reported by then.
  void finished.then(() => {
    if (stopping !== undefined) return;
    removeListeners();
    proc.exit(FAILED_EXIT_CODE);
  });
  return { pid: rootPid, stop };
}

function rootSpec(root: unknown): NormalizedChildSpec {
  if (Array.isArray(root)) {
    const children = checkChildSpecs(root, "children");
    return checkChildSpec(
      { id: "root", type: "supervisor", start: (sup: Self) => startLink(sup, children) },
      "root",
    );
  }
  return checkChildSpec(root, "root");
}
