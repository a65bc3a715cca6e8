/**
 * The remote-transport interface: how a pid of another node (a worker thread) is reached. The
 * kernel owns the interface; `beamish/threads` implements it and installs itself as
 * `runtime.transport`. A remote process is represented here by a local stand-in, a
 * {@link RemoteProcess}: links, monitors and pending calls attach to the stand-in exactly as they
 * attach to a local process, so none of them costs a message; the transport watches the real
 * process once per stand-in and ends the stand-in (firing them all) when it exits or its node
 * goes down.
 */
import type { ExitReason } from "./exit.js";
import type { Pid } from "./pid.js";
import { Process } from "./process.js";
import type { Runtime } from "./runtime.js";

/**
 * What the kernel asks of a transport to other nodes.
 *
 * @example
 * ```ts
 * runtime.transport = {
 *   remote: (pid) => stubs.get(pid) ?? newStub(pid),
 *   send: (to, message) => outbox(to.node).push(to.id, message),
 *   exitSignal: (from, to, reason, viaLink) => outbox(to.node).pushExit(from, to, reason, viaLink),
 *   link: (local, to) => outbox(to.node).pushLink(local, to),
 *   unlink: (local, to) => outbox(to.node).pushUnlink(local, to),
 * };
 * ```
 */
export interface Transport {
  /** The stand-in of `pid`, a pid of another node, or `undefined` when that node is unknown. */
  remote(pid: Pid): RemoteProcess | undefined;
  /** Sends `message` to `to` on its node; order from one sender to one receiver is kept. */
  send(to: Pid, message: unknown): void;
  /** Sends an exit signal from `from` to `to` on its node (see `Process.exitSignal`). */
  exitSignal(from: Pid, to: Pid, reason: ExitReason, viaLink: boolean): void;
  /** `local` linked itself to the remote `to`: its node records the link too. */
  link(local: Pid, to: Pid): void;
  /** `local` and the remote `to` are no longer linked. */
  unlink(local: Pid, to: Pid): void;
}

/**
 * @internal The local stand-in of a process on another node. Its mailbox is the transport; it
 * traps exits so that every exit signal, `normal` included, is forwarded for the real process to
 * decide on.
 */
export class RemoteProcess extends Process {
  constructor(
    runtime: Runtime,
    pid: Pid,
    private readonly transport: Transport,
  ) {
    super(runtime, pid.id, null, null, pid.node);
    this.trapExits = true;
  }

  override deliver(message: unknown): void {
    if (this.alive) this.transport.send(this.pid, message);
  }

  override exitSignal(from: Pid, reason: ExitReason, viaLink: boolean): void {
    if (this.alive) this.transport.exitSignal(from, this.pid, reason, viaLink);
  }

  protected override addLink(other: Process): void {
    super.addLink(other);
    this.transport.link(other.pid, this.pid);
  }

  protected override removeLink(other: Process): void {
    super.removeLink(other);
    this.transport.unlink(other.pid, this.pid);
  }

  /** The real process exited (or its node went down): links, monitors and calls learn `reason`. */
  remoteExited(reason: ExitReason): void {
    this.exit(reason);
  }
}
