/**
 * @internal A publisher of raw bodies to a fresh Redis stream, for `beamish demo --broker
 * redis`. It lives here because node-redis may be loaded only inside this folder. Each entry
 * has two fields, `line` and `body`; node-redis pipelines the XADDs of a window.
 */
import { createClient } from "redis";

/** XADDs awaiting their reply, at most. */
const window = 1_000;

/** @internal What `beamish demo` publishes through: one stream, deleted by `remove`. */
export interface RedisLinePublisher {
  publish(body: string, line: number): undefined | Promise<void>;
  /** Resolves once Redis added every entry published. */
  flush(): Promise<void>;
  /** Deletes the stream (and its groups) and closes the connection. */
  remove(): Promise<void>;
}

/** @internal Connects to `url`; entries go to the stream `stream`. */
export async function openRedisPublisher(url: string, stream: string): Promise<RedisLinePublisher> {
  const client = createClient({
    url,
    name: "beamish-demo",
    // A few tries, then the error: a demo pointed at no Redis should say so, not wait.
    socket: { reconnectStrategy: (retries, cause) => (retries >= 3 ? cause : 200) },
  });
  client.on("error", () => {
    // Reported by the command that fails; without a listener node-redis would throw it.
  });
  await client.connect();
  let pending: Promise<unknown>[] = [];
  const flush = async () => {
    const waiting = pending;
    pending = [];
    await Promise.all(waiting);
  };
  return {
    publish(body, line) {
      pending.push(client.xAdd(stream, "*", { line: String(line), body }));
      return pending.length >= window ? flush() : undefined;
    },
    flush,
    async remove() {
      try {
        await client.del(stream);
      } finally {
        client.destroy();
      }
    },
  };
}
