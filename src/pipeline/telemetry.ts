import diagnostics from "node:diagnostics_channel";

/**
 * The pipelines' telemetry channels (Node's `diagnostics_channel`). Publishing costs one boolean
 * check per handler call while nobody subscribes. Durations are in ms (`performance.now()`).
 *
 * | channel | message |
 * |---|---|
 * | `beamish:pipeline:message:start` | `{ pipeline, processor, message }` before `handleMessage` |
 * | `beamish:pipeline:message:stop` | `{ pipeline, processor, message, duration }` after it (the message may be failed) |
 * | `beamish:pipeline:message:exception` | `{ pipeline, processor, message, error, duration }`: it threw or rejected |
 * | `beamish:pipeline:batch:start` | `{ pipeline, batcher, batchKey, size }` before `handleBatch` |
 * | `beamish:pipeline:batch:stop` | `{ pipeline, batcher, batchKey, size, failed, duration }` after it |
 * | `beamish:pipeline:batch:exception` | `{ pipeline, batcher, batchKey, size, error, duration }`: it threw or rejected |
 * | `beamish:pipeline:ack` | `{ acknowledger, successful, failed }`: counts handed to one `ack` call |
 * | `beamish:pipeline:connection` | `{ connector, state, address, error? }`: a connector's connection went `"up"`, `"down"` or `"failed"` |
 *
 * @example
 * ```ts
 * import diagnostics from "node:diagnostics_channel";
 * diagnostics.subscribe(pipelineChannels.batchStop, (m) => console.log(m));
 * ```
 */
export const pipelineChannels = {
  messageStart: "beamish:pipeline:message:start",
  messageStop: "beamish:pipeline:message:stop",
  messageException: "beamish:pipeline:message:exception",
  batchStart: "beamish:pipeline:batch:start",
  batchStop: "beamish:pipeline:batch:stop",
  batchException: "beamish:pipeline:batch:exception",
  ack: "beamish:pipeline:ack",
  connection: "beamish:pipeline:connection",
} as const;

/** @internal */
export const messageStart = diagnostics.channel(pipelineChannels.messageStart);
/** @internal */
export const messageStop = diagnostics.channel(pipelineChannels.messageStop);
/** @internal */
export const messageException = diagnostics.channel(pipelineChannels.messageException);
/** @internal */
export const batchStart = diagnostics.channel(pipelineChannels.batchStart);
/** @internal */
export const batchStop = diagnostics.channel(pipelineChannels.batchStop);
/** @internal */
export const batchException = diagnostics.channel(pipelineChannels.batchException);
const ackChannel = diagnostics.channel(pipelineChannels.ack);
const connectionChannel = diagnostics.channel(pipelineChannels.connection);

/** @internal True when any per-message or per-batch channel has a subscriber. */
export function tracing(): boolean {
  return (
    messageStart.hasSubscribers ||
    messageStop.hasSubscribers ||
    messageException.hasSubscribers ||
    batchStart.hasSubscribers ||
    batchStop.hasSubscribers ||
    batchException.hasSubscribers
  );
}

/** @internal */
export function publishAck(acknowledger: string, successful: number, failed: number): void {
  if (ackChannel.hasSubscribers) ackChannel.publish({ acknowledger, successful, failed });
}

/** The state a connector reports on `beamish:pipeline:connection`. */
export interface ConnectionEvent {
  readonly connector: string;
  readonly state: "up" | "down" | "failed";
  /** Where it connects, without credentials. */
  readonly address: string;
  readonly error?: unknown;
}

/**
 * Publishes a connector's connection state on `beamish:pipeline:connection`.
 *
 * @example
 * ```ts
 * publishConnection({ connector: "redis", state: "up", address: "127.0.0.1:6379" });
 * ```
 */
export function publishConnection(event: ConnectionEvent): void {
  if (connectionChannel.hasSubscribers) connectionChannel.publish(event);
}
