/**
 * The process kernel: pids, processes with mailboxes, links, monitors, exit signals, local
 * names, timers, and the runtime that schedules them.
 */
export {
  cancelTimer,
  type Dest,
  exit,
  isAlive,
  makeRef,
  type Name,
  type Naming,
  type ProcessInfo,
  processInfo,
  register,
  send,
  sendAfter,
  setLogger,
  spawn,
  TimerRef,
  unregister,
  type Via,
  whereis,
} from "./api.js";
export { type Clock, systemClock, type TimerHandle } from "./clock.js";
export {
  BeamishError,
  type BeamishErrorCodes,
  formatValue,
  InvalidArgumentError,
  isBeamishError,
} from "./errors.js";
export {
  DownMessage,
  describeReason,
  ExitMessage,
  type ExitReason,
  isDownMessage,
  isExitMessage,
  isNormalExit,
  NameTakenError,
  NoProcError,
  ProcessExitedError,
  type ShutdownReason,
} from "./exit.js";
export { isPid, Pid, Ref } from "./pid.js";
export {
  type CrashReport,
  consoleLogger,
  currentRuntime,
  type Logger,
  Runtime,
  type RuntimeOptions,
  setCurrentRuntime,
} from "./runtime.js";
export {
  type Matcher,
  type ProcessBody,
  type Self,
  type SpawnOptions,
  TIMEOUT,
  type Timeout,
} from "./self.js";
export { channels } from "./telemetry.js";
