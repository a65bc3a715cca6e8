/**
 * A supervision tree, and what it does when things crash.
 *
 *   root (restForOne)
 *   ├── config    an Agent holding settings
 *   ├── cache     a GenServer; restForOne: if it dies, everything started after it restarts too
 *   └── workers   a Supervisor (oneForAll): if one worker dies, both restart together
 *       ├── w1
 *       └── w2
 *
 * Then the tree stops: children in reverse order, each within its shutdown time.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/supervision-tree.ts`
 */
import { pathToFileURL } from "node:url";
import { exit, type GenServer, type Pid, Supervisor } from "beamish";

/** A GenServer that only says when it starts and stops. */
function loud(
  log: (line: string) => void,
): GenServer.Definition<{ calls: Record<never, never> }, string, string> {
  return {
    init: (name) => name,
    terminate: (reason, name) => log(`  terminate ${name} (${String(reason)})`),
  };
}

/** Which children got a new pid between two listings. */
async function restartedSince(sup: Pid, before: Map<string, unknown>): Promise<string[]> {
  const now = await Supervisor.whichChildren(sup);
  return now.filter((c) => before.get(c.id) !== c.pid).map((c) => c.id);
}

async function snapshot(sup: Pid): Promise<Map<string, unknown>> {
  return new Map((await Supervisor.whichChildren(sup)).map((c) => [c.id, c.pid]));
}

/** What {@link main} observed. */
export interface TreeResult {
  readonly started: string[];
  readonly afterCacheCrash: string[];
  readonly afterWorkerCrash: string[];
}

export async function main(log: (line: string) => void = console.log): Promise<TreeResult> {
  const server = (id: string) => Supervisor.genServer(id, loud(log), id, { trapExit: true });
  const root = await Supervisor.start(
    [
      Supervisor.agent("config", () => ({ retries: 3 })),
      server("cache"),
      Supervisor.supervisor("workers", [server("w1"), server("w2")], { strategy: "oneForAll" }),
    ],
    { strategy: "restForOne" },
  );
  const started = (await Supervisor.whichChildren(root)).map((c) => c.id);
  log(`started: ${started.join(", ")}`);

  let before = await snapshot(root);
  exit(before.get("cache") as Pid, "kill");
  const afterCacheCrash = await restartedSince(root, before);
  log(`cache killed -> restarted: ${afterCacheCrash.join(", ")} (config kept its pid)`);

  const workers = (await snapshot(root)).get("workers") as Pid;
  before = await snapshot(workers);
  exit(before.get("w1") as Pid, "kill");
  const afterWorkerCrash = await restartedSince(workers, before);
  log(`w1 killed -> restarted: ${afterWorkerCrash.join(", ")}`);

  log("stopping the tree:");
  await Supervisor.stop(root);
  return { started, afterCacheCrash, afterWorkerCrash };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
