/**
 * {@link StreamClient} with node-redis (the `redis` package). node-redis reconnects by itself;
 * it is given a reconnect strategy of backoff with jitter once connected, and none before, so
 * that the start is `connectWithRetry`'s bounded attempts with one clear error. Commands sent
 * while it reconnects wait in its offline queue; those in flight when the connection dropped
 * reject, and the producer retries them.
 */
import { createClient, type RedisArgument } from "redis";
import { InvalidArgumentError } from "../../kernel/index.js";
import { publishConnection } from "../../pipeline/index.js";
import { type Backoff, backoffDelay, connectWithRetry, redact } from "../reconnect.js";
import { type AnyRedisClient, DEFAULT_URL } from "./options.js";
import { entriesOfRead } from "./read-reply.js";
import type {
  AutoClaimed,
  DeadLetter,
  PendingEntry,
  StreamClient,
  StreamEntry,
  StreamReader,
} from "./stream-client.js";

type Client = ReturnType<typeof createClient>;

/** node-redis's own default: a command without a reply this long rejects. */
const COMMAND_TIMEOUT = 5000;

/** How to reach Redis: a URL, or a user's client to duplicate for the readers. */
export interface NodeRedisOptions {
  readonly url: string | undefined;
  readonly client: AnyRedisClient | undefined;
  /** The CLIENT SETNAME of the shared connection; readers get their own names. */
  readonly name: string;
  readonly attempts: number;
  readonly backoff: Required<Backoff>;
  /** Each read blocks this long (ms); a reader's commands time out only well after it. */
  readonly block: number;
}

/**
 * The client every connection is duplicated from. node-redis builds a client class for each
 * `createClient` options object (100 ms and more on a busy machine); `duplicate` reuses it.
 */
let template: Client | undefined;

// Deletes the consumer only if nothing is pending for it, in one atomic step.
const REMOVE_IF_IDLE = `
if #redis.call('XPENDING', KEYS[1], ARGV[1], '-', '+', 1, ARGV[2]) == 0 then
  return redis.call('XGROUP', 'DELCONSUMER', KEYS[1], ARGV[1], ARGV[2]) + 1
end
return 0`;

/** Errors another attempt cannot fix. */
const isAuthError = (error: unknown): boolean =>
  error instanceof Error &&
  /WRONGPASS|NOAUTH|NOPERM|invalid password|without any password/i.test(error.message);

function addressOf(options: NodeRedisOptions): string {
  if (options.client === undefined) return redact(options.url ?? DEFAULT_URL);
  const { url, socket } = options.client.options ?? {};
  if (typeof url === "string") return redact(url);
  const s = (socket ?? {}) as { host?: string; port?: number; path?: string };
  return s.path ?? `${s.host ?? "127.0.0.1"}:${s.port ?? 6379}`;
}

/**
 * A client that reconnects with backoff and jitter once it has connected, and not before;
 * its drops and recoveries are published on the pipeline's connection channel.
 */
function makeClient(
  options: NodeRedisOptions,
  name: string,
  address: string,
  timeout: number,
): Client {
  let connected = false;
  let up = false;
  const reconnectStrategy = (retries: number): number | false =>
    connected ? backoffDelay(retries, options.backoff) : false;
  const base = options.client;
  // Replies as node-redis gives them by default (strings), whatever a user's client maps.
  const commandOptions = { timeout };
  if (base === undefined) template ??= createClient();
  const client = (
    base === undefined
      ? (template as Client).duplicate({
          url: options.url ?? DEFAULT_URL,
          name,
          socket: { reconnectStrategy },
          commandOptions,
        })
      : base.duplicate({
          name,
          socket: { ...base.options?.socket, reconnectStrategy },
          commandOptions,
        })
  ) as Client;
  client.on("ready", () => {
    if (connected && !up) publishConnection({ connector: "redis", state: "up", address });
    connected = true;
    up = true;
  });
  // node-redis emits every socket error here (an unlistened "error" would crash the process).
  client.on("error", (error: unknown) => {
    if (!up) return;
    up = false;
    publishConnection({ connector: "redis", state: "down", address, error });
  });
  return client;
}

async function connect(
  options: NodeRedisOptions,
  name: string,
  address: string,
  timeout: number,
): Promise<Client> {
  return connectWithRetry(
    "redis",
    address,
    async () => {
      const client = makeClient(options, name, address, timeout);
      try {
        await client.connect();
        return client;
      } catch (error) {
        client.destroy();
        throw error;
      }
    },
    { attempts: options.attempts, backoff: options.backoff, retryable: (e) => !isAuthError(e) },
  );
}

