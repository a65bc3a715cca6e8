/**
 * `beamish/threads`: worker-thread nodes. The main thread and its workers form a local cluster;
 * a pid carries its node, and send, links, monitors, exit signals and GenServer calls work
 * across threads as they do on one. Code to run on another thread is named by module path and
 * export, never by closure.
 */
export { Cluster, type ClusterOptions } from "./cluster.js";
export { type CloneSite, NoClusterError, NotCloneableError, SpawnError } from "./errors.js";
export { NOCONNECTION } from "./node.js";
export { type ThreadedHandlerOptions, threadedHandler } from "./pipeline-handler.js";
export { onThreads, type Placement, type ThreadChildOptions, threadChild } from "./placement.js";
export {
  CpuPool,
  type CpuPoolOptions,
  type ExecOptions,
  execSchema,
  type ModuleSpecifier,
  type PoolStats,
  PoolStoppedError,
  type PoolStreamInput,
  type PoolStreamOptions,
  PoolTaskCancelledError,
  PoolTaskTimeoutError,
  PoolWorkerDiedError,
  poolSchema,
  streamSchema,
  ThreadExportNotFunctionError,
  ThreadModuleLoadError,
  ThreadModuleNotFoundError,
  type Transfer,
  transfer,
} from "./pool/index.js";
export {
  type SpawnOnOptions,
  spawnLinkOn,
  spawnOn,
  startLinkOn,
  startOn,
} from "./spawn.js";
