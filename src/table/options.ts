/** The options of `Table.create`, declared once, and the types that go with them. */
import { type OptionsInput, option, schema } from "../kernel/options.js";
import { isPid, type Pid } from "../kernel/pid.js";
import type { TableAccess, TableKind } from "./state.js";

/** The kinds with one object per key. */
export type UniqueKind = "set" | "orderedSet";
/** The kinds with many objects per key. */
export type BagKind = "bag" | "duplicateBag";

/** What `lookup` returns: the value (or `undefined`) for `set`/`orderedSet`, the values for bags. */
export type Lookup<Kind extends TableKind, V> = Kind extends BagKind ? readonly V[] : V | undefined;

/**
 * The options of `Table.create`.
 *
 * | option | type | default | |
 * |---|---|---|---|
 * | `kind` | `"set"` \| `"orderedSet"` \| `"bag"` \| `"duplicateBag"` | `"set"` | one object per key (set: any stable order; orderedSet: key order), or many (bag: distinct, duplicateBag: any) |
 * | `access` | `"public"` \| `"protected"` \| `"private"` | `"protected"` | who may write: any handle (public) or the owner's (protected); private: the owner's only, reads too |
 * | `name` | string | none | registers the table for `Table.whereis`; unique per runtime |
 * | `heir` | Pid | none | takes the table when the owner exits, and receives a {@link TransferMessage} |
 * | `heirData` | any | `undefined` | the `data` of that message |
 */
export const tableOptions = schema({
  kind: option.oneOf(["set", "orderedSet", "bag", "duplicateBag"], "set").doc("The kind of table."),
  access: option
    .oneOf(["public", "protected", "private"], "protected")
    .doc("Who may read and write."),
  name: option
    .custom("a non-empty string", (v): v is string => typeof v === "string" && v !== "")
    .optional()
    .doc("Registers the table for `Table.whereis`."),
  heir: option.custom<Pid>("a pid", isPid).optional().doc("Takes the table when the owner exits."),
  heirData: option
    .custom<unknown>("any value", (_v): _v is unknown => true)
    .optional()
    .doc("The `data` of the heir's transfer message."),
});

/** Options of `Table.create` for a table of kind `Kind`; see {@link tableOptions}. */
export type TableOptions<Kind extends TableKind = TableKind> = Omit<
  OptionsInput<typeof tableOptions>,
  "kind"
> & { readonly kind?: Kind | undefined };

/** What `info()` tells. */
export interface TableInfo {
  readonly id: number;
  readonly name: string | undefined;
  readonly kind: TableKind;
  readonly access: TableAccess;
  readonly owner: Pid;
  readonly heir: Pid | undefined;
  readonly size: number;
}
