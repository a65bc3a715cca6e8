/** Stopping one child as a supervisor does: ask, wait within its shutdown time, then kill. */
import type { TimerHandle } from "../kernel/clock.js";
import type { ExitReason } from "../kernel/exit.js";
import { attachHook, ExitHook } from "../kernel/hooks.js";
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import type { Shutdown } from "./child-spec.js";

class ShutdownWaiter extends ExitHook {
  timer: TimerHandle = undefined;

  constructor(private readonly resolve: (reason: ExitReason) => void) {
    super();
  }

  onExit(_pid: Pid, reason: ExitReason): void {
    if (this.timer !== undefined) currentRuntime().clock.clearTimer(this.timer);
    this.timer = undefined;
    this.resolve(reason);
  }
}

/**
 * Stops the child `pid` of `supervisor` as OTP's supervisor does: unlinks it (so no exit message
 * about it reaches the supervisor afterwards), sends it the exit signal `"shutdown"` from the
 * supervisor and waits for it to exit, killing it once `shutdown` ms have passed; `"brutalKill"`
 * kills it at once and `"infinity"` waits as long as it takes. A GenServer child trapping exits
 * runs `terminate("shutdown")`, since the signal comes from its parent. Resolves with the reason
 * the child exited with (`"noproc"` if it was already gone). The wait uses an exit hook, not the
 * mailbox, so it works from inside a callback of a server.
 *
 * @example
 * ```ts
 * const reason = await shutdownChild(self, childPid, 5000); // "shutdown" or "killed"
 * ```
 */
export function shutdownChild(supervisor: Self, pid: Pid, shutdown: Shutdown): Promise<ExitReason> {
  const runtime = currentRuntime();
  supervisor.unlink(pid);
  const process = runtime.lookup(pid);
  if (process === undefined || !process.alive) return Promise.resolve("noproc");
  return new Promise<ExitReason>((resolve) => {
    const waiter = new ShutdownWaiter(resolve);
    attachHook(process, waiter);
    if (shutdown === "brutalKill") {
      supervisor.sendExit(pid, "kill");
      return;
    }
    supervisor.sendExit(pid, "shutdown");
    if (typeof shutdown === "number" && waiter.hookOwner !== null) {
      waiter.timer = runtime.clock.setTimer(shutdown, () => {
        waiter.timer = undefined;
        if (waiter.hookOwner !== null) supervisor.sendExit(pid, "kill");
      });
    }
  });
}
