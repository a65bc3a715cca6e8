/** Which processes are stages, and of which kind: what `subscribe` checks before it subscribes. */
import type { Process } from "../kernel/process.js";
import type { StageKind } from "./definition.js";

/** @internal What a stage tells of itself: its kind, `null` until its `init` has returned one. */
export interface KindOfStage {
  readonly kind: StageKind | null;
}

const stages = new WeakMap<Process, KindOfStage>();

/** @internal Records `process` as a stage (from its `init` on). */
export function registerStage(process: Process, stage: KindOfStage): void {
  stages.set(process, stage);
}

/** @internal The kind of the stage behind `process`: `null` while it starts, `undefined` if none. */
export function stageKind(process: Process): StageKind | null | undefined {
  const stage = stages.get(process);
  return stage === undefined ? undefined : stage.kind;
}
