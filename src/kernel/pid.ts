import type { Process } from "./process.js";

/**
 * A process identifier. It carries the node (thread) it lives on and prints as Erlang does.
 *
 * @example
 * ```ts
 * const pid = spawn(async (self) => { await self.receive(); });
 * String(pid); // "<0.42.0>"
 * ```
 */
export class Pid {
  /** @internal the live process, while it is local and alive: saves a table lookup per send */
  process: Process | undefined;

  constructor(
    /** The node (thread) the process lives on; 0 is the main thread. */
    readonly node: number,
    /** The process number, unique within its node. */
    readonly id: number,
    process?: Process,
  ) {
    this.process = process;
  }

  /** True when both name the same process. */
  equals(other: Pid): boolean {
    return this === other || (this.node === other.node && this.id === other.id);
  }

  toString(): string {
    return `<${this.node}.${this.id}.0>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  toJSON(): string {
    return this.toString();
  }
}

/** True when `value` is a {@link Pid}. @example `isPid(self.pid) // true` */
export function isPid(value: unknown): value is Pid {
  return value instanceof Pid;
}

/**
 * A unique reference, as from Erlang's `make_ref()`: monitors, timers and calls are named by one.
 *
 * @example
 * ```ts
 * const ref = self.monitor(pid);
 * String(ref); // "#Ref<0.17>"
 * ```
 */
export class Ref {
  constructor(
    readonly node: number,
    readonly id: number,
  ) {}

  equals(other: Ref): boolean {
    return this === other || (this.node === other.node && this.id === other.id);
  }

  toString(): string {
    return `#Ref<${this.node}.${this.id}>`;
  }

  [Symbol.for("nodejs.util.inspect.custom")](): string {
    return this.toString();
  }

  toJSON(): string {
    return this.toString();
  }
}
