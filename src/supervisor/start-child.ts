/** Starting one child from its spec, inside the supervisor process. */
import { BadReturnError, StartError } from "../gen-server/errors.js";
import { isPid, type Pid } from "../kernel/pid.js";
import { isThenable, type Self } from "../kernel/process.js";
import type { StartFunction } from "./child-spec.js";
import { ChildStartError } from "./errors.js";

/**
 * Runs `spec.start(supervisor, ...extraArguments)` and resolves with the child's pid, linked to
 * `supervisor` (linking twice is harmless, and a start function that forgot to link is covered).
 * Resolves with `undefined` when the start rejects with a `StartError` whose reason is
 * `"ignore"`. Rejects with a {@link ChildStartError} naming `spec.id` when the start throws,
 * rejects, or returns something other than a pid (reason: a `BadReturnError`).
 *
 * @example
 * ```ts
 * const pid = await startChildProcess(spec, self, []);
 * ```
 */
export async function startChildProcess(
  spec: { readonly id: string | undefined; readonly start: StartFunction },
  supervisor: Self,
  extraArguments: readonly unknown[],
): Promise<Pid | undefined> {
  let result: unknown;
  try {
    result = (spec.start as (...args: unknown[]) => unknown)(supervisor, ...extraArguments);
    if (isThenable(result)) result = await result;
  } catch (error) {
    if (error instanceof StartError && error.reason === "ignore") return undefined;
    throw new ChildStartError(spec.id, error);
  }
  if (!isPid(result)) throw new ChildStartError(spec.id, new BadReturnError("start", result));
  supervisor.link(result);
  return result;
}
