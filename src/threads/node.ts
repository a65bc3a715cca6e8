/**
 * One node's side of the local cluster: the transport it installs on its runtime. Messages and
 * signals to another node go into that node's outbox, flushed as one `postMessage` per tick;
 * a batch is a flat array of operations (an opcode, then its fixed fields), which structured
 * clone copies fastest. Each remote pid in use has a stand-in (RemoteProcess) that watches the
 * real process once; links are recorded on both nodes, so that either node going down breaks
 * them on the other.
 */
import { CastTag, PendingCall, StopRequest } from "../gen-server/call.js";
import { describeReason, type ExitReason } from "../kernel/exit.js";
import { attachHook, detachHook, ExitHook } from "../kernel/hooks.js";
import { Pid } from "../kernel/pid.js";
import type { Process } from "../kernel/process.js";
import { RemoteProcess, type Transport } from "../kernel/remote.js";
import type { Runtime } from "../kernel/runtime.js";
import { decode, encode, needsEncoding } from "./codec.js";
import { SpawnError, type SpawnRequest } from "./errors.js";

/** Either end of a channel to another thread. */
export interface Port {
  postMessage(value: unknown): void;
}

const SEND = 1;
const EXIT = 2;
const WATCH = 3;
const DOWN = 4;
const CALL = 5;
const CAST = 6;
const REPLY = 7;
const STOP = 8;
const SPAWN = 9;
const SPAWNED = 10;
const LINK = 11;
const UNLINK = 12;

/** The reason a process of a node that went down exits with, as Erlang's. */
export const NOCONNECTION = "noconnection";

/** How a node starts what another node asks it to (set by the worker bootstrap and the cluster). */
export type SpawnHandler = (request: SpawnRequest, linkTo: Pid | undefined) => Promise<Pid>;

class Peer {
  out: unknown[] = [];
  private scheduled = false;

  constructor(
    readonly node: number,
    readonly port: Port,
  ) {}

  push(...fields: unknown[]): void {
    for (let i = 0; i < fields.length; i++) this.out.push(fields[i]);
    if (!this.scheduled) {
      this.scheduled = true;
      queueMicrotask(this.flush);
    }
  }

  readonly flush = (): void => {
    this.scheduled = false;
    const batch = this.out;
    if (batch.length === 0) return;
    this.out = [];
    try {
      this.port.postMessage(batch);
    } catch (error) {
      // The sender-side scan refuses what it can name; what slips past it (a native handle) is
      // reported here rather than thrown into whichever process happened to flush.
      console.error(`[beamish] a batch to node ${this.node} could not be sent: ${error}`);
    }
  };
}

/** Watches a local process for the nodes that hold a stand-in of it. */
class Exported extends ExitHook {
  watchers: number[] = [];
  constructor(
    private readonly transport: NodeTransport,
    readonly pid: Pid,
  ) {
    super();
  }

  onExit(pid: Pid, reason: ExitReason): void {
    this.transport.exported.delete(pid.id);
    for (const node of this.watchers) this.transport.down(node, pid.id, reason);
  }
}

const key = (node: number, id: number): number => node * 4294967296 + id;

/** @internal The transport of one node. */
export class NodeTransport implements Transport {
  readonly node: number;
  readonly peers = new Map<number, Peer>();
  readonly stubs = new Map<number, RemoteProcess>();
  readonly exported = new Map<number, Exported>();
  private readonly calls = new Map<number, PendingCall>();
  private nextCall = 1;
  private readonly spawns = new Map<
    number,
    {
      node: number;
      request: SpawnRequest;
      resolve: (pid: Pid) => void;
      reject: (error: unknown) => void;
    }
  >();
  private nextSpawn = 1;
  private applying = false;
  private pendingCast: CastTag | null = null;
  private readonly castTags = new Map<string, CastTag>();
  spawnHandler: SpawnHandler | null = null;
  private readonly exportPid = (pid: Pid): void => this.export(pid);
  private readonly pidOfBound = (node: number, id: number): Pid => this.pidOf(node, id);

  constructor(readonly runtime: Runtime) {
    this.node = runtime.node;
  }

  /** Starts talking to `node` through `port`. */
  connect(node: number, port: Port): void {
    this.peers.set(node, new Peer(node, port));
  }

  /** True while `node` is connected. */
  has(node: number): boolean {
    return this.peers.has(node);
  }

  // ---- Transport: what the kernel asks ---------------------------------------------------

  remote(pid: Pid): RemoteProcess | undefined {
    return this.stubOf(pid.node, pid.id);
  }

