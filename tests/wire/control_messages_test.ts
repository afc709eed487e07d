import { assertEquals, assertThrows } from "@std/assert";
import type { MessageCodec } from "../../wire/_codec.ts";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import { alertCodec } from "../../wire/msg_alert.ts";
import { feeFilterCodec } from "../../wire/msg_feefilter.ts";
import { filterClearCodec } from "../../wire/msg_filterclear.ts";
import { getAddrCodec } from "../../wire/msg_getaddr.ts";
import { memPoolCodec } from "../../wire/msg_mempool.ts";
import { pingCodec } from "../../wire/msg_ping.ts";
import { pongCodec } from "../../wire/msg_pong.ts";
import { rejectCodec, type RejectMessage } from "../../wire/msg_reject.ts";
import { sendAddrV2Codec } from "../../wire/msg_sendaddrv2.ts";
import { sendCmpctCodec } from "../../wire/msg_sendcmpct.ts";
import { sendHeadersCodec } from "../../wire/msg_sendheaders.ts";
import { sendTxRcnclCodec } from "../../wire/msg_sendtxrcncl.ts";
import { verAckCodec } from "../../wire/msg_verack.ts";
import { wtxidRelayCodec } from "../../wire/msg_wtxidrelay.ts";
import { RejectCode } from "../../wire/protocol.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { dataTest, vectorsFor } from "../_util/shared_data.ts";

// deno-lint-ignore no-explicit-any
type AnyCodec = MessageCodec<any>;

function ctx(protocolVersion: number) {
  return { protocolVersion, witness: false };
}

function truncatedEverywhere(codec: AnyCodec, payload: Uint8Array): void {
  for (let n = 0; n < payload.length; n++) {
    assertMessageError(() => decodeWith(codec, payload.subarray(0, n)), "truncated", codec.command);
  }
}

/** Zero-payload messages, with the protocol version they need (0 when ungated). */
const EMPTY: [AnyCodec, number][] = [
  [verAckCodec, 0],
  [getAddrCodec, 0],
  [memPoolCodec, 60002],
  [sendHeadersCodec, 70012],
  [filterClearCodec, 70001],
  [wtxidRelayCodec, 0],
  [sendAddrV2Codec, 0],
];

Deno.test("zero-payload messages", async (t) => {
  for (const [codec, since] of EMPTY) {
    await t.step(`${codec.command} has no payload`, () => {
      assertEquals(decodeWith(codec, new Uint8Array()), { command: codec.command });
      assertEquals(encodeWith(codec, { command: codec.command }).length, 0);
      assertEquals(codec.maxPayloadLength(70016), 0);
      assertEquals(codec.maxPayloadLength(0), 0);
      assertMessageError(
        () => decodeWith(codec, new Uint8Array(1)),
        "trailing-bytes",
        codec.command,
      );
    });
    await t.step(`${codec.command} ${since ? `needs protocol ${since}` : "is ungated"}`, () => {
      const m = { command: codec.command };
      if (since === 0) {
        // wtxidrelay and sendaddrv2 follow Bitcoin Core, which reads them at any version.
        assertEquals(decodeWith(codec, new Uint8Array(), ctx(0)), m);
        assertEquals(encodeWith(codec, m, ctx(0)).length, 0);
        return;
      }
      assertEquals(decodeWith(codec, new Uint8Array(), ctx(since)), m);
      assertMessageError(
        () => decodeWith(codec, new Uint8Array(), ctx(since - 1)),
        "unsupported-version",
        codec.command,
      );
      assertThrows(() => encodeWith(codec, m, ctx(since - 1)), RangeError);
    });
  }
});

