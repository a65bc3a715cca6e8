/**
 * The entry of a worker thread: a node of its own (runtime, scheduler, transport), connected to
 * the main thread through its parent port and to every other worker through a channel of its
 * own. Loaded by the bootstrap of cluster.ts, never imported.
 */
import { type MessagePort, parentPort, workerData } from "node:worker_threads";
import { Runtime, setCurrentRuntime } from "../kernel/runtime.js";
import { NodeTransport, type Port } from "./node.js";
import { spawnHandler } from "./spawn.js";

/** @internal What the main thread hands a worker at its start. */
export interface WorkerData {
  readonly node: number;
  readonly entry: string;
  readonly tsx: string | null;
  readonly peers: ReadonlyArray<{ node: number; port: MessagePort }>;
}

/** @internal Control messages from the main thread (batches are arrays). */
export type Control =
  | { readonly connect: { node: number; port: MessagePort } }
  | { readonly down: number };

const data = (workerData as { beamish: WorkerData }).beamish;
const runtime = new Runtime({ node: data.node });
setCurrentRuntime(runtime);
const transport = new NodeTransport(runtime);
transport.spawnHandler = spawnHandler(runtime);
runtime.transport = transport;
const ports = new Map<number, MessagePort>();

function listen(
  node: number,
  port: Port & { on(event: "message", f: (m: unknown) => void): unknown },
) {
  transport.connect(node, port);
  port.on("message", (message: unknown) => {
    if (Array.isArray(message)) transport.receive(node, message);
    else if (node === 0) control(message as Control);
  });
}

function control(message: Control): void {
  if ("connect" in message) {
    ports.set(message.connect.node, message.connect.port);
    listen(message.connect.node, message.connect.port);
  } else if ("down" in message) {
    transport.nodeDown(message.down);
    ports.get(message.down)?.close();
    ports.delete(message.down);
  }
}

const parent = parentPort as NonNullable<typeof parentPort>;
listen(0, parent);
for (const { node, port } of data.peers) {
  ports.set(node, port);
  listen(node, port);
}
parent.postMessage({ ready: data.node });