  send(to: Pid, message: unknown): void {
    const peer = this.peers.get(to.node);
    const cast = this.pendingCast;
    if (cast !== null) {
      // A cast arrives as two deliveries (its tag, then its argument): they travel as one.
      this.pendingCast = null;
      if (peer === undefined) return;
      const flag = this.check(message, "cast argument");
      peer.push(
        CAST,
        to.id,
        cast.request,
        1,
        flag ? encode(message, this.exportPid) : message,
        flag,
      );
      return;
    }
    if (message instanceof PendingCall) {
      this.sendCall(peer, to, message);
      return;
    }
    if (message instanceof CastTag) {
      if (message.hasArg) this.pendingCast = message;
      else peer?.push(CAST, to.id, message.request, 0, undefined, false);
      return;
    }
    if (peer === undefined) return;
    if (message instanceof StopRequest) {
      const [reason, flag] = this.encodeReason(message.reason);
      peer.push(STOP, to.id, reason, flag);
      return;
    }
    const flag = this.check(message, "message");
    peer.push(SEND, to.id, flag ? encode(message, this.exportPid) : message, flag);
  }

  exitSignal(from: Pid, to: Pid, reason: ExitReason, viaLink: boolean): void {
    const peer = this.peers.get(to.node);
    if (peer === undefined) return;
    this.export(from);
    const [encoded, flag] = this.encodeReason(reason);
    peer.push(EXIT, from.node, from.id, to.id, encoded, flag, viaLink);
  }

  link(local: Pid, to: Pid): void {
    if (this.applying) return;
    this.export(local);
    this.peers.get(to.node)?.push(LINK, local.id, to.id);
  }

  unlink(local: Pid, to: Pid): void {
    if (this.applying) return;
    this.peers.get(to.node)?.push(UNLINK, local.id, to.id);
  }

  // ---- spawning on another node ----------------------------------------------------------

  /** Asks `node` to start what `request` names, linked to `linkTo` when given. */
  spawn(node: number, request: SpawnRequest, linkTo: Pid | undefined): Promise<Pid> {
    const peer = this.peers.get(node);
    if (peer === undefined) {
      return Promise.reject(new SpawnError(request, `node ${node} is not connected`));
    }
    let args: unknown;
    let flag: boolean;
    try {
      flag = this.check(request.args, "args");
      args = flag ? encode(request.args, this.exportPid) : request.args;
    } catch (error) {
      return Promise.reject(error);
    }
    if (linkTo !== undefined) this.export(linkTo);
    const id = this.nextSpawn++;
    return new Promise<Pid>((resolve, reject) => {
      this.spawns.set(id, { node, request, resolve, reject });
      peer.push(
        SPAWN,
        id,
        request.module,
        request.exportName,
        request.kind,
        args,
        flag,
        linkTo === undefined ? -1 : linkTo.id,
        request.name ?? null,
      );
    });
  }

  // ---- incoming --------------------------------------------------------------------------

