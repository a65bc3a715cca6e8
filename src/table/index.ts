/**
 * Table: ETS-like tables. A process owns each table; any process reads it with plain calls.
 *
 * @example
 * ```ts
 * import { Table } from "beamish";
 *
 * const hits = Table.create<string, number>(self, { name: "hits", access: "public" });
 * hits.updateCounter("/", 1, 0);
 * Table.whereis<string, number>("hits")?.lookup("/"); // 1
 * ```
 */
export type { CounterOp, NumericField } from "./counter.js";
export { NoTableError, TableAccessError } from "./errors.js";
export type { TableKey } from "./keys.js";
export {
  type BagKind,
  type Lookup,
  type TableInfo,
  type TableOptions,
  tableOptions,
  type UniqueKind,
} from "./options.js";
export type { TablePattern } from "./pattern.js";
export type { TableAccess, TableKind } from "./state.js";
export { Table } from "./table.js";
export { isTransferMessage, TransferMessage } from "./transfer.js";
