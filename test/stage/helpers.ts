import { GenStage, type Pid, type StageDefinition } from "beamish";

/**
 * A producer of consecutive integers from `start`, recording each demand it gets; it emits none
 * past `limit`, so that a test's stages come to rest.
 */
export function counter(
  demands: number[] = [],
  extra: Partial<StageDefinition<never, number, number, number>> = {},
  limit = 100,
): StageDefinition<never, number, number, number> {
  return {
    init: (start) => GenStage.producer(start),
    handleDemand: (demand, next) => {
      demands.push(demand);
      const count = Math.max(0, Math.min(demand, limit - next));
      return GenStage.emit(range(next, count), next + count);
    },
    ...extra,
  };
}

export function range(from: number, count: number): number[] {
  return Array.from({ length: count }, (_, i) => from + i);
}

/** A consumer forwarding every batch it gets to `to` as `{ events }`. */
export function forwarder(
  to: Pid,
  subscribeTo: unknown[] = [],
  extra: Partial<StageDefinition<number, never, undefined, undefined>> = {},
): StageDefinition<number, never, undefined, undefined> {
  return {
    init: () => GenStage.consumer(undefined, { subscribeTo }),
    handleEvents: (events) => {
      to.process?.deliver({ events: [...events] });
      return undefined;
    },
    ...extra,
  };
}