  /** Applies a batch that `from` sent. */
  receive(from: number, batch: unknown[]): void {
    const peer = this.peers.get(from);
    if (peer === undefined) return;
    let i = 0;
    while (i < batch.length) {
      const op = batch[i] as number;
      switch (op) {
        case SEND: {
          const target = this.local(batch[i + 1] as number);
          const flag = batch[i + 3] as boolean;
          if (target !== undefined) {
            target.deliver(flag ? decode(batch[i + 2], this.pidOfBound) : batch[i + 2]);
          }
          i += 4;
          break;
        }
        case CALL: {
          const target = this.local(batch[i + 1] as number);
          if (target !== undefined) {
            const callId = batch[i + 2] as number;
            const arg = batch[i + 5] ? decode(batch[i + 4], this.pidOfBound) : batch[i + 4];
            const call = new PendingCall(target.pid, batch[i + 3] as string, arg, Infinity);
            call.resolve = (value) => this.reply(peer, callId, value);
            target.deliver(call);
          }
          // A call to a dead process needs no answer: the caller's stand-in gets `noproc`.
          i += 6;
          break;
        }
        case REPLY: {
          const call = this.calls.get(batch[i + 1] as number);
          if (call !== undefined) {
            this.calls.delete(batch[i + 1] as number);
            const value = batch[i + 4] ? decode(batch[i + 3], this.pidOfBound) : batch[i + 3];
            if (batch[i + 2]) call.reply(value);
            else failCall(call, value);
          }
          i += 5;
          break;
        }
        case CAST: {
          const target = this.local(batch[i + 1] as number);
          const hasArg = batch[i + 3] === 1;
          if (target !== undefined) {
            target.deliver(this.castTag(batch[i + 2] as string, hasArg));
            if (hasArg) {
              target.deliver(batch[i + 5] ? decode(batch[i + 4], this.pidOfBound) : batch[i + 4]);
            }
          }
          i += 6;
          break;
        }
        case EXIT: {
          const target = this.local(batch[i + 3] as number);
          if (target !== undefined) {
            const fromPid = this.pidOf(batch[i + 1] as number, batch[i + 2] as number);
            const reason = batch[i + 5] ? decode(batch[i + 4], this.pidOfBound) : batch[i + 4];
            const viaLink = batch[i + 6] as boolean;
            if (viaLink) this.applyUnlink(target, fromPid);
            target.exitSignal(fromPid, reason, viaLink);
          }
          i += 7;
          break;
        }
        case WATCH: {
          const id = batch[i + 1] as number;
          const exported = this.exported.get(id);
          if (exported !== undefined) {
            if (!exported.watchers.includes(from)) exported.watchers.push(from);
          } else {
            this.down(from, id, "noproc");
          }
          i += 2;
          break;
        }
        case DOWN: {
          const k = key(from, batch[i + 1] as number);
          const stub = this.stubs.get(k);
          if (stub !== undefined) {
            this.stubs.delete(k);
            stub.remoteExited(batch[i + 3] ? decode(batch[i + 2], this.pidOfBound) : batch[i + 2]);
          }
          i += 4;
          break;
        }
        case LINK: {
          const target = this.local(batch[i + 2] as number);
          // Linking a dead process needs no answer: the linker's stand-in gets `noproc`.
          if (target !== undefined) {
            const other = this.pidOf(from, batch[i + 1] as number);
            this.applying = true;
            try {
              target.link(other);
            } finally {
              this.applying = false;
            }
          }
          i += 3;
          break;
        }
        case UNLINK: {
          const target = this.local(batch[i + 2] as number);
          const stub = this.stubs.get(key(from, batch[i + 1] as number));
          if (target !== undefined && stub !== undefined) this.applyUnlink(target, stub.pid);
          i += 3;
          break;
        }
        case STOP: {
          const target = this.local(batch[i + 1] as number);
          const reason = batch[i + 3] ? decode(batch[i + 2], this.pidOfBound) : batch[i + 2];
          target?.deliver(new StopRequest(reason));
          i += 4;
          break;
        }
        case SPAWN: {
          this.startRequested(peer, batch, i);
          i += 9;
          break;
        }
        case SPAWNED: {
          const waiting = this.spawns.get(batch[i + 1] as number);
          if (waiting !== undefined) {
            this.spawns.delete(batch[i + 1] as number);
            if (batch[i + 2]) waiting.resolve(this.pidOf(from, batch[i + 3] as number));
            else waiting.reject(new SpawnError(waiting.request, batch[i + 3] as string));
          }
          i += 4;
          break;
        }
        default:
          throw new Error(`beamish threads: unknown operation ${String(op)} from node ${from}`);
      }
    }
  }

  /** `node` is gone: its processes exit `noconnection` for everything that watched them here. */
  nodeDown(node: number): void {
    const peer = this.peers.get(node);
    if (peer === undefined) return;
    this.peers.delete(node);
    for (const [k, stub] of this.stubs) {
      if (stub.pid.node !== node) continue;
      this.stubs.delete(k);
      stub.remoteExited(NOCONNECTION);
    }
    for (const exported of this.exported.values()) {
      const at = exported.watchers.indexOf(node);
      if (at >= 0) exported.watchers.splice(at, 1);
    }
    for (const [id, waiting] of this.spawns) {
      if (waiting.node !== node) continue;
      this.spawns.delete(id);
      waiting.reject(new Error(`node ${node} went down before it started the process`));
    }
    this.sweepCalls();
  }

  /** Ends every stand-in and forgets every peer: the cluster stopped. */
  close(): void {
    for (const node of [...this.peers.keys()]) this.nodeDown(node);
    for (const exported of this.exported.values()) detachHook(exported);
    this.exported.clear();
  }

  // ---- internals -------------------------------------------------------------------------

  /** @internal Tells `node` that the local process `id` exited. */
  down(node: number, id: number, reason: ExitReason): void {
    const [encoded, flag] = this.encodeReason(reason);
    this.peers.get(node)?.push(DOWN, id, encoded, flag);
  }

  /** The canonical pid for `(node, id)`: a remote one with its stand-in (watched). */
  pidOf(node: number, id: number): Pid {
    if (node === this.node) {
      if (id === 0) return this.runtime.rootPid;
      return this.exported.get(id)?.pid ?? new Pid(node, id);
    }
    if (id === 0) return new Pid(node, 0);
    return this.stubOf(node, id)?.pid ?? new Pid(node, id);
  }

