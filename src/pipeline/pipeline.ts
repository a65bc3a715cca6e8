/**
 * A pipeline's handle and its supervision tree: the stages (producers, then processors, then
 * each batcher with its batch processors) under one `restForOne` supervisor, so that a crashed
 * stage restarts its group and everything downstream of it, in order; beside it the
 * terminator, stopped first, which drains the stages.
 */
import { StartError } from "../gen-server/errors.js";
import { send, whereis } from "../kernel/api.js";
import type { Pid } from "../kernel/pid.js";
import type { Self } from "../kernel/process.js";
import { currentRuntime } from "../kernel/runtime.js";
import { startLink as startStage } from "../stage/gen-stage.js";
import type { ChildSpec } from "../supervisor/child-spec.js";
import { ChildStartError } from "../supervisor/errors.js";
import * as Supervisor from "../supervisor/supervisor.js";
import { batchProcessorStage } from "./batch-processor-stage.js";
import { batcherStage } from "./batcher-stage.js";
import { type BatcherConfig, Core } from "./core.js";
import type { PipelineDefinition } from "./definition.js";
import { PipelineStoppingError } from "./errors.js";
import type { Message } from "./message.js";
import { type ParsedPipeline, parsePipeline } from "./options.js";
import { processorStage } from "./processor-stage.js";
import { Inject, producerStage } from "./producer-stage.js";
import { fromIterable } from "./producers/iterable.js";
import { memoryProducer } from "./producers/memory.js";
import { fromNdjson } from "./producers/ndjson.js";
import { testProducer } from "./producers/test.js";
import { RateLimiter } from "./rate-limiter.js";
import type { PipelineStats } from "./stats.js";
import { startTerminator } from "./terminator.js";
import { testBatch, testMessage, testMessages } from "./testing.js";

/** The stages of a running pipeline, by role, with their registered names. */
export interface Topology {
  readonly producers: readonly StageInfo[];
  readonly processors: Readonly<Record<string, readonly StageInfo[]>>;
  readonly batchers: Readonly<
    Record<string, { readonly batcher: StageInfo; readonly processors: readonly StageInfo[] }>
  >;
}

/** One stage: its name and its pid, if it is alive. */
export interface StageInfo {
  readonly name: string;
  readonly pid: Pid | undefined;
}

let unnamed = 0;

/**
 * What a stage gave as its reason for not starting (the producer's `init` error), out of the
 * wrappers of the supervisors between it and `start()`.
 */
function stageReason(error: unknown): unknown {
  let reason = error;
  while (
    (reason instanceof ChildStartError || reason instanceof StartError) &&
    reason.reason instanceof Error
  ) {
    reason = reason.reason;
  }
  return reason;
}

/**
 * A pipeline, made by `Pipeline.create` or `Pipeline.start`: start it, supervise it (see
 * {@link Pipeline.childSpec}), read its counters while it runs, stop it gracefully.
 *
 * @example
 * ```ts
 * const pipeline = await Pipeline.start(definition);
 * setInterval(() => console.log(pipeline.stats().succeeded), 1000).unref();
 * await pipeline.stop(); // drains: nothing in flight is lost
 * ```
 */
export class Pipeline<T = unknown> {
  readonly name: string;
  private readonly parsed: ParsedPipeline;
  private core: Core;
  private supervisor: Pid | undefined;
  private next = 0;

  /**
   * Validates `definition` and starts the pipeline. Rejects with `InvalidOptionsError` naming
   * every bad option, or with the reason a stage could not start.
   *
   * @example
   * ```ts
   * const pipeline = await Pipeline.start({
   *   producer: { module: Pipeline.fromIterable(["1", "2", "x"]) },
   *   processors: { default: { concurrency: 2 } },
   *   handleMessage: (_processor, message) =>
   *     message.update((s) => {
   *       const n = Number(s);
   *       if (Number.isNaN(n)) throw new Error(`not a number: ${s}`);
   *       return n;
   *     }),
   * });
   * ```
   */
  static start<T, C = undefined, B = unknown>(
    definition: PipelineDefinition<T, C, B>,
  ): Promise<Pipeline<T>> {
    try {
      return new Pipeline<T>(definition).start();
    } catch (error) {
      return Promise.reject(error);
    }
  }

