/**
 * @internal A stage's connection and channel: opened at start (with bounded retries), opened
 * again after a drop (one attempt each time, the backoff between attempts is the stage's), and
 * closed at the end in the order that keeps the last acknowledgements.
 */
import { send } from "../../kernel/api.js";
import type { Pid } from "../../kernel/pid.js";
import { currentRuntime } from "../../kernel/runtime.js";
import { publishConnection } from "../../pipeline/index.js";
import { connectWithRetry } from "../reconnect.js";
import { ChannelLink } from "./acknowledger.js";
import type { AmqpConnection } from "./client.js";
import {
  ChannelLost,
  CONNECTOR,
  type Connection,
  ConnectionClosed,
  type Context,
  Restored,
  type StageState,
} from "./stage.js";

/** How long closing waits for the broker to confirm. */
const CLOSE_TIMEOUT = 2000;

/** Tells the stage `pid` when `client` closes. */
function watch(pid: Pid, client: AmqpConnection, owned: boolean): Connection {
  const connection: Connection = { client, owned, open: true };
  client.onClose((error) => {
    if (!connection.open) return;
    connection.open = false;
    send(pid, new ConnectionClosed(connection, error));
  });
  return connection;
}

/** The queue declared (or checked) and bound, on `link`'s channel. */
export async function prepare(context: Context<unknown>, link: ChannelLink): Promise<void> {
  const { queue, bindings } = context.options;
  await link.channel.prepareQueue(queue, context.declaration);
  for (const binding of bindings) await link.channel.bind(queue, binding);
}

/** Opens a channel on `connection` and gets the queue ready. */
async function openLink(
  context: Context<unknown>,
  pid: Pid,
  connection: Connection,
): Promise<ChannelLink> {
  const channel = await connection.client.openChannel();
  const link = new ChannelLink(channel, context.stats);
  channel.onClose((error) => {
    if (!link.open) return;
    link.close();
    send(pid, new ChannelLost(link, error));
  });
  try {
    await prepare(context, link);
  } catch (error) {
    link.close();
    channel.close().catch(() => {});
    throw error;
  }
  return link;
}

/**
 * The start: the user's connection, or `connect.attempts` tries at `url` (then
 * `BrokerConnectError`); a channel on it with the queue ready. A failure fails `Pipeline.start`.
 */
export async function open(context: Context<unknown>, pid: Pid, name: string): Promise<Restored> {
  const { options, driver, address } = context;
  const connection =
    options.connection !== undefined
      ? watch(pid, driver.adopt(options.connection), false)
      : watch(
          pid,
          await connectWithRetry(CONNECTOR, address, () => driver.connect(options.url, name), {
            attempts: options.connect.attempts,
            backoff: options.backoff,
            retryable: driver.retryable,
          }),
          true,
        );
  try {
    const link = await openLink(context, pid, connection);
    if (!connection.owned) publishConnection({ connector: CONNECTOR, state: "up", address });
    return new Restored(connection, link);
  } catch (error) {
    connection.client.release();
    if (connection.owned) await connection.client.close().catch(() => {});
    throw error;
  }
}

/**
 * Gets a consuming channel back: a new connection if the old one closed (one attempt), a new
 * channel if the old one closed, or the same channel when only the consumer was cancelled (its
 * deliveries in flight can still be settled there).
 */
export async function restore(context: Context<unknown>, state: StageState): Promise<Restored> {
  const link = state.link;
  if (link?.open && state.connection !== undefined) {
    await prepare(context, link);
    return new Restored(state.connection, link);
  }
  let connection = state.connection;
  let fresh = false;
  if (connection === undefined || !connection.open) {
    const client = await context.driver.connect(context.options.url, state.name);
    connection = watch(state.pid, client, true);
    fresh = true;
  }
  try {
    return new Restored(connection, await openLink(context, state.pid, connection));
  } catch (error) {
    if (fresh) {
      connection.open = false;
      connection.client.close().catch(() => {});
    }
    throw error;
  }
}

/** Closes what a reconnection opened after the stage stopped needing it. */
export function discard(link: ChannelLink, connection: Connection | undefined): void {
  link.close();
  link.channel.close().catch(() => {});
  if (connection?.owned && connection.open) {
    connection.open = false;
    connection.client.close().catch(() => {});
  }
}

/**
 * Sends what is held back, closes the channel, then (if the producer opened it) the connection,
 * within CLOSE_TIMEOUT of the runtime's clock: a broker that no longer answers must not hold
 * the pipeline's stop.
 */
export async function close(
  link: ChannelLink | undefined,
  connection: Connection | undefined,
): Promise<void> {
  const sequence = async () => {
    // In this order: amqplib writes each channel's frames through a buffer of its own, so a
    // connection.close sent at once could reach the broker before the last acks. The
    // channel's close-ok comes back after the broker has taken every frame before it.
    if (link?.open) {
      link.flush();
      link.close();
      await link.channel.close().catch(() => {});
    }
    if (connection === undefined) return;
    connection.client.release();
    if (connection.owned && connection.open) {
      connection.open = false;
      await connection.client.close().catch(() => {});
    }
  };
  const clock = currentRuntime().clock;
  let timer: unknown;
  const timeout = new Promise<void>((resolve) => {
    timer = clock.setTimer(CLOSE_TIMEOUT, resolve);
  });
  await Promise.race([sequence(), timeout]);
  clock.clearTimer(timer);
  if (connection?.owned && connection.open) {
    connection.open = false;
    connection.client.close().catch(() => {});
  }
}
