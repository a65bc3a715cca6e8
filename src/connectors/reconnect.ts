/**
 * What every connector needs around its broker connection: backoff with jitter between
 * attempts, bounded retries at start with one clear error, addresses printed without secrets,
 * and the connection state published on the pipeline's telemetry.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { BeamishError } from "../kernel/errors.js";
import { describeReason } from "../kernel/exit.js";
import { publishConnection } from "../pipeline/index.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_BROKER_CONNECT: BrokerConnectError;
  }
}

/**
 * A connector could not reach its broker at start: `attempts` tries at `address` (never with
 * credentials), `cause` the last failure.
 *
 * @example
 * ```ts
 * // could not connect to rabbitmq at amqp://127.0.0.1:5673 after 3 attempts: connect ECONNREFUSED 127.0.0.1:5673
 * if (isBeamishError(error, "ERR_BROKER_CONNECT")) console.error(error.address);
 * ```
 */
export class BrokerConnectError extends BeamishError {
  readonly code = "ERR_BROKER_CONNECT";
  constructor(
    readonly connector: string,
    readonly address: string,
    readonly attempts: number,
    override readonly cause: unknown,
  ) {
    super(
      `could not connect to ${connector} at ${address} after ${attempts} attempt${attempts === 1 ? "" : "s"}: ${describeReason(cause)}`,
      { cause },
    );
  }
}

/** Backoff between connection attempts, in ms. */
export interface Backoff {
  /** The first wait. Default 100. */
  readonly min?: number;
  /** The longest wait. Default 5000. */
  readonly max?: number;
}

/**
 * The wait before attempt `attempt` (0 = the first retry): "full jitter", a random time up to
 * `min * 2^attempt` capped at `max`, so that many instances reconnecting at once spread out.
 *
 * @example
 * ```ts
 * await sleep(backoffDelay(attempt, { min: 100, max: 5000 }));
 * ```
 */
export function backoffDelay(attempt: number, backoff: Backoff = {}, random = Math.random): number {
  const min = backoff.min ?? 100;
  const max = backoff.max ?? 5000;
  const ceiling = Math.min(max, min * 2 ** Math.min(attempt, 30));
  return Math.max(min / 2, Math.round(random() * ceiling));
}

/**
 * `url` without its user name and password, for errors and telemetry.
 *
 * @example
 * ```ts
 * redact("amqp://guest:secret@127.0.0.1:5672/vhost"); // "amqp://127.0.0.1:5672/vhost"
 * ```
 */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.username = "";
    parsed.password = "";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return url.replace(/\/\/[^@/]*@/, "//");
  }
}

/** Options of {@link connectWithRetry}. */
export interface RetryOptions {
  /** Attempts before giving up. Default 3. */
  readonly attempts?: number;
  readonly backoff?: Backoff;
  /** False for errors that another attempt cannot fix (wrong credentials). Default: all retry. */
  readonly retryable?: (error: unknown) => boolean;
}

/**
 * Calls `connect` until it resolves, at most `attempts` times with backoff between, publishing
 * each failure and the success on `beamish:pipeline:connection`; then throws
 * {@link BrokerConnectError}.
 *
 * @example
 * ```ts
 * const connection = await connectWithRetry("rabbitmq", redact(url), () => amqp.connect(url));
 * ```
 */
export async function connectWithRetry<C>(
  connector: string,
  address: string,
  connect: () => Promise<C>,
  options: RetryOptions = {},
): Promise<C> {
  const attempts = options.attempts ?? 3;
  let last: unknown;
  for (let attempt = 0; attempt < attempts; attempt++) {
    if (attempt > 0) await sleep(backoffDelay(attempt - 1, options.backoff));
    try {
      const connection = await connect();
      publishConnection({ connector, state: "up", address });
      return connection;
    } catch (error) {
      last = error;
      publishConnection({ connector, state: "failed", address, error });
      if (options.retryable !== undefined && !options.retryable(error)) {
        throw new BrokerConnectError(connector, address, attempt + 1, error);
      }
    }
  }
  throw new BrokerConnectError(connector, address, attempts, last);
}
