/**
 * An in-memory producer with a back-pressured `push`: a bounded queue shared by the pipeline's
 * producer stages. `push` resolves once the message is in the queue (at once while there is
 * room, later when the pipeline has taken enough), and rejects once the pipeline is stopping.
 */
import { send } from "../../kernel/api.js";
import { checkPositiveInteger } from "../../kernel/options.js";
import type { Pid } from "../../kernel/pid.js";
import { Queue } from "../../kernel/queue.js";
import { emit } from "../../stage/definition.js";
import type { ProducerDefinition, ProducerResult } from "../definition.js";
import { PipelineStoppingError } from "../errors.js";
import { Message } from "../message.js";
import { type AckSummary, type OnAck, Settlement } from "./settlement.js";

/** Options of `Pipeline.memory`. */
export interface MemoryProducerOptions<T> {
  /** Messages the queue holds before `push` waits. Default 1000. */
  readonly capacity?: number;
  readonly onAck?: OnAck<T>;
}

/** A producer fed by `push`. */
export interface MemoryProducer<T> extends ProducerDefinition<T, StageState> {
  /**
   * Queues `data` as a message; resolves when it is queued, rejects with
   * `PipelineStoppingError` once the pipeline is stopping (or after `close()`).
   */
  push(data: T, metadata?: Record<string, unknown>): Promise<void>;
  /** Messages queued, not yet taken by the pipeline. */
  readonly size: number;
  /** Takes no more messages; `done` resolves once the queued ones are acknowledged. */
  close(): void;
  /** Resolves after `close()` (or a stop) once every queued message was acknowledged. */
  readonly done: Promise<AckSummary>;
}

interface StageState {
  readonly pid: Pid;
  /** Demanded and not yet given. */
  demand: number;
  woken: boolean;
}

interface Waiter<T> {
  readonly message: Message<T>;
  readonly resolve: () => void;
  readonly reject: (error: unknown) => void;
}

const WAKE = Symbol("beamish.pipeline.memory.wake");

/**
 * A producer whose messages come from `push`.
 *
 * @example
 * ```ts
 * const inbox = Pipeline.memory<string>({ capacity: 100 });
 * const pipeline = await Pipeline.start({
 *   producer: { module: inbox },
 *   processors: { default: { concurrency: 2 } },
 *   handleMessage: (_p, message) => message,
 * });
 * await inbox.push("hello"); // waits while 100 messages are queued
 * inbox.close();
 * console.log(await inbox.done); // { successful: 1, failed: 0 }
 * await pipeline.stop();
 * ```
 */
export function memoryProducer<T>(options: MemoryProducerOptions<T> = {}): MemoryProducer<T> {
  const capacity =
    options.capacity === undefined ? 1000 : checkPositiveInteger(options.capacity, "capacity");
  const settlement = new Settlement<T>("memory", options.onAck);
  const queue = new Queue<Message<T>>();
  const waiting = new Queue<Waiter<T>>();
  const stages: StageState[] = [];
  let pipeline = "pipeline";
  let closed = false;

  const wake = () => {
    for (const stage of stages) {
      if (stage.demand > 0 && !stage.woken && queue.length > 0) {
        stage.woken = true;
        send(stage.pid, WAKE);
      }
    }
  };
  const admit = () => {
    while (waiting.length > 0 && queue.length < capacity) {
      const waiter = waiting.shift() as Waiter<T>;
      queue.push(waiter.message);
      waiter.resolve();
    }
  };
  const take = (stage: StageState, all: boolean): ProducerResult<T, StageState> => {
    const n = all ? queue.length : Math.min(stage.demand, queue.length);
    if (n === 0) return stage;
    const out = new Array<Message<T>>(n);
    for (let i = 0; i < n; i++) out[i] = queue.shift() as Message<T>;
    stage.demand = Math.max(0, stage.demand - n);
    admit();
    return emit(out, stage);
  };
  const stop = () => {
    if (closed) return;
    closed = true;
    while (waiting.length > 0) {
      (waiting.shift() as Waiter<T>).reject(new PipelineStoppingError(pipeline));
    }
  };

  return {
    name: "memory",
    done: settlement.done,
    get size() {
      return queue.length;
    },
    push(data, metadata) {
      if (closed) return Promise.reject(new PipelineStoppingError(pipeline));
      const message = new Message(data, settlement, undefined, undefined, metadata);
      settlement.emitted++;
      if (queue.length < capacity && waiting.length === 0) {
        queue.push(message);
        wake();
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => {
        waiting.push({ message, resolve, reject });
      });
    },
    close() {
      // Waiting pushes were never queued: they are not the pipeline's to finish.
      const refused = waiting.length;
      stop();
      settlement.emitted -= refused;
      settlement.end();
    },
    init(context, self) {
      pipeline = context.pipeline;
      const stage: StageState = { pid: self.pid, demand: 0, woken: false };
      stages.push(stage);
      return stage;
    },
    handleDemand(demand, stage) {
      stage.demand += demand;
      return take(stage, false);
    },
    handleInfo(message, stage) {
      if (message !== WAKE) return stage;
      stage.woken = false;
      const result = take(stage, false);
      wake();
      return result;
    },
    prepareForDraining(stage) {
      const refused = waiting.length;
      stop();
      settlement.emitted -= refused;
      settlement.end();
      // Everything queued was accepted: it goes through the pipeline before it stops.
      return take(stage, true);
    },
    terminate(_reason, stage) {
      const at = stages.indexOf(stage);
      if (at >= 0) stages.splice(at, 1);
    },
  };
}
