import assert from "node:assert/strict";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { MessageError } from "../../wire/errors.ts";
import { pingCodec } from "../../wire/msg_ping.ts";
import { pongCodec } from "../../wire/msg_pong.ts";
import { hexToBytes } from "../../wire/hash.ts";

Deno.test("ping", async (t) => {
  await t.step("encodes the nonce little-endian after BIP 31", () => {
    const payload = encodeWith(pingCodec, { command: "ping", nonce: 0x0102030405060708n });
    assert.deepEqual(payload, hexToBytes("0807060504030201"));
    assert.deepEqual(decodeWith(pingCodec, payload), {
      command: "ping",
      nonce: 0x0102030405060708n,
    });
  });
  await t.step("has no payload at or before protocol 60000", () => {
    const ctx = { protocolVersion: 60000, witness: false };
    assert.equal(encodeWith(pingCodec, { command: "ping", nonce: 5n }, ctx).length, 0);
    assert.deepEqual(decodeWith(pingCodec, new Uint8Array(), ctx), { command: "ping", nonce: 0n });
    assert.equal(pingCodec.maxPayloadLength(60000), 0);
    assert.equal(pingCodec.maxPayloadLength(60001), 8);
  });
  await t.step("is truncated at every offset", () => {
    const payload = hexToBytes("0807060504030201");
    for (let n = 0; n < payload.length; n++) {
      assert.throws(
        () => decodeWith(pingCodec, payload.subarray(0, n)),
        (e: unknown) => e instanceof MessageError && e.code === "truncated" && e.command === "ping",
      );
    }
  });
  await t.step("rejects trailing bytes", () => {
    assert.throws(
      () => decodeWith(pingCodec, new Uint8Array(9)),
      (e: unknown) => e instanceof MessageError && e.code === "trailing-bytes",
    );
  });
});

Deno.test("pong", async (t) => {
  await t.step("round-trips", () => {
    const m = { command: "pong", nonce: 0xffffffffffffffffn } as const;
    assert.deepEqual(decodeWith(pongCodec, encodeWith(pongCodec, m)), m);
  });
  await t.step("does not exist at or before protocol 60000", () => {
    const ctx = { protocolVersion: 60000, witness: false };
    assert.throws(
      () => decodeWith(pongCodec, new Uint8Array(8), ctx),
      (e: unknown) => e instanceof MessageError && e.code === "unsupported-version",
    );
    assert.throws(() => encodeWith(pongCodec, { command: "pong", nonce: 1n }, ctx), RangeError);
  });
});
