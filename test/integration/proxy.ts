// A loopback TCP proxy in front of a broker, so that a test can drop every client connection
// mid-stream (as a network failure or a broker restart would) and let clients reconnect.
import { connect, createServer, type Server, type Socket } from "node:net";

export interface Proxy {
  /** The port clients connect to (on 127.0.0.1). */
  readonly port: number;
  /** Connections through the proxy so far. */
  readonly connections: number;
  /** Destroys every open connection, both sides; new connections are still accepted. */
  cut(): void;
  /** While refusing, new connections are closed at once (a broker that is down). */
  refuse(flag: boolean): void;
  close(): Promise<void>;
}

/** Starts a proxy from an ephemeral port on 127.0.0.1 to `targetPort`. */
export async function startProxy(targetPort: number, targetHost = "127.0.0.1"): Promise<Proxy> {
  const open = new Set<Socket>();
  let refusing = false;
  let connections = 0;
  const server: Server = createServer((client) => {
    if (refusing) {
      client.destroy();
      return;
    }
    connections++;
    const upstream = connect(targetPort, targetHost);
    open.add(client);
    open.add(upstream);
    const drop = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", drop).on("close", drop);
    upstream.on("error", drop).on("close", drop);
    client.pipe(upstream);
    upstream.pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  if (address === null || typeof address === "string") throw new Error("proxy has no port");
  return {
    port: address.port,
    get connections() {
      return connections;
    },
    cut() {
      for (const socket of open) socket.destroy();
      open.clear();
    },
    refuse(flag) {
      refusing = flag;
    },
    close() {
      for (const socket of open) socket.destroy();
      open.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}
