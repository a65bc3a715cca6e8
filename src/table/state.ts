/**
 * @internal What every handle of one table shares: its store, options and owner. The owner's
 * exit deletes the table or hands it to the heir (an {@link ExitHook} on the owner, so that no
 * monitor message and no process is needed); named tables are found per runtime.
 */
import { invalidArgument } from "../kernel/errors.js";
import type { ExitReason } from "../kernel/exit.js";
import { attachHook, detachHook, ExitHook } from "../kernel/hooks.js";
import type { Pid } from "../kernel/pid.js";
import type { Process } from "../kernel/process.js";
import type { Runtime } from "../kernel/runtime.js";
import { NoTableError } from "./errors.js";
import type { Store } from "./store.js";

/** Which handles may read and write: see `Table.create`. */
export type TableAccess = "public" | "protected" | "private";

/** The kinds of table: one object per key (`set`, `orderedSet`) or many (`bag`, `duplicateBag`). */
export type TableKind = "set" | "orderedSet" | "bag" | "duplicateBag";

/** Tells the new owner: builds its handle and sends it the transfer message. */
export type Announce = (state: TableState, to: Process, from: Pid, data: unknown) => void;

const names = new WeakMap<Runtime, Map<string, TableState>>();
let nextId = 1;

/** @internal One table. */
export class TableState extends ExitHook {
  readonly id = nextId++;
  /** `null` once deleted. */
  store: Store<unknown> | null;
  /** The store while any handle may read it (not private, not deleted): the lookup fast path. */
  open: Store<unknown> | null;
  owner: Process;
  heir: Pid | undefined;
  heirData: unknown;

  constructor(
    store: Store<unknown>,
    readonly kind: TableKind,
    readonly access: TableAccess,
    readonly name: string | undefined,
    owner: Process,
    heir: Pid | undefined,
    heirData: unknown,
    private readonly announce: Announce,
  ) {
    super();
    this.store = store;
    this.open = access === "private" ? null : store;
    this.owner = owner;
    this.heir = heir;
    this.heirData = heirData;
    if (name !== undefined) {
      const table = namesOf(owner.runtime);
      if (table.has(name)) invalidArgument("options.name", "a name no other table holds", name);
      table.set(name, this);
    }
    attachHook(owner, this);
  }

  /** Throws {@link NoTableError} when deleted. */
  live(): Store<unknown> {
    const store = this.store;
    if (store === null) throw new NoTableError(this.id, this.name);
    return store;
  }

  /** Gives the table to `to` (alive, not the owner), which receives the transfer message. */
  giveTo(to: Process, data: unknown): void {
    const from = this.owner.pid;
    detachHook(this);
    this.owner = to;
    attachHook(to, this);
    this.announce(this, to, from, data);
  }

  /** The owner exited: the heir takes the table if it is alive, else the table goes. */
  onExit(pid: Pid, _reason: ExitReason): void {
    const heir = this.heir === undefined ? undefined : this.owner.runtime.lookup(this.heir);
    if (heir?.alive && heir !== this.owner) {
      // As ETS: the heir setting is used once; the new owner names its own heir if it wants one.
      const data = this.heirData;
      this.heir = undefined;
      this.heirData = undefined;
      this.owner = heir;
      attachHook(heir, this);
      this.announce(this, heir, pid, data);
    } else {
      this.destroy();
    }
  }

  destroy(): void {
    if (this.store === null) return;
    detachHook(this);
    this.store = null;
    this.open = null;
    if (this.name !== undefined) namesOf(this.owner.runtime).delete(this.name);
  }
}

function namesOf(runtime: Runtime): Map<string, TableState> {
  let table = names.get(runtime);
  if (table === undefined) {
    table = new Map();
    names.set(runtime, table);
  }
  return table;
}

/** @internal The live table registered under `name` in `runtime`. */
export function findTable(runtime: Runtime, name: string): TableState | undefined {
  return names.get(runtime)?.get(name);
}
