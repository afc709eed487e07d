import { assertEquals, assertMatch, assertThrows } from "@std/assert";
import { decodeMessage, decodePayload, encodeMessage, encodePayload } from "../../wire/frame.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import type { Message } from "../../wire/message.ts";
import type { NetworkName } from "../../wire/protocol.ts";
import { assertMessageError } from "../_util/assert_code.ts";

const PING_1 = "f9beb4d970696e6700000000000000000800000008533f6b0100000000000000";

function withHeader(hex: string, patch: (view: DataView, bytes: Uint8Array) => void): Uint8Array {
  const bytes = hexToBytes(hex);
  patch(new DataView(bytes.buffer), bytes);
  return bytes;
}

Deno.test("encodeMessage", async (t) => {
  await t.step("frames an empty payload with the checksum of nothing", () => {
    assertEquals(
      bytesToHex(encodeMessage({ command: "ping", nonce: 1n })),
      PING_1,
    );
  });
  await t.step("uses the network's magic", () => {
    const frame = encodeMessage({ command: "ping", nonce: 1n }, { network: "regtest" });
    assertEquals(bytesToHex(frame.subarray(0, 4)), "fabfb5da");
    const signet = encodeMessage({ command: "ping", nonce: 1n }, { network: "signet" });
    assertEquals(bytesToHex(signet.subarray(0, 4)), "0a03cf40");
  });
  await t.step("encodePayload is the frame minus its header", () => {
    assertEquals(bytesToHex(encodePayload({ command: "ping", nonce: 1n })), PING_1.slice(48));
  });
  await t.step("rejects unknown commands and bad options", () => {
    assertThrows(() => encodeMessage({ command: "nope" } as unknown as Message), TypeError);
    assertThrows(() =>
      encodeMessage({ command: "ping", nonce: 1n }, {
        network: "moon" as unknown as NetworkName,
      }), TypeError);
    assertThrows(
      () => encodeMessage({ command: "ping", nonce: 1n }, { protocolVersion: -1 }),
      RangeError,
    );
  });
});

Deno.test("decodeMessage", async (t) => {
  await t.step("decodes a mainnet frame with the defaults", () => {
    assertEquals(decodeMessage(hexToBytes(PING_1)), { command: "ping", nonce: 1n });
  });
  await t.step("decodes with another network's magic when told", () => {
    const frame = encodeMessage({ command: "ping", nonce: 5n }, { network: "testnet4" });
    assertEquals(decodeMessage(frame, { network: "testnet4" }), { command: "ping", nonce: 5n });
    assertMessageError(() => decodeMessage(frame), "bad-magic");
  });
  await t.step("a frame shorter than a header is truncated", () => {
    for (let n = 0; n < 24; n++) {
      assertMessageError(() => decodeMessage(hexToBytes(PING_1).subarray(0, n)), "truncated");
    }
  });
  await t.step("a payload shorter than announced is truncated, at every length", () => {
    for (let n = 24; n < 32; n++) {
      assertMessageError(() => decodeMessage(hexToBytes(PING_1).subarray(0, n)), "truncated");
    }
  });
  await t.step("bytes after the frame are trailing bytes", () => {
    const frame = new Uint8Array(33);
    frame.set(hexToBytes(PING_1));
    assertMessageError(() => decodeMessage(frame), "trailing-bytes");
  });
  await t.step("bad magic", () => {
    assertMessageError(() => decodeMessage(withHeader(PING_1, (_, b) => (b[0] ^= 1))), "bad-magic");
  });
  await t.step("a command with a non-printable byte, or text after the padding, is invalid", () => {
    assertMessageError(
      () => decodeMessage(withHeader(PING_1, (_, b) => (b[5] = 0x07))),
      "invalid-command",
    );
    assertMessageError(
      () => decodeMessage(withHeader(PING_1, (_, b) => (b[15] = 0x41))),
      "invalid-command",
    );
    assertMessageError(
      () => decodeMessage(withHeader(PING_1, (_, b) => (b[4] = 0x80))),
      "invalid-command",
    );
  });
  await t.step("an unknown command is reported as such", () => {
    const frame = withHeader(PING_1, (_, b) => b.set(new TextEncoder().encode("pang"), 4));
    assertMessageError(() => decodeMessage(frame), "unknown-command");
  });
  await t.step("checks magic, then the network limit, then the command", () => {
    // Bitcoin Core's order (btcd checks the length first).
    const both = withHeader(PING_1, (v, b) => {
      v.setUint32(16, 4_000_001, true);
      b[0] ^= 1;
    });
    assertMessageError(() => decodeMessage(both), "bad-magic");
    const big = withHeader(PING_1, (v, b) => {
      v.setUint32(16, 4_000_001, true);
      b[5] = 0x07;
    });
    assertMessageError(() => decodeMessage(big), "payload-too-large");
    assertMessageError(
      () => decodeMessage(withHeader(PING_1, (v) => v.setUint32(16, 0xffffffff, true))),
      "payload-too-large",
    );
  });
  await t.step("a length over the command's own maximum fails before the payload is read", () => {
    const frame = withHeader(PING_1, (v) => v.setUint32(16, 9, true));
    const error = assertMessageError(() => decodeMessage(frame), "payload-too-large");
    assertMatch(error.message, /limit of 8/);
  });
  await t.step("bad checksum", () => {
    const frame = withHeader(PING_1, (_, b) => (b[31] ^= 0x80));
    const error = assertMessageError(() => decodeMessage(frame), "bad-checksum", "ping");
    assertMatch(error.message, /checksum 0x08533f6b/);
  });
  await t.step("decodePayload decodes a bare payload by command", () => {
    assertEquals(decodePayload("ping", hexToBytes("0100000000000000")), {
      command: "ping",
      nonce: 1n,
    });
    assertMessageError(() => decodePayload("pang", new Uint8Array()), "unknown-command");
    assertMessageError(() => decodePayload("ping", new Uint8Array(9)), "payload-too-large");
  });
});
