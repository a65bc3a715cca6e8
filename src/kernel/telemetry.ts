import diagnostics from "node:diagnostics_channel";
import type { ExitReason } from "./exit.js";
import type { Pid } from "./pid.js";

/**
 * The kernel's telemetry channels (Node's `diagnostics_channel`). Publishing costs one boolean
 * check while nobody subscribes.
 *
 * | channel | message |
 * |---|---|
 * | `beamish:process:spawn` | `{ pid }` |
 * | `beamish:process:exit` | `{ pid, reason }` |
 * | `beamish:process:crash` | `{ pid, name, error }`: a throw or rejection inside a process |
 *
 * @example
 * ```ts
 * import diagnostics from "node:diagnostics_channel";
 * diagnostics.subscribe(channels.exit, (m) => console.log(m));
 * ```
 */
export const channels = {
  spawn: "beamish:process:spawn",
  exit: "beamish:process:exit",
  crash: "beamish:process:crash",
} as const;

const spawnChannel = diagnostics.channel(channels.spawn);
const exitChannel = diagnostics.channel(channels.exit);
const crashChannel = diagnostics.channel(channels.crash);

/** @internal */
export function publishSpawn(pid: Pid): void {
  if (spawnChannel.hasSubscribers) spawnChannel.publish({ pid });
}

/** @internal */
export function publishExit(pid: Pid, reason: ExitReason): void {
  if (exitChannel.hasSubscribers) exitChannel.publish({ pid, reason });
}

/** @internal */
export function publishCrash(pid: Pid, name: string | null, error: unknown): void {
  if (crashChannel.hasSubscribers) crashChannel.publish({ pid, name, error });
}
