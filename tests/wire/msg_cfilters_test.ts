import {
  assertEquals,
  assertGreaterOrEqual,
  assertLessOrEqual,
  assertStringIncludes,
  assertThrows,
} from "@std/assert";
import { assertMessageError } from "../_util/assert_code.ts";
import { HAVE_SHARED_DATA, SKIP_NOTE, vectorsFor } from "../_util/shared_data.ts";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { bytesToHex, hashToHex, hexToBytes } from "../../wire/hash.ts";
import { cfCheckptCodec, type CFCheckptMessage } from "../../wire/msg_cfcheckpt.ts";
import { cfHeadersCodec, type CFHeadersMessage } from "../../wire/msg_cfheaders.ts";
import { cfilterCodec, type CFilterMessage } from "../../wire/msg_cfilter.ts";
import { getCFCheckptCodec, type GetCFCheckptMessage } from "../../wire/msg_getcfcheckpt.ts";
import { getCFHeadersCodec, type GetCFHeadersMessage } from "../../wire/msg_getcfheaders.ts";
import { getCFiltersCodec, type GetCFiltersMessage } from "../../wire/msg_getcfilters.ts";
import { seqHash } from "../_util/hashes.ts";

const HASH_A = seqHash(0x00);
const HASH_B = seqHash(0x40);
const HASH_C = seqHash(0x80);
const HEX_A = bytesToHex(HASH_A);
const HEX_B = bytesToHex(HASH_B);
const HEX_C = bytesToHex(HASH_C);

function truncatedEverywhere(fn: (bytes: Uint8Array) => unknown, payload: Uint8Array): void {
  for (let n = 0; n < payload.length; n++) {
    assertMessageError(() => fn(payload.subarray(0, n)), "truncated");
  }
}

function withTrailingByte(payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(payload.length + 1);
  out.set(payload);
  return out;
}

Deno.test("getcfilters", async (t) => {
  const m: GetCFiltersMessage = {
    command: "getcfilters",
    filterType: 0,
    startHeight: 0x01020304,
    stopHash: HASH_A,
  };
  // BIP 157: filter_type u8 | start_height u32le | stop_hash [32]
  const payload = hexToBytes("00" + "04030201" + HEX_A);
  await t.step("encodes filter type, start height, stop hash", () => {
    assertEquals(encodeWith(getCFiltersCodec, m), payload);
    assertEquals(decodeWith(getCFiltersCodec, payload), m);
    assertEquals(getCFiltersCodec.maxPayloadLength(70016), 37);
  });
  await t.step("truncated at every offset; trailing bytes", () => {
    truncatedEverywhere((b) => decodeWith(getCFiltersCodec, b), payload);
    assertMessageError(
      () => decodeWith(getCFiltersCodec, withTrailingByte(payload)),
      "trailing-bytes",
    );
  });
  await t.step("encoding invalid fields throws", () => {
    assertThrows(() => encodeWith(getCFiltersCodec, { ...m, filterType: 256 }), RangeError);
    assertThrows(() => encodeWith(getCFiltersCodec, { ...m, startHeight: -1 }), RangeError);
    assertThrows(() => encodeWith(getCFiltersCodec, { ...m, startHeight: 2 ** 32 }), RangeError);
    assertThrows(
      () => encodeWith(getCFiltersCodec, { ...m, stopHash: new Uint8Array(31) }),
      TypeError,
    );
  });
});

Deno.test("getcfheaders", async (t) => {
  const m: GetCFHeadersMessage = {
    command: "getcfheaders",
    filterType: 0,
    startHeight: 0xfffffffe,
    stopHash: HASH_B,
  };
  const payload = hexToBytes("00" + "feffffff" + HEX_B);
  await t.step("encodes filter type, start height, stop hash", () => {
    assertEquals(encodeWith(getCFHeadersCodec, m), payload);
    assertEquals(decodeWith(getCFHeadersCodec, payload), m);
    assertEquals(getCFHeadersCodec.maxPayloadLength(70016), 37);
  });
  await t.step("truncated at every offset; trailing bytes", () => {
    truncatedEverywhere((b) => decodeWith(getCFHeadersCodec, b), payload);
    assertMessageError(
      () => decodeWith(getCFHeadersCodec, withTrailingByte(payload)),
      "trailing-bytes",
    );
  });
  await t.step("encoding invalid fields throws", () => {
    assertThrows(() => encodeWith(getCFHeadersCodec, { ...m, filterType: -1 }), RangeError);
    assertThrows(() => encodeWith(getCFHeadersCodec, { ...m, startHeight: 0.5 }), RangeError);
    assertThrows(
      () => encodeWith(getCFHeadersCodec, { ...m, stopHash: new Uint8Array(33) }),
      TypeError,
    );
  });
});

