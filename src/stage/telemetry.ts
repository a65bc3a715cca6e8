import diagnostics from "node:diagnostics_channel";
import type { Pid } from "../kernel/pid.js";
import type { BufferKeep } from "./buffer.js";

/**
 * The stages' telemetry channels (Node's `diagnostics_channel`); publishing costs one boolean
 * check while nobody subscribes.
 *
 * | channel | message |
 * |---|---|
 * | `beamish:stage:discard` | `{ pid, count, keep }`: a full producer buffer dropped `count` events (GenStage logs this) |
 *
 * @example
 * ```ts
 * import diagnostics from "node:diagnostics_channel";
 * diagnostics.subscribe(stageChannels.discard, (m) => console.warn("dropped", m));
 * ```
 */
export const stageChannels = {
  discard: "beamish:stage:discard",
} as const;

const discardChannel = diagnostics.channel(stageChannels.discard);

/** @internal */
export function publishDiscard(pid: Pid, count: number, keep: BufferKeep): void {
  if (discardChannel.hasSubscribers) discardChannel.publish({ pid, count, keep });
}
