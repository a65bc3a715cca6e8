/**
 * @internal The consumer of a stage's channel: deliveries into the stage's buffer (a READY to
 * the stage when demand waits for them), the prefetch (fixed, or adaptive: grown while demand
 * waits on a full window), and cancelling at the drain.
 */
import { send } from "../../kernel/api.js";
import type { ChannelLink } from "./acknowledger.js";
import type { Delivery } from "./client.js";
import { ConsumerCancelled, type Context, READY, type StageState } from "./stage.js";
import { TagWindow } from "./tag-window.js";

/**
 * The adaptive prefetch never grows past this; a fixed `prefetch` may go up to 65535.
 *
 * @example
 * ```ts
 * rabbitmqProducer({ queue: "big-batches", prefetch: 2 * AUTO_PREFETCH_MAX });
 * ```
 */
export const AUTO_PREFETCH_MAX = 1000;
const AUTO_PREFETCH_MIN = 10;

function onDelivery(
  context: Context<unknown>,
  state: StageState,
  link: ChannelLink,
  delivery: Delivery,
): void {
  if (link !== state.link) return;
  link.delivered++;
  context.stats.delivered++;
  if (state.draining || state.stopped) {
    // Not emitted once the drain began: back to the queue for whoever consumes next.
    link.settle([TagWindow.encode(delivery.fields.deliveryTag, "requeue")], true);
    return;
  }
  state.buffer.push(delivery);
  if (state.pending > 0 && !state.signalled) {
    state.signalled = true;
    send(state.pid, READY);
  }
}

/** Starts a consumer with the stage's prefetch (`basic.qos`, then `basic.consume`). */
async function consume(
  context: Context<unknown>,
  state: StageState,
  link: ChannelLink,
): Promise<void> {
  const prefetch = state.prefetch;
  await link.channel.prefetch(prefetch);
  context.stats.prefetch = prefetch;
  link.setPrefetch(prefetch);
  let tag = "";
  tag = await link.channel.consume(
    context.options.queue,
    (delivery) => onDelivery(context, state, link, delivery),
    () => {
      link.consumers.delete(tag);
      if (link.consumers.size === 0) send(state.pid, new ConsumerCancelled(link));
    },
  );
  link.consumers.add(tag);
  // The drain began while the consumer was starting.
  if (state.draining || state.stopped) cancelConsumers(link);
}

/** Consumes on the stage's channel, unless it does already or should not. */
export function startConsuming(context: Context<unknown>, state: StageState): void {
  const link = state.link;
  if (link === undefined || !link.open || link.consuming) return;
  if (state.draining || state.stopped || state.cancelled) return;
  const fixed = context.options.prefetch;
  if (fixed !== undefined) state.prefetch = fixed;
  else if (state.prefetch === 0) {
    state.prefetch = Math.min(AUTO_PREFETCH_MAX, Math.max(AUTO_PREFETCH_MIN, 2 * state.pending));
  }
  link.consuming = true;
  // A failure closes the channel (AMQP channel errors do): ChannelLost follows.
  consume(context, state, link).catch(() => {});
}

/**
 * The adaptive prefetch: demand waits, nothing is buffered, and the window is full of
 * deliveries still in the pipeline (in a batcher, being handled). A consumer's prefetch is
 * fixed when it starts, so a new consumer with twice the window replaces it; deliveries of the
 * old one stay on the channel and are settled there as usual.
 */
export function maybeGrow(context: Context<unknown>, state: StageState): void {
  const link = state.link;
  if (context.options.prefetch !== undefined || state.growing || link === undefined) return;
  if (!link.open || link.consumers.size === 0 || state.draining || state.cancelled) return;
  if (state.pending === 0 || state.head < state.buffer.length) return;
  if (link.unsettled < state.prefetch || state.prefetch >= AUTO_PREFETCH_MAX) return;
  state.growing = true;
  const old = [...link.consumers];
  state.prefetch = Math.min(AUTO_PREFETCH_MAX, state.prefetch * 2);
  (async () => {
    await consume(context, state, link);
    for (const tag of old) {
      link.consumers.delete(tag);
      await link.channel.cancel(tag);
    }
  })()
    .catch(() => {})
    .finally(() => {
      state.growing = false;
    });
}

/** `basic.cancel` for every consumer of `link`, not waited for. */
export function cancelConsumers(link: ChannelLink): void {
  if (!link.open) return;
  for (const tag of link.consumers) link.channel.cancel(tag).catch(() => {});
  link.consumers.clear();
}