Deno.test("feefilter", async (t) => {
  await t.step("carries an int64 fee rate", () => {
    const payload = hexToBytes("e803000000000000");
    assertEquals(decodeWith(feeFilterCodec, payload), { command: "feefilter", feeRate: 1000n });
    assertEquals(encodeWith(feeFilterCodec, { command: "feefilter", feeRate: 1000n }), payload);
    // Negative rates are well-formed; Core ignores them, so judging them is the caller's job.
    const negative = decodeWith(feeFilterCodec, hexToBytes("ffffffffffffffff"));
    assertEquals(negative.feeRate, -1n);
    assertEquals(bytesToHex(encodeWith(feeFilterCodec, negative)), "ffffffffffffffff");
  });
  await t.step("needs protocol 70013", () => {
    const m = { command: "feefilter", feeRate: 1n } as const;
    assertMessageError(
      () => decodeWith(feeFilterCodec, new Uint8Array(8), ctx(70012)),
      "unsupported-version",
      "feefilter",
    );
    assertThrows(() => encodeWith(feeFilterCodec, m, ctx(70012)), RangeError);
    assertEquals(encodeWith(feeFilterCodec, m, ctx(70013)).length, 8);
  });
  await t.step("rejects truncation, trailing bytes and out-of-range rates", () => {
    truncatedEverywhere(feeFilterCodec, new Uint8Array(8));
    assertMessageError(
      () => decodeWith(feeFilterCodec, new Uint8Array(9)),
      "trailing-bytes",
      "feefilter",
    );
    assertThrows(
      () => encodeWith(feeFilterCodec, { command: "feefilter", feeRate: 1n << 63n }),
      RangeError,
    );
    assertEquals(feeFilterCodec.maxPayloadLength(70016), 8);
  });
});

Deno.test("sendcmpct", async (t) => {
  await t.step("carries announce and a uint64 version", () => {
    const payload = hexToBytes("01" + "0200000000000000");
    const m = { command: "sendcmpct", announce: true, version: 2n } as const;
    assertEquals(decodeWith(sendCmpctCodec, payload), m);
    assertEquals(encodeWith(sendCmpctCodec, m), payload);
    const max = { command: "sendcmpct", announce: false, version: (1n << 64n) - 1n } as const;
    assertEquals(decodeWith(sendCmpctCodec, encodeWith(sendCmpctCodec, max)), max);
  });
  await t.step("reads announce as Bitcoin Core reads a bool", () => {
    // btcd refuses bytes above 1; Core treats any non-zero byte as true.
    const m = decodeWith(sendCmpctCodec, hexToBytes("ff" + "0100000000000000"));
    assertEquals(m.announce, true);
    assertEquals(bytesToHex(encodeWith(sendCmpctCodec, m)), "01" + "0100000000000000");
  });
  await t.step("is ungated, as in Bitcoin Core", () => {
    assertEquals(decodeWith(sendCmpctCodec, new Uint8Array(9), ctx(70001)).announce, false);
  });
  await t.step("rejects truncation, trailing bytes and out-of-range versions", () => {
    truncatedEverywhere(sendCmpctCodec, new Uint8Array(9));
    assertMessageError(
      () => decodeWith(sendCmpctCodec, new Uint8Array(10)),
      "trailing-bytes",
      "sendcmpct",
    );
    assertThrows(
      () => encodeWith(sendCmpctCodec, { command: "sendcmpct", announce: true, version: -1n }),
      RangeError,
    );
    assertEquals(sendCmpctCodec.maxPayloadLength(70016), 9);
  });
});

Deno.test("sendtxrcncl", async (t) => {
  await t.step("carries a uint32 version and a uint64 salt", () => {
    const payload = hexToBytes("01000000" + "0807060504030201");
    const m = { command: "sendtxrcncl", version: 1, salt: 0x0102030405060708n } as const;
    assertEquals(decodeWith(sendTxRcnclCodec, payload), m);
    assertEquals(encodeWith(sendTxRcnclCodec, m), payload);
  });
  await t.step("rejects truncation, trailing bytes and out-of-range fields", () => {
    truncatedEverywhere(sendTxRcnclCodec, new Uint8Array(12));
    assertMessageError(
      () => decodeWith(sendTxRcnclCodec, new Uint8Array(13)),
      "trailing-bytes",
      "sendtxrcncl",
    );
    const enc = (version: number, salt: bigint) =>
      encodeWith(sendTxRcnclCodec, { command: "sendtxrcncl", version, salt });
    assertThrows(() => enc(2 ** 32, 0n), RangeError);
    assertThrows(() => enc(-1, 0n), RangeError);
    assertThrows(() => enc(1, 1n << 64n), RangeError);
    assertEquals(sendTxRcnclCodec.maxPayloadLength(70016), 12);
  });
});