Deno.test("getcfcheckpt", async (t) => {
  const m: GetCFCheckptMessage = { command: "getcfcheckpt", filterType: 1, stopHash: HASH_C };
  const payload = hexToBytes("01" + HEX_C);
  await t.step("encodes filter type, stop hash", () => {
    assertEquals(encodeWith(getCFCheckptCodec, m), payload);
    assertEquals(decodeWith(getCFCheckptCodec, payload), m);
    assertEquals(getCFCheckptCodec.maxPayloadLength(70016), 33);
  });
  await t.step("truncated at every offset; trailing bytes", () => {
    truncatedEverywhere((b) => decodeWith(getCFCheckptCodec, b), payload);
    assertMessageError(
      () => decodeWith(getCFCheckptCodec, withTrailingByte(payload)),
      "trailing-bytes",
    );
  });
  await t.step("encoding invalid fields throws", () => {
    assertThrows(() => encodeWith(getCFCheckptCodec, { ...m, filterType: 1.5 }), RangeError);
    assertThrows(
      () => encodeWith(getCFCheckptCodec, { ...m, stopHash: "00" as unknown as Uint8Array }),
      TypeError,
    );
  });
});

Deno.test("cfilter", async (t) => {
  const m: CFilterMessage = {
    command: "cfilter",
    filterType: 0,
    blockHash: HASH_A,
    filter: hexToBytes("0102ab"),
  };
  // BIP 157: filter_type u8 | block_hash [32] | filter (CompactSize length + bytes)
  const payload = hexToBytes("00" + HEX_A + "03" + "0102ab");
  await t.step("encodes filter type, block hash, var-bytes filter", () => {
    assertEquals(encodeWith(cfilterCodec, m), payload);
    assertEquals(decodeWith(cfilterCodec, payload), m);
  });
  await t.step("256 KiB filter round-trips; max payload is 262,182", () => {
    const big = { ...m, filter: new Uint8Array(256 * 1024).fill(3) };
    const p = encodeWith(cfilterCodec, big);
    assertEquals(p.length, 1 + 32 + 5 + 262_144);
    assertEquals(decodeWith(cfilterCodec, p), big);
    assertEquals(cfilterCodec.maxPayloadLength(70016), 262_182);
  });
  await t.step("a filter over 256 KiB is rejected from its length alone", () => {
    const error = assertMessageError(
      () => decodeWith(cfilterCodec, hexToBytes("00" + HEX_A + "fe01000400")),
      "limit-exceeded",
    );
    assertEquals(
      error.message,
      `Cannot decode "cfilter": filter of 262145 bytes exceeds the limit of 262144`,
    );
    assertThrows(
      () => encodeWith(cfilterCodec, { ...m, filter: new Uint8Array(262_145) }),
      RangeError,
    );
  });
  await t.step("truncated at every offset; trailing bytes", () => {
    truncatedEverywhere((b) => decodeWith(cfilterCodec, b), payload);
    assertMessageError(() => decodeWith(cfilterCodec, withTrailingByte(payload)), "trailing-bytes");
  });
  await t.step("encoding invalid fields throws", () => {
    assertThrows(() => encodeWith(cfilterCodec, { ...m, filterType: 300 }), RangeError);
    assertThrows(
      () => encodeWith(cfilterCodec, { ...m, blockHash: HASH_A.subarray(1) }),
      TypeError,
    );
    assertThrows(
      () => encodeWith(cfilterCodec, { ...m, filter: null as unknown as Uint8Array }),
      TypeError,
    );
  });
});