  /**
   * Validates `definition` (throwing `InvalidOptionsError`) and returns the pipeline, not
   * started: start it with `start()` or supervise its `childSpec()`.
   *
   * @example
   * ```ts
   * const pipeline = Pipeline.create(definition);
   * await Application.start({ children: [pipeline.childSpec()] });
   * ```
   */
  static create<T, C = undefined, B = unknown>(
    definition: PipelineDefinition<T, C, B>,
  ): Pipeline<T> {
    return new Pipeline<T>(definition);
  }

  static readonly fromIterable = fromIterable;
  static readonly fromNdjson = fromNdjson;
  static readonly memory = memoryProducer;
  static readonly testProducer = testProducer;
  static readonly testMessage = testMessage;
  static readonly testMessages = testMessages;
  static readonly testBatch = testBatch;

  private constructor(definition: unknown) {
    this.parsed = parsePipeline(definition);
    this.name = this.parsed.name ?? `pipeline-${++unnamed}`;
    this.core = new Core(this.name, this.parsed);
  }

  /** The pid of the pipeline's supervisor while it runs. */
  get pid(): Pid | undefined {
    return this.supervisor;
  }

  /**
   * Starts the pipeline's supervision tree, unlinked. Rejects if a stage cannot start (the
   * producer's `init` failed: the broker is unreachable...), with that stage's reason.
   *
   * @example
   * ```ts
   * const pipeline = await Pipeline.create(definition).start();
   * ```
   */
  async start(): Promise<this> {
    try {
      this.supervisor = await Supervisor.start(this.children(), this.flags());
    } catch (error) {
      throw stageReason(error);
    }
    return this;
  }

  /**
   * A child spec for a supervisor or an Application: stopping the pipeline's supervisor (as
   * an Application does on SIGTERM) drains it gracefully, within `shutdownTimeout`.
   *
   * @example
   * ```ts
   * await Supervisor.start([pipeline.childSpec()], { strategy: "oneForOne" });
   * ```
   */
  childSpec(): ChildSpec {
    return {
      id: this.name,
      type: "supervisor",
      start: async (parent: Self) => {
        this.supervisor = await Supervisor.startLink(parent, this.children(), this.flags());
        return this.supervisor;
      },
    };
  }

  /**
   * Stops the pipeline gracefully: producers stop pulling, what is in flight goes through the
   * processors and batchers and is acknowledged, then every stage exits. Past
   * `shutdownTimeout` the rest is stopped hard: messages waiting in a batcher's open batches are
   * acknowledged as failed (reason `"shutdown"`, through `handleFailed`), those inside a
   * processor or a handler stay unacknowledged, with their source for redelivery. For a
   * pipeline started with `start()`.
   *
   * @example
   * ```ts
   * await pipeline.stop();
   * ```
   */
  async stop(): Promise<void> {
    const pid = this.supervisor;
    if (pid === undefined) return;
    this.core.stopping = true;
    await Supervisor.stop(pid, "shutdown");
  }

  /** True once `stop()` began, or the pipeline's supervisor is stopping. */
  get stopping(): boolean {
    return this.core.stopping;
  }

  /** The counters, summed and per stage. @example `pipeline.stats().inFlight` */
  stats(): PipelineStats {
    return this.core.counters.snapshot();
  }

  /** The stages and their pids. @example `pipeline.topology().processors.default.length` */
  topology(): Topology {
    const core = this.core;
    const info = (name: string): StageInfo => ({ name, pid: whereis(name) });
    const batchers: Record<string, { batcher: StageInfo; processors: StageInfo[] }> = {};
    for (const b of core.batchers) {
      batchers[b.name] = {
        batcher: info(core.batcherName(b.name)),
        processors: Array.from({ length: b.concurrency }, (_, i) =>
          info(core.batchProcessorName(b.name, i)),
        ),
      };
    }
    return {
      producers: Array.from({ length: core.producerConcurrency }, (_, i) =>
        info(core.producerName(i)),
      ),
      processors: {
        [core.group]: Array.from({ length: core.processorConcurrency }, (_, i) =>
          info(core.processorName(i)),
        ),
      },
      batchers,
    };
  }

