/**
 * `beamish/testing`: a virtual clock, a fresh runtime per test, and ExUnit-style receive
 * assertions for a test acting as a process.
 */
export { matches, type Pattern } from "../kernel/pattern.js";
export {
  assertReceive,
  type ReceiveAssertionOptions,
  refuteReceive,
} from "./receive.js";
export {
  type RuntimeTest,
  runInRuntime,
  settleRuntime,
  type WithRuntimeOptions,
  withRuntime,
} from "./runtime.js";
export { VirtualClock } from "./virtual-clock.js";
