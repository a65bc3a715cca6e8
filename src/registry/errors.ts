import { BeamishError } from "../kernel/errors.js";
import { describeReason } from "../kernel/exit.js";
import type { Pid } from "../kernel/pid.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_ALREADY_REGISTERED: AlreadyRegisteredError;
  }
}

/**
 * A key of a registry with unique keys is already held by a live process (`pid`, possibly the
 * caller itself), as Elixir's `{:error, {:already_registered, pid}}`. Also the reason of a
 * `StartError` when a server is started under a via-name that is taken.
 *
 * @example
 * ```ts
 * try {
 *   Registry.register(registry, self, "user:42", null);
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_ALREADY_REGISTERED")) console.log(e.key, String(e.pid));
 * }
 * ```
 */
export class AlreadyRegisteredError extends BeamishError {
  readonly code = "ERR_ALREADY_REGISTERED";
  constructor(
    /** The key that is taken. */
    readonly key: unknown,
    /** The live process holding it. */
    readonly pid: Pid,
  ) {
    super(`key ${describeReason(key)} is already registered to ${pid}`);
  }
}
