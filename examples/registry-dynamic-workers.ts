/**
 * A Registry naming dynamically supervised workers, and finding them by key.
 *
 * One worker per chat room, started on demand under a DynamicSupervisor. Each worker is started
 * under the via-name `Registry.via(rooms, roomId)`, so:
 *
 * - callers reach a room by its id, never holding a pid: `GenServer.call(Registry.via(rooms, id), ...)`;
 * - a room that crashes is restarted by the supervisor under the same name: callers keep using the
 *   id, and the registry's listeners hear of the new registration;
 * - a room that is stopped frees its id at once (its entry goes with its process), and the id can
 *   be started again;
 * - `Registry.lookup` is a plain synchronous read of the registry's table: no message.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/registry-dynamic-workers.ts`
 */
import { pathToFileURL } from "node:url";
import {
  DynamicSupervisor,
  GenServer,
  type Pid,
  Registry,
  type RegistryEvent,
  reply,
  type Self,
  Task,
} from "beamish";

/** A chat room: it keeps the messages posted to it. */
interface Room {
  calls: { post(text: string): number; history(): string[] };
  casts: { crash(): void };
}

const room: GenServer.Definition<Room, string[], string> = {
  init: () => [],
  handleCall: {
    post: (text, _from, messages) => reply(messages.length + 1, [...messages, text]),
    history: (_, _from, messages) => reply(messages, messages),
  },
  handleCast: {
    crash: () => {
      throw new Error("room crashed");
    },
  },
};

/** Starts a room under the supervisor, named by its id in the registry. */
function openRoom(supervisor: Pid, rooms: Registry<string>, id: string): Promise<Pid | undefined> {
  return DynamicSupervisor.startChild(supervisor, {
    id,
    start: (sup: Self) =>
      GenServer.startLink(sup, room, id, { name: Registry.via<Room>(rooms, id) }),
  });
}

/** The pid behind a room id, read from the registry directly. */
function whereIs(rooms: Registry<string>, id: string): Pid | undefined {
  return Registry.lookup(rooms, id)[0]?.[0];
}

/** What the example found, for its test. */
export interface WorkersResult {
  readonly opened: string[];
  readonly posts: number[];
  readonly history: string[];
  readonly restartedUnderSameId: boolean;
  readonly historyAfterRestart: string[];
  readonly idFreedOnStop: boolean;
  readonly reopened: boolean;
  readonly rooms: number;
}

export async function main(log: (line: string) => void = console.log): Promise<WorkersResult> {
  // The client is a process of its own, so that it can listen to the registry.
  const client = Task.async(async (self): Promise<WorkersResult> => {
    const rooms = Registry.start<string>({ keys: "unique", listeners: [self.pid] });
    const supervisor = await DynamicSupervisor.start();
    const registered = async (id: string) => {
      const isRegistration = (m: unknown): m is RegistryEvent<string> =>
        (m as RegistryEvent<string>).type === "register" && (m as RegistryEvent<string>).key === id;
      return (await self.receive({ match: isRegistration })).pid;
    };

    const ids = ["lobby", "rust", "elixir"];
    for (const id of ids) await openRoom(supervisor, rooms, id);
    for (const id of ids) await registered(id);
    const opened = Registry.select(rooms).map(({ key }) => key);
    log(`rooms: ${opened.join(", ")}`);

    // Callers name a room by its id; the registry resolves it on each call.
    const lobby = Registry.via<Room>(rooms, "lobby");
    const posts = [
      await GenServer.call(lobby, "post", "hello"),
      await GenServer.call(lobby, "post", "anyone here?"),
    ];
    const history = await GenServer.call(lobby, "history");
    log(`lobby: ${history.join(" / ")}`);

    // A crash: the supervisor restarts the room under the same id, with a fresh state.
    const before = whereIs(rooms, "lobby");
    GenServer.cast(lobby, "crash");
    const after = await registered("lobby");
    const restartedUnderSameId = before !== undefined && !after.equals(before);
    const historyAfterRestart = await GenServer.call(lobby, "history");
    log(`lobby restarted: ${String(before)} -> ${String(after)}`);

    // Stopping a room frees its id at once; the id can be opened again.
    const rust = whereIs(rooms, "rust");
    if (rust !== undefined) await DynamicSupervisor.terminateChild(supervisor, rust);
    const idFreedOnStop = whereIs(rooms, "rust") === undefined;
    await openRoom(supervisor, rooms, "rust");
    const reopened = whereIs(rooms, "rust") !== undefined;
    log(`rust freed on stop: ${idFreedOnStop}, reopened: ${reopened}`);

    const count = Registry.count(rooms);
    await DynamicSupervisor.stop(supervisor);
    Registry.stop(rooms);
    return {
      opened,
      posts,
      history,
      restartedUnderSameId,
      historyAfterRestart,
      idFreedOnStop,
      reopened,
      rooms: count,
    };
  });
  return Task.await(client, 10_000);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
