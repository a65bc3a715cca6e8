/**
 * A NATS message's metadata, read from its ack subject in each shape a server sends, and from
 * the client's own `info` when the subject has another shape.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { DeliveryInfo, JetStreamDelivery } from "../../src/connectors/nats/client.js";
import { metadataOf } from "../../src/connectors/nats/delivery.js";

const info: DeliveryInfo = {
  stream: "ORDERS",
  consumer: "billing",
  deliveryCount: 3,
  streamSequence: 1042,
  deliverySequence: 2077,
  pending: 12,
  // As the client parses it: a double, which cannot hold every digit.
  timestampNanos: 1_795_939_610_787_601_000,
};

function delivery(reply: string): JetStreamDelivery {
  return {
    data: new Uint8Array(0),
    subject: "orders.paid",
    reply,
    redelivered: true,
    info,
    headers: undefined,
    ack() {},
    nak() {},
    term() {},
    working() {},
  };
}

const expected = {
  subject: "orders.paid",
  stream: "ORDERS",
  consumer: "billing",
  streamSequence: 1042,
  deliverySequence: 2077,
  deliveryCount: 3,
  redelivered: true,
  pending: 12,
  timestamp: 1_795_939_610_787,
  headers: {},
};

describe("NATS metadata", () => {
  test("read from the ack subject of today's servers, timestamp in exact ms", () => {
    const reply = "$JS.ACK.ORDERS.billing.3.1042.2077.1795939610787600804.12";
    assert.deepEqual(metadataOf(delivery(reply), "ORDERS", "billing"), expected, reply);
  });

  test("read from the ack subject with a domain and an account hash, with or without its random token", () => {
    for (const reply of [
      "$JS.ACK._.ACCHASH.ORDERS.billing.3.1042.2077.1795939610787600804.12",
      "$JS.ACK.hub.ACCHASH.ORDERS.billing.3.1042.2077.1795939610787600804.12.x7Yq",
    ]) {
      assert.deepEqual(metadataOf(delivery(reply), "ORDERS", "billing"), expected, reply);
    }
  });

  test("a first delivery is not redelivered", () => {
    const reply = "$JS.ACK.ORDERS.billing.1.5.5.1795939610787600804.0";
    const metadata = metadataOf(delivery(reply), "ORDERS", "billing");
    assert.deepEqual(
      [metadata.deliveryCount, metadata.redelivered, metadata.pending],
      [1, false, 0],
      "count 1, not redelivered",
    );
  });

  test("an ack subject of another shape: the client's info instead", () => {
    for (const reply of [
      "",
      "_INBOX.abc",
      "$JS.ACK.ORDERS.billing.3.1042",
      "$JS.ACK.ORDERS.billing.3.x.2077.1795939610787600804.12",
      "$JS.NAK.ORDERS.billing.3.1042.2077.1795939610787600804.12",
      "$JS.ACK.ORDERS.billing.3.1042.2077.123.12",
    ]) {
      const metadata = metadataOf(delivery(reply), "ORDERS", "billing");
      assert.deepEqual(metadata, expected, `from info for ${JSON.stringify(reply)}`);
    }
  });
});