Deno.test("cfheaders", async (t) => {
  const m: CFHeadersMessage = {
    command: "cfheaders",
    filterType: 0,
    stopHash: HASH_A,
    previousFilterHeader: HASH_B,
    filterHashes: [HASH_C, HASH_A],
  };
  // BIP 157: filter_type | stop_hash | previous_filter_header | count | filter_hashes
  const payload = hexToBytes("00" + HEX_A + HEX_B + "02" + HEX_C + HEX_A);
  await t.step("encodes type, stop hash, previous header, hashes", () => {
    assertEquals(encodeWith(cfHeadersCodec, m), payload);
    assertEquals(decodeWith(cfHeadersCodec, payload), m);
  });
  await t.step("2,000 hashes round-trip; max payload is 64,074", () => {
    const filterHashes = Array.from({ length: 2000 }, (_, i) => seqHash(i));
    const p = encodeWith(cfHeadersCodec, { ...m, filterHashes });
    assertEquals(p.length, 1 + 64 + 3 + 64_000);
    assertEquals(decodeWith(cfHeadersCodec, p).filterHashes, filterHashes);
    assertEquals(cfHeadersCodec.maxPayloadLength(70016), 64_074);
  });
  await t.step("2,001 hashes are rejected from the count alone", () => {
    const decodeError = assertMessageError(
      () => decodeWith(cfHeadersCodec, hexToBytes("00" + HEX_A + HEX_B + "fdd107")),
      "limit-exceeded",
    );
    assertEquals(
      decodeError.message,
      `Cannot decode "cfheaders": 2001 filter hashes exceed the limit of 2000`,
    );
    const filterHashes = Array.from({ length: 2001 }, () => HASH_A);
    const encodeError = assertThrows(
      () => encodeWith(cfHeadersCodec, { ...m, filterHashes }),
      RangeError,
    );
    assertEquals(
      encodeError.message,
      `Cannot encode "cfheaders": 2001 filter hashes exceed the limit of 2000`,
    );
  });
  await t.step("truncated at every offset; trailing bytes; non-canonical count", () => {
    truncatedEverywhere((b) => decodeWith(cfHeadersCodec, b), payload);
    assertMessageError(
      () => decodeWith(cfHeadersCodec, withTrailingByte(payload)),
      "trailing-bytes",
    );
    assertMessageError(
      () => decodeWith(cfHeadersCodec, hexToBytes("00" + HEX_A + HEX_B + "fd0000")),
      "non-canonical-varint",
    );
  });
  await t.step("encoding invalid fields throws", () => {
    assertThrows(
      () => encodeWith(cfHeadersCodec, { ...m, previousFilterHeader: new Uint8Array(0) }),
      TypeError,
    );
    const error = assertThrows(
      () => encodeWith(cfHeadersCodec, { ...m, filterHashes: [HASH_A, new Uint8Array(64)] }),
      TypeError,
    );
    assertStringIncludes(error.message, "filterHashes[1]");
  });
});

Deno.test("cfcheckpt", async (t) => {
  const m: CFCheckptMessage = {
    command: "cfcheckpt",
    filterType: 0,
    stopHash: HASH_C,
    filterHeaders: [HASH_A, HASH_B],
  };
  // BIP 157: filter_type | stop_hash | count | filter_headers
  const payload = hexToBytes("00" + HEX_C + "02" + HEX_A + HEX_B);
  await t.step("encodes type, stop hash, headers", () => {
    assertEquals(encodeWith(cfCheckptCodec, m), payload);
    assertEquals(decodeWith(cfCheckptCodec, payload), m);
  });
  await t.step("100,000 headers round-trip; max payload is 3,200,042", () => {
    const filterHeaders = Array.from({ length: 100_000 }, () => HASH_B);
    const p = encodeWith(cfCheckptCodec, { ...m, filterHeaders });
    assertEquals(p.length, 1 + 32 + 5 + 3_200_000);
    const d = decodeWith(cfCheckptCodec, p);
    assertEquals(d.filterHeaders.length, 100_000);
    assertEquals(d.filterHeaders[99_999], HASH_B);
    assertEquals(cfCheckptCodec.maxPayloadLength(70016), 3_200_042);
    assertLessOrEqual(cfCheckptCodec.maxPayloadLength(70016), 4_000_000);
  });
  await t.step("100,001 headers are rejected from the count alone", () => {
    const error = assertMessageError(
      () => decodeWith(cfCheckptCodec, hexToBytes("00" + HEX_C + "fea1860100")),
      "limit-exceeded",
    );
    assertEquals(
      error.message,
      `Cannot decode "cfcheckpt": 100001 filter headers exceed the limit of 100000`,
    );
    const filterHeaders = Array.from({ length: 100_001 }, () => HASH_A);
    assertThrows(() => encodeWith(cfCheckptCodec, { ...m, filterHeaders }), RangeError);
  });
  await t.step("a count the payload cannot hold is truncated", () => {
    assertMessageError(
      () => decodeWith(cfCheckptCodec, hexToBytes("00" + HEX_C + "fea0860100")),
      "truncated",
    );
  });
  await t.step("truncated at every offset; trailing bytes", () => {
    truncatedEverywhere((b) => decodeWith(cfCheckptCodec, b), payload);
    assertMessageError(
      () => decodeWith(cfCheckptCodec, withTrailingByte(payload)),
      "trailing-bytes",
    );
  });
  await t.step("encoding invalid fields throws", () => {
    assertThrows(
      () => encodeWith(cfCheckptCodec, { ...m, filterHeaders: [new Uint8Array(31)] }),
      TypeError,
    );
    assertThrows(() => encodeWith(cfCheckptCodec, { ...m, filterType: -1 }), RangeError);
  });
});