  private stubOf(node: number, id: number): RemoteProcess | undefined {
    const k = key(node, id);
    let stub = this.stubs.get(k);
    if (stub !== undefined) return stub;
    const peer = this.peers.get(node);
    if (peer === undefined || id === 0) return undefined;
    stub = new RemoteProcess(this.runtime, new Pid(node, id), this);
    this.stubs.set(k, stub);
    peer.push(WATCH, id);
    return stub;
  }

  /** @internal Makes a local pid reachable from other nodes (until its process exits). */
  export(pid: Pid): void {
    if (pid.node !== this.node || this.exported.has(pid.id)) return;
    const process = pid.process;
    if (process === undefined || process.runtime !== this.runtime || !process.alive) return;
    const exported = new Exported(this, pid);
    attachHook(process, exported);
    this.exported.set(pid.id, exported);
  }

  private local(id: number): Process | undefined {
    const process = this.exported.get(id)?.pid.process;
    return process?.alive ? process : undefined;
  }

  private applyUnlink(target: Process, other: Pid): void {
    this.applying = true;
    try {
      target.unlink(other);
    } finally {
      this.applying = false;
    }
  }

  private check(value: unknown, path: string): boolean {
    return needsEncoding(value, path);
  }

  private encodeReason(reason: ExitReason): [unknown, boolean] {
    try {
      const flag = needsEncoding(reason, "reason");
      return [flag ? encode(reason, this.exportPid) : reason, flag];
    } catch {
      // A reason that cannot cross still tells what happened, as text.
      return [describeReason(reason), false];
    }
  }

  private sendCall(peer: Peer | undefined, to: Pid, call: PendingCall): void {
    if (peer === undefined) return;
    let arg = call.arg;
    let flag: boolean;
    try {
      flag = this.check(arg, `call ${JSON.stringify(call.request)} argument`);
      if (flag) arg = encode(arg, this.exportPid);
    } catch (error) {
      // The caller holds the promise: it rejects with the clone error, nothing is sent.
      failCall(call, error);
      return;
    }
    const id = this.nextCall++;
    this.calls.set(id, call);
    if (this.calls.size > 4096) this.sweepCalls();
    peer.push(CALL, to.id, id, call.request, arg, flag);
  }

  private reply(peer: Peer, callId: number, value: unknown): void {
    if (!this.peers.has(peer.node)) return;
    try {
      const flag = this.check(value, "reply");
      peer.push(REPLY, callId, true, flag ? encode(value, this.exportPid) : value, flag);
    } catch (error) {
      // The server survives a reply that cannot cross: the caller gets the error instead.
      peer.push(REPLY, callId, false, error, false);
    }
  }

  /** Drops calls settled without a reply (timed out, or their server died). */
  private sweepCalls(): void {
    for (const [id, call] of this.calls) if (call.settled) this.calls.delete(id);
  }

  private castTag(request: string, hasArg: boolean): CastTag {
    const k = hasArg ? `1${request}` : `0${request}`;
    let tag = this.castTags.get(k);
    if (tag === undefined) {
      tag = new CastTag(request, hasArg);
      this.castTags.set(k, tag);
    }
    return tag;
  }

  private startRequested(peer: Peer, batch: unknown[], i: number): void {
    const id = batch[i + 1] as number;
    const args = batch[i + 6] ? decode(batch[i + 5], this.pidOfBound) : batch[i + 5];
    const linkId = batch[i + 7] as number;
    const request: SpawnRequest = {
      module: batch[i + 2] as string,
      exportName: batch[i + 3] as string,
      kind: batch[i + 4] as SpawnRequest["kind"],
      args: args as unknown[],
      name: (batch[i + 8] as string | null) ?? undefined,
    };
    const linkTo = linkId < 0 ? undefined : this.pidOf(peer.node, linkId);
    const handler = this.spawnHandler;
    const started =
      handler === null
        ? Promise.reject(new SpawnError(request, `node ${this.node} does not start processes`))
        : handler(request, linkTo);
    started.then(
      (pid) => {
        this.export(pid);
        if (this.peers.has(peer.node)) peer.push(SPAWNED, id, true, pid.id);
      },
      (error: unknown) => {
        if (!this.peers.has(peer.node)) return;
        // The caller rebuilds a SpawnError from the text: a class does not survive the clone.
        const reason =
          error instanceof SpawnError
            ? error.reason
            : error instanceof Error
              ? `${error.name}: ${error.message}`
              : describeReason(error);
        peer.push(SPAWNED, id, false, reason);
      },
    );
  }
}

/** Settles a pending call with `error`, as its own timeout would, without a promise left over. */
function failCall(call: PendingCall, error: unknown): void {
  if (call.settled) return;
  call.settled = true;
  detachHook(call);
  if (call.deadlineList !== null) call.deadlines?.remove(call);
  call.reject(error);
}
