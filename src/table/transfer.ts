import type { Pid } from "../kernel/pid.js";
import type { TableKey } from "./keys.js";
import type { TableKind } from "./state.js";
import type { Table } from "./table.js";

/**
 * The message a process receives when it becomes a table's owner: as heir of an owner that
 * exited (`from` is that owner, `data` the `heirData`), or by `giveAway` (`data` as given).
 * `table` is the new owner's handle, with write access.
 *
 * @example
 * ```ts
 * const msg = await self.receive({ match: isTransferMessage });
 * msg.table.insert("k", 1);
 * ```
 */
export class TransferMessage<
  K extends TableKey = TableKey,
  V = unknown,
  Kind extends TableKind = TableKind,
> {
  readonly type = "ETS-TRANSFER";
  constructor(
    readonly table: Table<K, V, Kind>,
    readonly from: Pid,
    readonly data: unknown,
  ) {}
}

/** Type guard for {@link TransferMessage}. @example `self.receive({ match: isTransferMessage })` */
export function isTransferMessage(message: unknown): message is TransferMessage {
  return message instanceof TransferMessage;
}