Deno.test({
  name: "BIP 157 messages: shared vectors" + SKIP_NOTE,
  ignore: !HAVE_SHARED_DATA,
  fn: async (t) => {
    const commands: readonly string[] = [
      "getcfilters",
      "cfilter",
      "getcfheaders",
      "cfheaders",
      "getcfcheckpt",
      "cfcheckpt",
    ];
    const vectors = vectorsFor(...commands);
    assertGreaterOrEqual(vectors.length, 24, `only ${vectors.length} vectors`);
    const hex = (h: Uint8Array | undefined) => (h ? hashToHex(h) : null);
    for (const v of vectors) {
      await t.step(`${v.command} ${v.source}:${v.line} (${v.payloadLength} bytes)`, () => {
        const payload = hexToBytes(v.frame).subarray(24);
        assertEquals(payload.length, v.payloadLength);
        const f = v.fields;
        let reencoded: Uint8Array;
        let decode: (b: Uint8Array) => unknown;
        switch (v.command) {
          case "getcfilters": {
            const m = decodeWith(getCFiltersCodec, payload);
            assertEquals(m.filterType, f.filterType);
            assertEquals(m.startHeight, f.startHeight);
            assertEquals(hashToHex(m.stopHash), f.stopHash);
            reencoded = encodeWith(getCFiltersCodec, m);
            decode = (b) => decodeWith(getCFiltersCodec, b);
            break;
          }
          case "getcfheaders": {
            const m = decodeWith(getCFHeadersCodec, payload);
            assertEquals(m.filterType, f.filterType);
            assertEquals(m.startHeight, f.startHeight);
            assertEquals(hashToHex(m.stopHash), f.stopHash);
            reencoded = encodeWith(getCFHeadersCodec, m);
            decode = (b) => decodeWith(getCFHeadersCodec, b);
            break;
          }
          case "getcfcheckpt": {
            const m = decodeWith(getCFCheckptCodec, payload);
            assertEquals(m.filterType, f.filterType);
            assertEquals(hashToHex(m.stopHash), f.stopHash);
            reencoded = encodeWith(getCFCheckptCodec, m);
            decode = (b) => decodeWith(getCFCheckptCodec, b);
            break;
          }
          case "cfilter": {
            const m = decodeWith(cfilterCodec, payload);
            assertEquals(m.filterType, f.filterType);
            assertEquals(hashToHex(m.blockHash), f.blockHash);
            assertEquals(m.filter.length, f.filterLength);
            reencoded = encodeWith(cfilterCodec, m);
            decode = (b) => decodeWith(cfilterCodec, b);
            break;
          }
          case "cfheaders": {
            const m = decodeWith(cfHeadersCodec, payload);
            assertEquals(m.filterType, f.filterType);
            assertEquals(hashToHex(m.stopHash), f.stopHash);
            assertEquals(hashToHex(m.previousFilterHeader), f.prevHeader);
            assertEquals(m.filterHashes.length, f.count);
            assertEquals(hex(m.filterHashes.at(0)), f.first);
            assertEquals(hex(m.filterHashes.at(-1)), f.last);
            reencoded = encodeWith(cfHeadersCodec, m);
            decode = (b) => decodeWith(cfHeadersCodec, b);
            break;
          }
          case "cfcheckpt": {
            const m = decodeWith(cfCheckptCodec, payload);
            assertEquals(m.filterType, f.filterType);
            assertEquals(hashToHex(m.stopHash), f.stopHash);
            assertEquals(m.filterHeaders.length, f.count);
            assertEquals(hex(m.filterHeaders.at(0)), f.first);
            assertEquals(hex(m.filterHeaders.at(-1)), f.last);
            reencoded = encodeWith(cfCheckptCodec, m);
            decode = (b) => decodeWith(cfCheckptCodec, b);
            break;
          }
          default:
            throw new Error(`unexpected command ${v.command}`);
        }
        assertEquals(reencoded, payload);
        if (payload.length < 10_000) truncatedEverywhere(decode, payload);
      });
    }
  },
});
