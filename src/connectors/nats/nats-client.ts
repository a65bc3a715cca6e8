/**
 * @internal `client.ts`'s interface implemented with `@nats-io/transport-node` and
 * `@nats-io/jetstream` (v3): the only file that talks to the NATS client.
 */
import {
  AckPolicy,
  type Consumer,
  type ConsumerConfig,
  type ConsumerInfo,
  type FetchMessages,
  JetStreamApiCodes,
  JetStreamApiError,
  type JetStreamManager,
  jetstream,
  jetstreamManager,
} from "@nats-io/jetstream";
import {
  AuthorizationError,
  connect,
  type NatsConnection,
  UserAuthenticationExpiredError,
} from "@nats-io/transport-node";
import { backoffDelay, connectWithRetry } from "../reconnect.js";
import type {
  ConnectionChange,
  JetStreamClient,
  JetStreamConnect,
  PullHandler,
  PullRequest,
} from "./client.js";
import { JetStreamSetupError } from "./errors.js";
import type { ParsedNatsOptions } from "./options.js";

/** The server's `ack_wait` when a consumer's config leaves it out: 30 s, in ns. */
const DEFAULT_ACK_WAIT = 30e9;

/** How long closing waits for the server to confirm what was published (acks). */
const CLOSE_FLUSH_TIMEOUT = 2000;

const isApiError = (error: unknown, code: number): boolean =>
  error instanceof JetStreamApiError && error.code === code;

/** Another attempt cannot fix wrong credentials. */
const retryable = (error: unknown): boolean =>
  !(error instanceof AuthorizationError || error instanceof UserAuthenticationExpiredError);

/** The `JetStreamConnect` of `natsProducer`: connects with `@nats-io/transport-node`. */
export function natsConnect(options: ParsedNatsOptions): JetStreamConnect {
  return async (onChange) => {
    const owned = options.connection === undefined;
    let attempt = 0;
    const nc =
      options.connection ??
      (await connectWithRetry(
        "nats",
        options.address,
        () =>
          connect({
            servers: [...options.servers],
            // The client reconnects by itself, forever, with the producer's backoff and jitter.
            reconnect: true,
            maxReconnectAttempts: -1,
            reconnectDelayHandler: () => backoffDelay(attempt++, options.backoff),
            ...options.connectionOptions,
          }),
        { attempts: options.connect.attempts, backoff: options.backoff, retryable },
      ));
    const address = owned ? options.address : (nc.getServer() ?? options.address);
    let consumer: Consumer;
    let info: ConsumerInfo;
    try {
      const jsm = await jetstreamManager(nc);
      await ensureStream(jsm, options, address);
      info = await ensureConsumer(jsm, options, address);
      consumer = await jetstream(nc).consumers.get(options.stream, options.consumer);
    } catch (error) {
      if (owned) await nc.close().catch(() => {});
      if (error instanceof JetStreamSetupError) throw error;
      throw new JetStreamSetupError(
        address,
        options.stream,
        options.consumer,
        "JetStream refused",
        error,
      );
    }
    let closing = false;
    /** How to end each open pull, for `close`. */
    const pulls = new Set<() => void>();
    const statuses = nc.status();
    void (async () => {
      for await (const status of statuses) {
        if (status.type === "disconnect") onChange("down");
        else if (status.type === "reconnect") {
          attempt = 0;
          onChange("up");
        }
      }
    })().catch(() => {});
    void nc.closed().then((error) => {
      if (!closing) onChange("closed" satisfies ConnectionChange, error);
    });
    return {
      address,
      maxAckPending: info.config.max_ack_pending ?? options.maxAckPending,
      ackWait: Math.round((info.config.ack_wait ?? DEFAULT_ACK_WAIT) / 1e6),
      pull: (batch, expires, handler) => pull(consumer, pulls, batch, expires, handler),
      async close() {
        closing = true;
        (statuses as { stop?: () => void }).stop?.();
        for (const close of pulls) close();
        if (nc.isClosed()) return;
        await flushWithin(nc, CLOSE_FLUSH_TIMEOUT);
        if (owned) await nc.close();
      },
    } satisfies JetStreamClient;
  };
}

async function flushWithin(nc: NatsConnection, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, ms);
  });
  try {
    await Promise.race([nc.flush().catch(() => {}), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function ensureStream(
  jsm: JetStreamManager,
  options: ParsedNatsOptions,
  address: string,
): Promise<void> {
  const { stream, consumer, streamConfig } = options;
  try {
    await jsm.streams.info(stream);
    return;
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.StreamNotFound)) throw error;
    if (streamConfig === undefined) {
      throw new JetStreamSetupError(
        address,
        stream,
        consumer,
        `the stream ${stream} does not exist (give \`streamConfig\` with its \`subjects\` to create it)`,
      );
    }
  }
  try {
    await jsm.streams.add({ ...streamConfig, name: stream });
  } catch (error) {
    // Another instance may have created it in the meantime; if so it is there now.
    await jsm.streams.info(stream).catch(() => {
      throw new JetStreamSetupError(address, stream, consumer, "cannot create the stream", error);
    });
  }
}

async function ensureConsumer(
  jsm: JetStreamManager,
  options: ParsedNatsOptions,
  address: string,
): Promise<ConsumerInfo> {
  const { stream, consumer } = options;
  let info: ConsumerInfo;
  try {
    info = await jsm.consumers.info(stream, consumer);
  } catch (error) {
    if (!isApiError(error, JetStreamApiCodes.ConsumerNotFound)) throw error;
    const config: Partial<ConsumerConfig> = {
      max_ack_pending: options.maxAckPending,
      ...options.consumerConfig,
      durable_name: consumer,
      ack_policy: AckPolicy.Explicit,
    };
    try {
      info = await jsm.consumers.add(stream, config);
    } catch (addError) {
      // Two instances starting together: the other one's consumer is as good.
      info = await jsm.consumers.info(stream, consumer).catch(() => {
        throw new JetStreamSetupError(
          address,
          stream,
          consumer,
          "cannot create the consumer",
          addError,
        );
      });
    }
  }
  const problem =
    info.config.deliver_subject !== undefined && info.config.deliver_subject !== ""
      ? "it is a push consumer (it has a deliver_subject); the producer needs a pull consumer"
      : info.config.ack_policy !== AckPolicy.Explicit
        ? `its ack_policy is ${info.config.ack_policy}; the producer needs "explicit"`
        : undefined;
  if (problem !== undefined) throw new JetStreamSetupError(address, stream, consumer, problem);
  return info;
}

/** One fetch; `stop` ends it (what the server sent for it and did not arrive yet is lost). */
function pull(
  consumer: Consumer,
  open: Set<() => void>,
  batch: number,
  expires: number,
  handler: PullHandler,
): PullRequest {
  let stopped = false;
  let close: (() => void) | undefined;
  // Messages are handed over as the client parses them (its `callback` mode), rather than
  // through its async iterator: one promise less per message.
  const options = { max_messages: batch, expires, callback: handler.message };
  consumer.fetch(options as FetchMessages).then(
    async (messages) => {
      const end = () => void messages.close().catch(() => {});
      close = end;
      if (stopped) end();
      open.add(end);
      const error = await messages.closed();
      open.delete(end);
      handler.end(error === undefined || error === null ? undefined : error);
    },
    (error: unknown) => handler.end(error),
  );
  return {
    stop() {
      stopped = true;
      close?.();
    },
  };
}
