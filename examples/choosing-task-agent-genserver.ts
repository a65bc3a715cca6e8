/**
 * Choosing between Task, Agent and GenServer: one job, a `GET /profile/:user` endpoint, needs
 * three kinds of concurrent work, and each gets the smallest tool that fits it.
 *
 * - Work whose result nobody waits for (tell the user their profile was viewed): `Task.start`.
 *   No state, no reply; an unlinked process, so a failing push cannot hurt the request.
 *   (Use `Task.async` + `Task.await` when you do want the result.)
 * - One value read and replaced by functions (a cache of loaded profiles): `Agent`. No protocol
 *   to declare: `get` and `update` take the function to run on the state inside the agent.
 * - State with rules, timers and replies that wait (a per-user sliding-window rate limiter):
 *   a typed `GenServer`. Several kinds of requests, `handleInfo` for its own `sendAfter`
 *   timers, and a deferred reply for callers that wait for a free slot.
 *
 * Run it: `node --import tsx --conditions=beamish-source examples/choosing-task-agent-genserver.ts`
 */
import { setTimeout as delay } from "node:timers/promises";
import { pathToFileURL } from "node:url";
import {
  Agent,
  type From,
  GenServer,
  noreply,
  reply,
  type Self,
  type Server,
  sendAfter,
  Task,
} from "beamish";

// --- the outside world, faked: a database and a push service -----------------------------------

interface Profile {
  readonly user: string;
  readonly name: string;
}

let databaseReads = 0;
async function loadProfile(user: string): Promise<Profile> {
  databaseReads++;
  await delay(1);
  return { user, name: user[0]?.toUpperCase() + user.slice(1) };
}

const pushed: string[] = [];
async function pushNotification(user: string, text: string, signal: AbortSignal): Promise<void> {
  await delay(2, undefined, { signal });
  pushed.push(`${user}: ${text}`);
}

// --- GenServer: a per-user sliding-window rate limiter -----------------------------------------

/**
 * The limiter's protocol, declared once: `GenServer.call(limiter, "tryAcquire", 42)` or a wrong
 * reply type does not compile.
 */
interface RateLimiter {
  calls: {
    /** Takes a slot for `user` if one is free now; replies whether it did. */
    tryAcquire(user: string): boolean;
    /** Waits until a slot for `user` is free, then takes it (a deferred reply). */
    acquire(user: string): true;
    /** Slots of `user` taken within the window. */
    inUse(user: string): number;
  };
  casts: {
    /** Changes the limit, e.g. on a configuration reload; waiting callers get the new slots. */
    setLimit(limit: number): void;
  };
}

interface LimiterState {
  limit: number;
  readonly windowMs: number;
  /** Slots taken per user in the last `windowMs`; users with none are deleted, so memory follows active users. */
  readonly used: Map<string, number>;
  /** Callers of `acquire` waiting for a slot, per user, first come first served. */
  readonly waiting: Map<string, Array<From<true>>>;
}

/** The message a slot's own timer sends when the slot leaves the window. */
interface Expire {
  readonly type: "expire";
  readonly user: string;
}
const isExpire = (message: unknown): message is Expire =>
  typeof message === "object" && message !== null && (message as Expire).type === "expire";

/**
 * Each slot taken starts a `sendAfter` timer for the window's length: when it fires, that slot
 * leaves the window. No clock is read and no sweep runs; timers and slots are one to one.
 */
function take(user: string, state: LimiterState, self: Self): void {
  state.used.set(user, (state.used.get(user) ?? 0) + 1);
  sendAfter(self.pid, { type: "expire", user } satisfies Expire, state.windowMs);
}

/** Hands free slots of `user` to the callers waiting for them, oldest first. */
function serveWaiting(user: string, state: LimiterState, self: Self) {
  const queue = state.waiting.get(user);
  while (queue !== undefined && queue.length > 0 && (state.used.get(user) ?? 0) < state.limit) {
    take(user, state, self);
    GenServer.reply(queue.shift() as From<true>, true);
  }
  if (queue?.length === 0) state.waiting.delete(user);
}

const rateLimiter: GenServer.Definition<
  RateLimiter,
  LimiterState,
  { limit: number; windowMs: number }