Deno.test("alert", async (t) => {
  await t.step("carries two opaque byte strings", () => {
    const payload = hexToBytes("03" + "010203" + "02" + "0405");
    const m = decodeWith(alertCodec, payload);
    assertEquals(m, {
      command: "alert",
      payload: hexToBytes("010203"),
      signature: hexToBytes("0405"),
    });
    assertEquals(encodeWith(alertCodec, m), payload);
    const empty = { command: "alert", payload: new Uint8Array(), signature: new Uint8Array() };
    assertEquals(bytesToHex(encodeWith(alertCodec, empty as never)), "0000");
  });
  await t.step("rejects truncation, bad lengths and trailing bytes", () => {
    truncatedEverywhere(alertCodec, hexToBytes("03" + "010203" + "02" + "0405"));
    assertMessageError(
      () => decodeWith(alertCodec, hexToBytes("fd0300" + "010203" + "00")),
      "non-canonical-varint",
      "alert",
    );
    assertMessageError(
      () => decodeWith(alertCodec, hexToBytes("fe01093d00")),
      "limit-exceeded",
      "alert",
    );
    assertMessageError(
      () => decodeWith(alertCodec, hexToBytes("0000" + "00")),
      "trailing-bytes",
      "alert",
    );
    assertThrows(() =>
      encodeWith(alertCodec, {
        command: "alert",
        payload: [] as never,
        signature: new Uint8Array(),
      }), TypeError);
    assertEquals(alertCodec.maxPayloadLength(70016), 4_000_000);
  });
});

const TX_HASH = "a1".repeat(32);