const close = async (client: Client): Promise<void> => {
  if (client.isReady) await client.close();
  else if (client.isOpen) client.destroy();
};

/** `key` with the client's `keyPrefix`, if any: node-redis prefixes the keys of its commands. */
function prefixed(client: Client, key: string): RedisArgument {
  const prefix = client.options?.keyPrefix;
  if (prefix === undefined) return key;
  return typeof prefix === "string" ? prefix + key : Buffer.concat([prefix, Buffer.from(key)]);
}

type RawMessage = StreamEntry | null;

/** Claims answer `null` for entries deleted from the stream. */
const present = (messages: readonly RawMessage[]): StreamEntry[] =>
  messages.filter((m): m is StreamEntry => m !== null);

function toPending(p: {
  id: unknown;
  consumer: unknown;
  millisecondsSinceLastDelivery: unknown;
  deliveriesCounter: unknown;
}): PendingEntry {
  return {
    id: String(p.id),
    consumer: String(p.consumer),
    idle: Number(p.millisecondsSinceLastDelivery),
    deliveryCount: Number(p.deliveriesCounter),
  };
}

/**
 * Connects (bounded attempts, `BrokerConnectError` at the end) and returns the shared client.
 * With `options.client`, commands go through the user's client (never closed here) and readers
 * are duplicates of it.
 */
export async function openNodeRedis(options: NodeRedisOptions): Promise<StreamClient> {
  const address = addressOf(options);
  const own = options.client === undefined;
  if (!own && !options.client?.isOpen) {
    throw new InvalidArgumentError({
      path: "client",
      expected: "a connected node-redis client (await client.connect() first)",
      got: "a client that is not connected",
    });
  }
  const client: Client = own
    ? await connect(options, options.name, address, COMMAND_TIMEOUT)
    : ((options.client as AnyRedisClient).withTypeMapping({}) as unknown as Client);

  return {
    async createGroup(stream, group, startId) {
      try {
        await client.xGroupCreate(stream, group, startId, { MKSTREAM: true });
      } catch (error) {
        if (!(error instanceof Error && error.message.startsWith("BUSYGROUP"))) throw error;
      }
    },

    async openReader(name): Promise<StreamReader> {
      const reader = await connect(options, name, address, options.block + COMMAND_TIMEOUT);
      return {
        async read(stream, group, consumer, count, block) {
          // Sent as is, its reply parsed here: node-redis's transform of XREADGROUP's reply
          // costs more than the parse. The key carries the client's prefix, as xReadGroup does.
          const reply = await reader.sendCommand([
            "XREADGROUP",
            "GROUP",
            group,
            consumer,
            "COUNT",
            String(count),
            "BLOCK",
            String(block),
            "STREAMS",
            prefixed(reader, stream),
            ">",
          ]);
          return entriesOfRead(reply);
        },
        close() {
          if (reader.isOpen) reader.destroy();
        },
      };
    },

    async pending(stream, group, count, consumer) {
      const reply = await client.xPendingRange(
        stream,
        group,
        "-",
        "+",
        count,
        consumer === undefined ? undefined : { consumer },
      );
      return reply.map(toPending);
    },

    async pendingEntry(stream, group, id) {
      const reply = await client.xPendingRange(stream, group, id, id, 1);
      return reply.length === 0
        ? undefined
        : toPending(reply[0] as Parameters<typeof toPending>[0]);
    },

    async claim(stream, group, consumer, minIdle, ids) {
      const reply = await client.xClaim(stream, group, consumer, minIdle, ids as string[]);
      return present(reply as RawMessage[]);
    },

    async autoClaim(stream, group, consumer, minIdle, cursor, count): Promise<AutoClaimed> {
      const reply = await client.xAutoClaim(stream, group, consumer, minIdle, cursor, {
        COUNT: count,
      });
      return {
        cursor: String(reply.nextId),
        entries: present(reply.messages as RawMessage[]),
        deleted: reply.deletedMessages.length,
      };
    },

    async ack(stream, group, ids) {
      return Number(await client.xAck(stream, group, ids as string[]));
    },

    async deadLetter(stream, group, target, entries: readonly DeadLetter[]) {
      const multi = client.multi();
      for (const entry of entries) multi.xAdd(target, "*", entry.fields);
      multi.xAck(
        stream,
        group,
        entries.map((e) => e.id),
      );
      await multi.exec();
    },

    async removeConsumerIfIdle(stream, group, consumer) {
      const removed = await client.eval(REMOVE_IF_IDLE, {
        keys: [stream],
        arguments: [group, consumer],
      });
      return Number(removed) > 0;
    },

    async close() {
      if (own) await close(client);
    },
  };
}
