import { assertEquals, assertGreaterOrEqual, assertThrows } from "@std/assert";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { blockHash, type BlockHeader } from "../../wire/block_header.ts";
import { bytesToHex, hashToHex, hexToBytes } from "../../wire/hash.ts";
import { headersCodec } from "../../wire/msg_headers.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { dataStep, vectorsFor } from "../_util/shared_data.ts";

const GENESIS_HEADER = "01000000" + "00".repeat(32) +
  "3ba3edfd7a7b12b27ac72c3e67768f617fc81bc3888a51323a9fb8aa4b1e5e4a" + "29ab5f49" + "ffff001d" +
  "1dac2b7c";
const GENESIS_HASH = "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f";

Deno.test("headers", async (t) => {
  const payload = hexToBytes("02" + GENESIS_HEADER + "00" + GENESIS_HEADER + "00");

  await t.step("decodes headers followed by a zero transaction count", () => {
    const m = decodeWith(headersCodec, payload);
    assertEquals(m.headers.length, 2);
    assertEquals(hashToHex(blockHash(m.headers[0])), GENESIS_HASH);
    assertEquals(m.headers[1].nonce, 2083236893);
    assertEquals(encodeWith(headersCodec, m), payload);
    const literal: BlockHeader = {
      version: m.headers[0].version,
      prevBlock: m.headers[0].prevBlock,
      merkleRoot: m.headers[0].merkleRoot,
      timestamp: m.headers[0].timestamp,
      bits: m.headers[0].bits,
      nonce: m.headers[0].nonce,
    };
    assertEquals(
      encodeWith(headersCodec, { command: "headers", headers: [literal, literal] }),
      payload,
    );
    assertEquals(
      encodeWith(headersCodec, { command: "headers", headers: [] }),
      hexToBytes("00"),
    );
    assertEquals(headersCodec.maxPayloadLength(70016), 162003);
  });

  await t.step("rejects a non-zero transaction count", () => {
    const bad = payload.slice();
    bad[81] = 1;
    assertMessageError(() => decodeWith(headersCodec, bad), "invalid-value");
    const nonCanonical = hexToBytes("01" + GENESIS_HEADER + "fd0000");
    assertMessageError(() => decodeWith(headersCodec, nonCanonical), "non-canonical-varint");
  });

  await t.step("checks the count before allocating", () => {
    assertMessageError(() => decodeWith(headersCodec, hexToBytes("fdd107")), "limit-exceeded");
    assertMessageError(
      () => decodeWith(headersCodec, hexToBytes("fdd007" + GENESIS_HEADER + "00")),
      "truncated",
    );
    const header = decodeWith(headersCodec, payload).headers[0];
    assertThrows(
      () => encodeWith(headersCodec, { command: "headers", headers: new Array(2001).fill(header) }),
      RangeError,
    );
  });

  await t.step("is truncated at every offset and rejects trailing bytes", () => {
    for (let n = 0; n < payload.length; n++) {
      assertMessageError(
        () => decodeWith(headersCodec, payload.subarray(0, n)),
        "truncated",
        "headers",
      );
    }
    const trailing = new Uint8Array(payload.length + 1);
    trailing.set(payload);
    assertMessageError(() => decodeWith(headersCodec, trailing), "trailing-bytes");
  });

  await t.step(dataStep("decodes the vectors and re-encodes them byte-identically", () => {
    const lines = vectorsFor("headers");
    assertGreaterOrEqual(lines.length, 9);
    for (const v of lines) {
      const payload = hexToBytes(v.frame).subarray(24);
      const m = decodeWith(headersCodec, payload);
      const f = v.fields;
      assertEquals(m.headers.length, f.count);
      if (m.headers.length > 0) {
        assertEquals(hashToHex(blockHash(m.headers[0])), f.first);
        if ("last" in f) assertEquals(hashToHex(blockHash(m.headers.at(-1)!)), f.last);
        if ("firstPrev" in f) assertEquals(hashToHex(m.headers[0].prevBlock), f.firstPrev);
      }
      assertEquals(bytesToHex(encodeWith(headersCodec, m)), bytesToHex(payload));
    }
  }));
});