Deno.test("reject", async (t) => {
  await t.step("decodes and encodes a reject without a hash", () => {
    // "version" | REJECT_OBSOLETE | "Version must be 31800 or greater"
    const reason = "Version must be 31800 or greater";
    const payload = hexToBytes(
      "0776657273696f6e" + "11" + "20" + bytesToHex(new TextEncoder().encode(reason)),
    );
    const m: RejectMessage = {
      command: "reject",
      message: "version",
      code: RejectCode.OBSOLETE,
      reason,
    };
    assertEquals(decodeWith(rejectCodec, payload), m);
    assertEquals(encodeWith(rejectCodec, m), payload);
  });
  await t.step("carries the hash of a rejected tx or block", () => {
    for (const message of ["tx", "block"]) {
      const payload = hexToBytes(
        bytesToHex(new Uint8Array([message.length])) +
          bytesToHex(new TextEncoder().encode(message)) + "42" + "00" + TX_HASH,
      );
      const m: RejectMessage = {
        command: "reject",
        message,
        code: RejectCode.INSUFFICIENT_FEE,
        reason: "",
        hash: hexToBytes(TX_HASH),
      };
      assertEquals(decodeWith(rejectCodec, payload), m);
      assertEquals(encodeWith(rejectCodec, m), payload);
      truncatedEverywhere(rejectCodec, payload.subarray(0, payload.length - 32));
      // A tx/block reject without its hash is read as Core's REJECT_MALFORMED ones were sent,
      // but a partial hash is truncated.
      const bare = payload.subarray(0, payload.length - 32);
      assertEquals(decodeWith(rejectCodec, bare).hash, undefined);
      for (let n = bare.length + 1; n < payload.length; n++) {
        assertMessageError(
          () => decodeWith(rejectCodec, payload.subarray(0, n)),
          "truncated",
          "reject",
        );
      }
    }
  });
  await t.step("has no hash after other commands", () => {
    const payload = hexToBytes("0461646472" + "01" + "00" + TX_HASH);
    assertMessageError(() => decodeWith(rejectCodec, payload), "trailing-bytes", "reject");
    const m = { command: "reject", message: "addr", code: 1, reason: "", hash: new Uint8Array(32) };
    assertThrows(() => encodeWith(rejectCodec, m as RejectMessage), TypeError);
  });
  await t.step("bounds the rejected command at 12 bytes", () => {
    const ok = hexToBytes("0c" + "61".repeat(12) + "01" + "00");
    assertEquals(decodeWith(rejectCodec, ok).message, "a".repeat(12));
    assertMessageError(
      () => decodeWith(rejectCodec, hexToBytes("0d" + "61".repeat(13) + "01" + "00")),
      "limit-exceeded",
      "reject",
    );
    assertThrows(() =>
      encodeWith(rejectCodec, {
        command: "reject",
        message: "a".repeat(13),
        code: 1,
        reason: "",
      }), RangeError);
  });
  await t.step("needs protocol 70002", () => {
    const m: RejectMessage = { command: "reject", message: "tx", code: 1, reason: "" };
    assertMessageError(
      () => decodeWith(rejectCodec, hexToBytes("00" + "01" + "00"), ctx(70001)),
      "unsupported-version",
      "reject",
    );
    assertThrows(() => encodeWith(rejectCodec, m, ctx(70001)), RangeError);
    assertEquals(rejectCodec.maxPayloadLength(70001), 0);
    assertEquals(rejectCodec.maxPayloadLength(70002), 4_000_000);
  });
  await t.step("refuses bad codes and hashes when encoding", () => {
    const m: RejectMessage = { command: "reject", message: "tx", code: 1, reason: "" };
    assertThrows(() => encodeWith(rejectCodec, { ...m, code: 256 }), RangeError);
    assertThrows(() => encodeWith(rejectCodec, { ...m, hash: new Uint8Array(31) }), TypeError);
  });
});

/** The codec for each vector command, and how its `fields` map onto the message. */
const VECTOR_CODECS: Record<string, AnyCodec> = {
  verack: verAckCodec,
  getaddr: getAddrCodec,
  mempool: memPoolCodec,
  sendheaders: sendHeadersCodec,
  sendaddrv2: sendAddrV2Codec,
  wtxidrelay: wtxidRelayCodec,
  filterclear: filterClearCodec,
  feefilter: feeFilterCodec,
  sendcmpct: sendCmpctCodec,
  sendtxrcncl: sendTxRcnclCodec,
  reject: rejectCodec,
  ping: pingCodec,
  pong: pongCodec,
};

function expected(command: string, f: Record<string, unknown>): Record<string, unknown> {
  switch (command) {
    case "feefilter":
      return { command, feeRate: BigInt(f.feerate as string) };
    case "sendcmpct":
      return { command, announce: f.announce, version: BigInt(f.version as string) };
    case "sendtxrcncl":
      return { command, version: f.version, salt: BigInt(f.salt as string) };
    case "reject":
      return { command, message: f.message, code: f.ccode, reason: f.reason };
    case "ping":
    case "pong":
      return { command, nonce: BigInt(f.nonce as string) };
    default:
      assertEquals(f, {});
      return { command };
  }
}

Deno.test(dataTest("control messages: shared vectors", () => {
  const seen = new Set<string>();
  for (const v of vectorsFor(...Object.keys(VECTOR_CODECS))) {
    const codec = VECTOR_CODECS[v.command];
    const payload = hexToBytes(v.frame).subarray(24);
    const m = decodeWith(codec, payload);
    assertEquals(m, expected(v.command, v.fields), v.frame);
    assertEquals(bytesToHex(encodeWith(codec, m)), bytesToHex(payload));
    seen.add(v.command);
  }
  assertEquals([...seen].sort(), Object.keys(VECTOR_CODECS).sort());
}));
