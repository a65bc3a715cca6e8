/**
 * Consumer groups: two kinds of consumer, each with its own concurrency and demand, on one
 * producer.
 *
 * A job queue carries two kinds of job: thumbnails (slow, CPU-ish: at most 2 at once) and emails
 * (fast, I/O: up to 5 at once). One producer emits them all; a PartitionDispatcher routes each
 * job by its kind to one of two partitions, and each partition is consumed by a
 * ConsumerSupervisor, which starts a process per job:
 *
 * - `new PartitionDispatcher({ partitions: ["thumbnail", "email"], hash: (job) => job.kind })`:
 *   every job goes to the group of its kind, and only there;
 * - `ConsumerSupervisor.start({ child, subscribeTo: [{ to: jobs, partition: "email", maxDemand: 5 }] })`:
 *   the group's `maxDemand` is its concurrency: the supervisor asks the producer for another job
 *   only when one of its children has exited;
 * - each group pulls at its own pace: the slow thumbnails never hold the emails back (beyond the
 *   producer's total demand), and the producer is never asked for more than both groups can take.
 *
 * With a DemandDispatcher instead, both groups would share one stream of jobs (any job to
 * whichever group asks first): the way to split one kind of work over groups of different sizes.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/stage-consumer-groups.ts`
 */
import { pathToFileURL } from "node:url";
import {
  ConsumerSupervisor,
  GenStage,
  PartitionDispatcher,
  type Pid,
  type Self,
  send,
  Task,
} from "beamish";

type Kind = "thumbnail" | "email";

interface Job {
  readonly id: number;
  readonly kind: Kind;
}

/** The group settings: how many jobs of a kind run at once, and how long one takes (ms). */
const groups: Record<Kind, { readonly concurrency: number; readonly work: number }> = {
  thumbnail: { concurrency: 2, work: 4 },
  email: { concurrency: 5, work: 1 },
};

/** 30 jobs, one thumbnail for every two emails. */
const queue: Job[] = Array.from({ length: 30 }, (_, id) => ({
  id,
  kind: id % 3 === 0 ? "thumbnail" : "email",
}));

/** A producer emitting the jobs of `queue` as demand comes, then nothing. */
const jobs: GenStage.Definition<never, Job, number, undefined> = {
  init: () =>
    GenStage.producer(0, {
      dispatcher: new PartitionDispatcher<Job>({
        partitions: ["thumbnail", "email"],
        hash: (job) => job.kind,
      }),
    }),
  handleDemand: (demand, next) => {
    const batch = queue.slice(next, next + demand);
    return GenStage.emit(batch, next + batch.length);
  },
};

/** What the example found, for its test. */
export interface GroupsResult {
  /** Jobs handled per kind. */
  readonly handled: Record<Kind, number>;
  /** Every job was handled once, by a worker of its own kind. */
  readonly eachJobOnceByItsKind: boolean;
  /** No group ever ran more jobs at once than its concurrency. */
  readonly withinConcurrency: boolean;
}

export async function main(log: (line: string) => void = console.log): Promise<GroupsResult> {
  const running: Record<Kind, number> = { thumbnail: 0, email: 0 };
  const peak: Record<Kind, number> = { thumbnail: 0, email: 0 };

  // The worker of one job: a process of its own, started by its group's ConsumerSupervisor.
  const worker = (owner: Pid, kind: Kind) => (supervisor: Self, job: Job) =>
    supervisor.spawnLink(async (self) => {
      running[kind]++;
      peak[kind] = Math.max(peak[kind], running[kind]);
      try {
        await self.sleep(groups[kind].work);
      } finally {
        running[kind]--;
      }
      send(owner, { done: job, by: kind });
    });

  const run = Task.async(async (self): Promise<GroupsResult> => {
    const producer = await GenStage.start(jobs, undefined);
    const supervisors = [];
    for (const kind of ["thumbnail", "email"] as const) {
      const { concurrency } = groups[kind];
      supervisors.push(
        await ConsumerSupervisor.start({
          child: { start: worker(self.pid, kind) },
          // minDemand 0: ask for one more job as soon as one worker is done.
          subscribeTo: [{ to: producer, partition: kind, maxDemand: concurrency, minDemand: 0 }],
        }),
      );
    }

    const handled: Record<Kind, number> = { thumbnail: 0, email: 0 };
    const seen = new Set<number>();
    let eachJobOnceByItsKind = true;
    for (let i = 0; i < queue.length; i++) {
      const { done, by } = (await self.receive({
        match: (m) => typeof m === "object" && m !== null && "done" in m,
      })) as { done: Job; by: Kind };
      if (seen.has(done.id) || done.kind !== by) eachJobOnceByItsKind = false;
      seen.add(done.id);
      handled[by]++;
    }
    for (const kind of ["thumbnail", "email"] as const) {
      log(
        `${kind}: ${handled[kind]} jobs, at most ${peak[kind]} at once (concurrency ${groups[kind].concurrency})`,
      );
    }

    for (const sup of supervisors) await ConsumerSupervisor.stop(sup);
    await GenStage.stop(producer);
    return {
      handled,
      eachJobOnceByItsKind,
      withinConcurrency:
        peak.thumbnail <= groups.thumbnail.concurrency && peak.email <= groups.email.concurrency,
    };
  });
  return Task.await(run, 10_000);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
