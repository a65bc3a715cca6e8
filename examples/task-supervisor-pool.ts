/**
 * A worker pool on a Task.Supervisor: jobs run as supervised tasks, a few at a time, and a job
 * that crashes is reported as a failed job, never taking down the pool or the code that fed it.
 *
 * - `TaskSupervisor.start({ name: "jobs", maxChildren })`: the pool; `maxChildren` caps the tasks
 *   running under it, whoever starts them.
 * - `TaskSupervisor.asyncStreamNolink("jobs", jobs, run, { maxConcurrency })`: a lazy, bounded
 *   stream of results. Each job runs in a task of its own, a child of the pool, not linked to the
 *   caller: a crash comes back as `{ status: "exit", reason }` in the job's place.
 * - `TaskSupervisor.asyncNolink` + `Task.yield`: one job on its own, with the same guarantee.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/task-supervisor-pool.ts`
 */
import { pathToFileURL } from "node:url";
import { isAlive, Task, TaskSupervisor, whereis } from "beamish";

/** A job: an image to make a thumbnail of. A corrupt one makes the decoder throw. */
interface Job {
  readonly file: string;
  readonly ms: number;
}

const jobs: Job[] = [
  { file: "cat.jpg", ms: 12 },
  { file: "dog.png", ms: 4 },
  { file: "corrupt.png", ms: 6 },
  { file: "tree.gif", ms: 8 },
  { file: "sea.jpg", ms: 3 },
  { file: "sky.webp", ms: 10 },
  { file: "road.jpg", ms: 5 },
];

/** What {@link main} reports. */
export interface PoolResult {
  /** Thumbnails made, in job order. */
  readonly done: string[];
  /** Jobs that crashed, with what they crashed with. */
  readonly failed: Array<{ file: string; reason: string }>;
  /** The most jobs that ran at once: never more than `maxConcurrency`. */
  readonly peakConcurrency: number;
  /** A single job started on its own with `asyncNolink`, which crashed. */
  readonly single: { status: string; reason: string };
  /** The caller and the pool are alive, and no task is left over. */
  readonly callerAlive: boolean;
  readonly poolAlive: boolean;
  readonly tasksLeft: number;
}

export async function main(log: (line: string) => void = console.log): Promise<PoolResult> {
  const pool = await TaskSupervisor.start({ name: "jobs", maxChildren: 10 });
  let running = 0;
  let peakConcurrency = 0;

  // The job itself, run in its task: `task.sleep` stands for the decoding work.
  const thumbnail = async (job: Job, task: { sleep(ms: number): Promise<void> }) => {
    peakConcurrency = Math.max(peakConcurrency, ++running);
    try {
      await task.sleep(job.ms);
      if (job.file.startsWith("corrupt")) throw new Error(`cannot decode ${job.file}`);
      return `${job.file}.thumb`;
    } finally {
      running--;
    }
  };

  // The caller is a process of its own, as a request handler or a queue consumer would be.
  const caller = Task.async(async (self) => {
    const done: string[] = [];
    const failed: PoolResult["failed"] = [];
    let index = 0;
    for await (const result of TaskSupervisor.asyncStreamNolink("jobs", jobs, thumbnail, {
      maxConcurrency: 3,
    })) {
      const job = jobs[index++] as Job;
      if (result.status === "ok") done.push(result.value);
      else failed.push({ file: job.file, reason: String((result.reason as Error).message) });
    }
    log(`pool: made ${done.length} thumbnails, ${failed.length} failed (${failed[0]?.reason})`);

    const one = await TaskSupervisor.asyncNolink("jobs", self, (task) =>
      thumbnail({ file: "corrupt-too.png", ms: 1 }, task),
    );
    const outcome = await Task.yield(one, 1000);
    const single = {
      status: outcome?.status ?? "running",
      reason: outcome?.status === "exit" ? (outcome.reason as Error).message : "",
    };
    log(`single job: ${single.status} (${single.reason}); caller still alive`);
    return { done, failed, single, callerAlive: isAlive(self.pid) };
  });
  const { done, failed, single, callerAlive } = await Task.await(caller, 10_000);

  const tasksLeft = (await TaskSupervisor.children("jobs")).length;
  const poolAlive = whereis("jobs")?.equals(pool) === true;
  log(`peak concurrency ${peakConcurrency}; pool alive: ${poolAlive}; tasks left: ${tasksLeft}`);
  await TaskSupervisor.stop("jobs");
  return { done, failed, peakConcurrency, single, callerAlive, poolAlive, tasksLeft };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
