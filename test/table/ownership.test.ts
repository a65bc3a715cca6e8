import assert from "node:assert/strict";
import { describe, test } from "node:test";
import {
  isBeamishError,
  isTransferMessage,
  type Pid,
  type Self,
  send,
  spawn,
  Table,
  TableAccessError,
  type TransferMessage,
} from "beamish";
import { assertReceive, refuteReceive, withRuntime } from "beamish/testing";

/** A process that waits for "stop" (exits normally) or "crash" (throws); forwards other messages. */
async function owner(settle: () => Promise<void>, forwardTo?: Pid): Promise<Self> {
  let captured: Self | undefined;
  spawn(async (p) => {
    captured = p;
    for (;;) {
      const m = await p.receive();
      if (m === "stop") return;
      if (m === "crash") throw new Error("owner crashed");
      if (forwardTo !== undefined) send(forwardTo, m);
    }
  });
  await settle();
  return captured as Self;
}

const noTable = (e: unknown) => isBeamishError(e, "ERR_NO_TABLE");

describe("Table ownership", () => {
  for (const how of ["stop", "crash"] as const) {
    test(
      `the table is deleted when its owner exits (${how}) without an heir`,
      withRuntime(async ({ settle }) => {
        const p = await owner(settle);
        const table = Table.create<string, number>(p, { name: "t" });
        table.insert("a", 1);
        send(p.pid, how);
        await settle();
        assert.equal(table.exists, false);
        assert.equal(Table.whereis("t"), undefined);
        assert.throws(() => table.lookup("a"), noTable);
        assert.throws(() => table.insert("b", 2), noTable);
        assert.throws(() => table.size, {
          code: "ERR_NO_TABLE",
          message: 'table "t" does not exist (deleted, or its owner exited)',
        });
        // The name is free again.
        Table.create((await owner(settle)) as Self, { name: "t" });
      }),
    );

    test(
      `the heir takes the table when the owner exits (${how}) and receives ETS-TRANSFER`,
      withRuntime(async ({ self, settle }) => {
        const p = await owner(settle);
        const heir = await owner(settle, self.pid);
        const table = Table.create<string, number>(p, { heir: heir.pid, heirData: { why: how } });
        table.insert("a", 1);
        send(p.pid, how);
        const msg = await assertReceive<TransferMessage<string, number>>(self, isTransferMessage);
        assert.equal(msg.type, "ETS-TRANSFER");
        assert.equal(msg.from, p.pid);
        assert.deepEqual(msg.data, { why: how });
        assert.equal(msg.table.id, table.id);
        assert.equal(msg.table.holder, heir.pid);
        assert.equal(msg.table.lookup("a"), 1);
        msg.table.insert("b", 2);
        assert.equal(table.lookup("b"), 2);
        assert.equal(table.info().owner, heir.pid);
        assert.equal(table.info().heir, undefined);
        // The old owner's handle has lost its write access.
        assert.throws(() => table.insert("c", 3), TableAccessError);
        // The heir setting is used once: the heir's own exit deletes the table.
        send(heir.pid, "stop");
        await settle();
        assert.equal(table.exists, false);
      }),
    );
  }

  test(
    "an heir that died first does not take the table",
    withRuntime(async ({ self, settle }) => {
      const p = await owner(settle);
      const heir = await owner(settle, self.pid);
      const table = Table.create(p, { heir: heir.pid });
      send(heir.pid, "stop");
      await settle();
      send(p.pid, "stop");
      await settle();
      assert.equal(table.exists, false);
      await refuteReceive(self, isTransferMessage);
    }),
  );

  test(
    "giveAway hands the table over with data; setHeir names an heir later",
    withRuntime(async ({ self, settle }) => {
      const table = Table.create<string, number>(self);
      const other = await owner(settle, self.pid);
      assert.throws(() => table.giveAway(self.pid), {
        message:
          "invalid value for `pid`: expected a live process other than the owner, got a Pid instance",
      });
      table.giveAway(other.pid, "yours");
      const msg = await assertReceive<TransferMessage<string, number>>(self, isTransferMessage);
      assert.equal(msg.from, self.pid);
      assert.equal(msg.data, "yours");
      assert.throws(() => table.giveAway(other.pid), TableAccessError);
      assert.throws(() => table.setHeir(self.pid), TableAccessError);
      msg.table.setHeir(self.pid, 42);
      send(other.pid, "crash");
      const back = await assertReceive<TransferMessage>(self, isTransferMessage);
      assert.equal(back.from, other.pid);
      assert.equal(back.data, 42);
      assert.equal(back.table.info().owner, self.pid);
      table.insert("mine again", 1);
    }),
  );

  test(
    "deleteTable deletes at once, and only with write access",
    withRuntime(async ({ self }) => {
      const table = Table.create(self, { name: "gone" });
      assert.throws(() => Table.whereis("gone")?.deleteTable(), TableAccessError);
      table.deleteTable();
      assert.equal(Table.whereis("gone"), undefined);
      assert.throws(() => table.deleteTable(), { code: "ERR_NO_TABLE" });
    }),
  );
});

