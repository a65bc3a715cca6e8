/**
 * @internal The terminator: the last child of a pipeline's supervisor, so the first stopped.
 * Stopping it is a graceful stop of the pipeline: the producers drain, the drain cascades
 * through processors and batchers as subscription cancels, and it waits (up to
 * `shutdownTimeout`) until every stage downstream of the producers has finished and exited.
 */
import { send, whereis } from "../kernel/api.js";
import { isDownMessage, isExitMessage } from "../kernel/exit.js";
import type { Pid, Ref } from "../kernel/pid.js";
import type { Process, Self } from "../kernel/process.js";
import { TIMEOUT } from "../kernel/self.js";
import type { Core } from "./core.js";
import { DRAIN } from "./producer-stage.js";

export function startTerminator(supervisor: Self, core: Core): Pid {
  const parent = supervisor.pid;
  return supervisor.spawnLink(
    async (self) => {
      const signal = await self.receive({
        match: (m) => isExitMessage(m) && m.from === parent,
      });
      await drain(self, core);
      // The processors' threads outlive no drain: they would keep Node running.
      await core.threads?.stop().catch((error: unknown) => core.report(self, error));
      if (isExitMessage(signal)) self.exit(signal.reason);
    },
    { trapExit: true, name: `${core.name}.terminator` },
  );
}

async function drain(self: Self, core: Core): Promise<void> {
  core.stopping = true;
  const watched = new Set<Ref>();
  for (const name of downstreamNames(core)) {
    const pid = whereis(name);
    if (pid !== undefined) watched.add(self.monitor(pid));
  }
  for (let i = 0; i < core.producerConcurrency; i++) {
    const pid = whereis(core.producerName(i));
    if (pid !== undefined) send(pid, DRAIN);
  }
  const clock = (self as Process).runtime.clock;
  const deadline = clock.now() + core.shutdownTimeout;
  while (watched.size > 0) {
    const timeout = Math.max(0, Math.ceil(deadline - clock.now()));
    const down = await self.receive({
      match: (m) => isDownMessage(m) && watched.has(m.ref),
      timeout,
    });
    if (down === TIMEOUT) return;
    if (isDownMessage(down)) watched.delete(down.ref);
  }
}

function* downstreamNames(core: Core): Generator<string> {
  for (let i = 0; i < core.processorConcurrency; i++) yield core.processorName(i);
  for (const batcher of core.batchers) {
    yield core.batcherName(batcher.name);
    for (let i = 0; i < batcher.concurrency; i++) yield core.batchProcessorName(batcher.name, i);
  }
}
