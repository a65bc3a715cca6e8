import { BeamishError } from "../kernel/errors.js";
import type { Pid } from "../kernel/pid.js";

declare module "../kernel/errors.js" {
  interface BeamishErrorCodes {
    ERR_NO_TABLE: NoTableError;
    ERR_TABLE_ACCESS: TableAccessError;
  }
}

/** How a table is printed in messages: its name, or `#Table<id>`. */
export function describeTable(id: number, name: string | undefined): string {
  return name === undefined ? `#Table<${id}>` : `table ${JSON.stringify(name)}`;
}

/**
 * The table is gone: deleted with `deleteTable`, or its owner exited without an heir to take it.
 * Every operation on it throws this.
 *
 * @example
 * ```ts
 * try {
 *   cache.lookup("k");
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_NO_TABLE")) console.log(e.table); // 3
 * }
 * ```
 */
export class NoTableError extends BeamishError {
  readonly code = "ERR_NO_TABLE";
  constructor(
    /** The table's id. */
    readonly table: number,
    /** Its name, if it had one. */
    readonly tableName: string | undefined,
  ) {
    super(`${describeTable(table, tableName)} does not exist (deleted, or its owner exited)`);
  }
}

/**
 * A handle tried what the table's access does not allow it: a write (or `giveAway`, `setHeir`,
 * `deleteTable`) on a `protected` or `private` table through a handle that does not act as its
 * owner, or a read of a `private` table likewise.
 *
 * @example
 * ```ts
 * try {
 *   Table.whereis<string, number>("prices")?.insert("apple", 1);
 * } catch (e) {
 *   if (isBeamishError(e, "ERR_TABLE_ACCESS")) console.log(e.operation, e.access); // insert protected
 * }
 * ```
 */
export class TableAccessError extends BeamishError {
  readonly code = "ERR_TABLE_ACCESS";
  constructor(
    readonly table: number,
    readonly tableName: string | undefined,
    /** The table's access: `"protected"` or `"private"`. */
    readonly access: "public" | "protected" | "private",
    /** What was tried: `"insert"`, `"lookup"`, `"giveAway"`, ... */
    readonly operation: string,
    /** The process the handle acts as, `undefined` for a handle of `Table.whereis`. */
    readonly pid: Pid | undefined,
    /** The table's owner. */
    readonly owner: Pid,
  ) {
    super(
      `${describeTable(table, tableName)} is ${access}: only its owner ${owner} may ${operation}, ` +
        `not ${pid === undefined ? "a handle acting as no process" : String(pid)}`,
    );
  }
}