> = {
  init: ({ limit, windowMs }) => ({ limit, windowMs, used: new Map(), waiting: new Map() }),
  // The state is private to the server's process, so handlers may change it in place: no other
  // code can see it between two messages.
  handleCall: {
    tryAcquire: (user, _from, state, self) => {
      if ((state.used.get(user) ?? 0) >= state.limit) return reply(false, state);
      take(user, state, self);
      return reply(true, state);
    },
    acquire: (user, from, state, self) => {
      if ((state.used.get(user) ?? 0) < state.limit && !state.waiting.has(user)) {
        take(user, state, self);
        return reply(true, state);
      }
      // Deferred reply: keep `from`, answer from handleInfo once a slot frees. The server goes
      // on serving other users meanwhile; only this caller waits.
      state.waiting.set(user, [...(state.waiting.get(user) ?? []), from]);
      return noreply(state);
    },
    inUse: (user, _from, state) => reply(state.used.get(user) ?? 0, state),
  },
  handleCast: {
    setLimit: (limit, state, self) => {
      state.limit = limit;
      for (const user of [...state.waiting.keys()]) serveWaiting(user, state, self);
      return state;
    },
  },
  handleInfo: (message, state, self) => {
    if (!isExpire(message)) return state;
    const left = (state.used.get(message.user) ?? 1) - 1;
    if (left === 0) state.used.delete(message.user);
    else state.used.set(message.user, left);
    serveWaiting(message.user, state, self);
    return state;
  },
};

// --- the endpoint: the three tools together ------------------------------------------------------

interface Services {
  readonly limiter: Server<RateLimiter>;
  readonly profiles: Agent<Map<string, Profile>>;
}

async function getProfile(
  services: Services,
  user: string,
): Promise<{ status: 200; profile: Profile } | { status: 429 }> {
  if (!(await GenServer.call(services.limiter, "tryAcquire", user))) return { status: 429 };
  return { status: 200, profile: await viewProfile(services, user) };
}

async function viewProfile({ profiles }: Services, user: string): Promise<Profile> {
  // Agent: read through the cache; on a miss load outside the agent (so a slow database never
  // blocks other readers) and store the result with `update`.
  let profile = await Agent.get(profiles, (cache) => cache.get(user));
  if (profile === undefined) {
    const loaded = await loadProfile(user);
    await Agent.update(profiles, (cache) => cache.set(user, loaded));
    profile = loaded;
  }
  // Task.start: fire and forget. The response does not wait for the push, and the task is not
  // linked to anyone: if the push service fails, the crash is reported and nothing else dies.
  Task.start((task) => pushNotification(user, "someone viewed your profile", task.signal));
  return profile;
}

/** What {@link main} reports. */
export interface ChoosingResult {
  /** Status of each request, in order. */
  readonly statuses: number[];
  /** alice's slots in the window after the burst. */
  readonly slotsInUse: number;
  /** Profiles read from the database; the rest came from the Agent cache. */
  readonly databaseReads: number;
  /** Whether the caller of `acquire` got its slot once the window moved on. */
  readonly waitedForSlot: boolean;
  /** Notifications the fire-and-forget tasks delivered. */
  readonly notifications: number;
}

/** Runs the endpoint: a burst of requests, a limited one, and one that waits for its slot. */
export async function main(log: (line: string) => void = console.log): Promise<ChoosingResult> {
  databaseReads = 0;
  pushed.length = 0;
  const limiter = await GenServer.start(rateLimiter, { limit: 2, windowMs: 100 });
  const profiles = await Agent.start(() => new Map<string, Profile>());
  const services = { limiter, profiles };

  const statuses: number[] = [];
  const request = async (user: string) => {
    const response = await getProfile(services, user);
    statuses.push(response.status);
    log(`GET /profile/${user} -> ${response.status}`);
  };
  for (const user of ["alice", "bob", "alice", "alice"]) await request(user);
  const slotsInUse = await GenServer.call(limiter, "inUse", "alice");

  // alice used her 2 slots: `acquire` waits (a deferred reply) until one leaves the window.
  const waitedForSlot = await GenServer.call(limiter, "acquire", "alice");
  await viewProfile(services, "alice");
  log(`alice waited for a free slot: ${waitedForSlot}`);

  // A configuration reload raises the limit. The cast returns at once, yet the next request sees
  // the new limit: messages from one sender to one process arrive in the order sent.
  GenServer.cast(limiter, "setLimit", 5);
  await request("alice");

  await Agent.stop(profiles);
  await GenServer.stop(limiter);
  // A real service keeps running; this program gives the fire-and-forget pushes a moment.
  await delay(20);
  log(`database reads: ${databaseReads}, notifications pushed: ${pushed.length}`);
  return { statuses, slotsInUse, databaseReads, waitedForSlot, notifications: pushed.length };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) await main();