describe("Table access", () => {
  test(
    "protected (default): anyone reads, only the owner's handle writes",
    withRuntime(async ({ self, settle }) => {
      const table = Table.create<string, number>(self, { name: "prices" });
      table.insert("apple", 3);
      const other = await owner(settle);
      const theirs = table.as(other);
      const anonymous = Table.whereis<string, number>("prices");
      assert.equal(theirs.lookup("apple"), 3);
      assert.equal(anonymous?.lookup("apple"), 3);
      assert.throws(() => theirs.insert("pear", 1), {
        code: "ERR_TABLE_ACCESS",
        message: `table "prices" is protected: only its owner ${self.pid} may insert, not ${other.pid}`,
      });
      assert.throws(() => anonymous?.delete("apple"), {
        code: "ERR_TABLE_ACCESS",
        message: `table "prices" is protected: only its owner ${self.pid} may delete, not a handle acting as no process`,
      });
      assert.ok(anonymous?.as(self).delete("apple"));
    }),
  );

  test(
    "public: any handle writes",
    withRuntime(async ({ self, settle }) => {
      const table = Table.create<string, number>(self, { access: "public", name: "hits" });
      const other = await owner(settle);
      table.as(other).updateCounter("/", 1, 0);
      Table.whereis<string, number>("hits")?.updateCounter("/", 1, 0);
      assert.equal(table.lookup("/"), 2);
      // Ownership operations stay with the owner.
      assert.throws(() => table.as(other).giveAway(self.pid), TableAccessError);
    }),
  );

  test(
    "private: only the owner's handle reads or writes",
    withRuntime(async ({ self, settle }) => {
      const table = Table.create<string, number>(self, { access: "private" });
      table.insert("secret", 1);
      assert.equal(table.lookup("secret"), 1);
      const other = table.as(await owner(settle));
      assert.throws(
        () => other.lookup("secret"),
        (e: unknown) =>
          isBeamishError(e, "ERR_TABLE_ACCESS") &&
          e.operation === "lookup" &&
          e.access === "private",
      );
      assert.throws(() => other.member("secret"), TableAccessError);
      assert.throws(() => other.toArray(), TableAccessError);
    }),
  );
});

describe("named tables", () => {
  test(
    "whereis finds a table by name; a taken name is refused",
    withRuntime(async ({ self }) => {
      assert.equal(Table.whereis("users"), undefined);
      const table = Table.create<string, { age: number }>(self, { name: "users" });
      table.insert("alice", { age: 42 });
      const found = Table.whereis<string, { age: number }>("users");
      assert.equal(found?.id, table.id);
      assert.equal(found?.holder, undefined);
      assert.deepEqual(found?.lookup("alice"), { age: 42 });
      assert.throws(() => Table.create(self, { name: "users" }), {
        code: "ERR_INVALID_ARGUMENT",
        message:
          'invalid value for `options.name`: expected a name no other table holds, got "users"',
      });
    }),
  );
});
