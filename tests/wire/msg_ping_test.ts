import { assertEquals, assertThrows } from "@std/assert";
import { assertMessageError } from "../_util/assert_code.ts";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { pingCodec } from "../../wire/msg_ping.ts";
import { pongCodec } from "../../wire/msg_pong.ts";
import { hexToBytes } from "../../wire/hash.ts";

Deno.test("ping", async (t) => {
  await t.step("encodes the nonce little-endian after BIP 31", () => {
    const payload = encodeWith(pingCodec, { command: "ping", nonce: 0x0102030405060708n });
    assertEquals(payload, hexToBytes("0807060504030201"));
    assertEquals(decodeWith(pingCodec, payload), {
      command: "ping",
      nonce: 0x0102030405060708n,
    });
  });
  await t.step("has no payload at or before protocol 60000", () => {
    const ctx = { protocolVersion: 60000, witness: false };
    assertEquals(encodeWith(pingCodec, { command: "ping", nonce: 5n }, ctx).length, 0);
    assertEquals(decodeWith(pingCodec, new Uint8Array(), ctx), { command: "ping", nonce: 0n });
    assertEquals(pingCodec.maxPayloadLength(60000), 0);
    assertEquals(pingCodec.maxPayloadLength(60001), 8);
  });
  await t.step("is truncated at every offset", () => {
    const payload = hexToBytes("0807060504030201");
    for (let n = 0; n < payload.length; n++) {
      assertMessageError(() => decodeWith(pingCodec, payload.subarray(0, n)), "truncated", "ping");
    }
  });
  await t.step("rejects trailing bytes", () => {
    assertMessageError(() => decodeWith(pingCodec, new Uint8Array(9)), "trailing-bytes");
  });
});

Deno.test("pong", async (t) => {
  await t.step("round-trips", () => {
    const m = { command: "pong", nonce: 0xffffffffffffffffn } as const;
    assertEquals(decodeWith(pongCodec, encodeWith(pongCodec, m)), m);
  });
  await t.step("does not exist at or before protocol 60000", () => {
    const ctx = { protocolVersion: 60000, witness: false };
    assertMessageError(() => decodeWith(pongCodec, new Uint8Array(8), ctx), "unsupported-version");
    assertThrows(() => encodeWith(pongCodec, { command: "pong", nonce: 1n }, ctx), RangeError);
  });
});