  /**
   * @internal Puts messages straight into a producer stage (round robin), past the producer
   * but under the same demand and rate limit. Throws when the pipeline is stopping.
   */
  inject(messages: readonly Message<T>[]): void {
    if (this.core.stopping) throw new PipelineStoppingError(this.name);
    const index = this.next++ % this.core.producerConcurrency;
    const pid = whereis(this.core.producerName(index));
    if (pid === undefined) throw new PipelineStoppingError(this.name);
    send(pid, new Inject(messages));
  }

  /** Past the stages' own restart intensity, the pipeline gives up and exits. */
  private flags() {
    return { strategy: "oneForAll" as const, maxRestarts: 0, maxSeconds: 1, name: this.name };
  }

  /** A fresh Core per start: counters restart, the limiter takes the runtime's clock. */
  private children(): ChildSpec[] {
    const core = new Core(this.name, this.parsed);
    const limits = this.parsed.producer.rateLimiting;
    if (limits !== undefined) {
      core.limiter = new RateLimiter(
        limits.allowedMessages,
        limits.interval,
        currentRuntime().clock,
      );
    }
    this.core = core;
    const group = (
      id: string,
      strategy: "oneForOne" | "oneForAll",
      children: ChildSpec[],
      before?: () => Promise<void>,
    ) => ({
      id,
      type: "supervisor" as const,
      start: async (parent: Self) => {
        await before?.();
        return Supervisor.startLink(parent, children, { strategy, maxRestarts: 0, maxSeconds: 1 });
      },
    });
    const stage = (name: string, start: (parent: Self) => Promise<Pid>): ChildSpec => ({
      id: name,
      restart: "transient",
      start,
    });
    const producers = Array.from({ length: core.producerConcurrency }, (_, index) =>
      stage(core.producerName(index), (parent) =>
        startStage(parent, producerStage, { core, index }, { name: core.producerName(index) }),
      ),
    );
    const processors = Array.from({ length: core.processorConcurrency }, (_, index) =>
      stage(core.processorName(index), (parent) =>
        startStage(parent, processorStage, { core, index }, { name: core.processorName(index) }),
      ),
    );
    const batcher = (config: BatcherConfig): ChildSpec[] => [
      stage(core.batcherName(config.name), (parent) =>
        startStage(parent, batcherStage, { core, config }, { name: core.batcherName(config.name) }),
      ),
      ...Array.from({ length: config.concurrency }, (_, index) => {
        const name = core.batchProcessorName(config.name, index);
        return stage(name, (parent) =>
          startStage(parent, batchProcessorStage, { core, config, index }, { name }),
        );
      }),
    ];
    const stages: ChildSpec[] = [
      group("producers", "oneForOne", producers),
      // The processors' threads start with them (and again after a restart: start is idempotent).
      group(
        "processors",
        "oneForAll",
        processors,
        () => core.threads?.start() ?? Promise.resolve(),
      ),
      ...core.batchers.map((config) =>
        group(`batcher.${config.name}`, "oneForAll", batcher(config)),
      ),
    ];
    return [
      // The stages restart among themselves (a crash restarts its group and everything
      // downstream, in order) without touching the terminator, whose stop is a drain.
      {
        id: "stages",
        type: "supervisor",
        start: (parent: Self) =>
          Supervisor.startLink(parent, stages, {
            strategy: "restForOne",
            maxRestarts: 3,
            maxSeconds: 5,
          }),
      },
      {
        id: "terminator",
        // The terminator's own deadline is shutdownTimeout; this margin lets it finish.
        shutdown: core.shutdownTimeout + 1000,
        start: (parent: Self) => startTerminator(parent, core),
      },
    ];
  }
}
