import { assertEquals, assertGreaterOrEqual, assertThrows } from "@std/assert";
import { assertMessageError } from "../_util/assert_code.ts";
import { HAVE_SHARED_DATA, SKIP_NOTE, vectorsFor } from "../_util/shared_data.ts";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import { filterAddCodec, type FilterAddMessage } from "../../wire/msg_filteradd.ts";
import { filterLoadCodec, type FilterLoadMessage } from "../../wire/msg_filterload.ts";

const PRE_BIP37 = { protocolVersion: 70000, witness: false };

// A 2-byte filter, 11 hash functions, tweak 5, BIP 37 BLOOM_UPDATE_ALL.
const LOAD: FilterLoadMessage = {
  command: "filterload",
  filter: hexToBytes("b50f"),
  hashFuncs: 11,
  tweak: 5,
  flags: 1,
};
const LOAD_PAYLOAD = hexToBytes("02b50f" + "0b000000" + "05000000" + "01");

Deno.test("filterload", async (t) => {
  await t.step("encodes var-bytes filter, hashFuncs, tweak, flags", () => {
    assertEquals(encodeWith(filterLoadCodec, LOAD), LOAD_PAYLOAD);
    assertEquals(decodeWith(filterLoadCodec, LOAD_PAYLOAD), LOAD);
  });
  await t.step("round-trips the extremes", () => {
    const m: FilterLoadMessage = {
      command: "filterload",
      filter: new Uint8Array(36_000).fill(0xa5),
      hashFuncs: 50,
      tweak: 0xffffffff,
      flags: 0xff,
    };
    const payload = encodeWith(filterLoadCodec, m);
    assertEquals(payload.length, 3 + 36_000 + 9);
    assertEquals(decodeWith(filterLoadCodec, payload), m);
  });
  await t.step("max payload is 36,012", () => {
    assertEquals(filterLoadCodec.maxPayloadLength(70016), 36_012);
  });
  await t.step("truncated at every offset", () => {
    for (let n = 0; n < LOAD_PAYLOAD.length; n++) {
      assertMessageError(
        () => decodeWith(filterLoadCodec, LOAD_PAYLOAD.subarray(0, n)),
        "truncated",
      );
    }
  });
  await t.step("trailing bytes", () => {
    assertMessageError(
      () => decodeWith(filterLoadCodec, hexToBytes(bytesToHex(LOAD_PAYLOAD) + "00")),
      "trailing-bytes",
      "filterload",
    );
  });
  await t.step("a filter over 36,000 bytes is rejected from its length alone", () => {
    const error = assertMessageError(
      () => decodeWith(filterLoadCodec, hexToBytes("fda18c")),
      "limit-exceeded",
    );
    assertEquals(
      error.message,
      `Cannot decode "filterload": filter of 36001 bytes exceeds the limit of 36000`,
    );
  });
  await t.step("more than 50 hash functions is rejected", () => {
    const error = assertMessageError(
      () => decodeWith(filterLoadCodec, hexToBytes("02b50f" + "33000000" + "05000000" + "01")),
      "limit-exceeded",
    );
    assertEquals(
      error.message,
      `Cannot decode "filterload": 51 hash functions exceed the limit of 50`,
    );
  });
  await t.step("non-canonical filter length", () => {
    assertMessageError(
      () => decodeWith(filterLoadCodec, hexToBytes("fd0200b50f0b0000000500000001")),
      "non-canonical-varint",
    );
  });
  await t.step("does not exist before protocol 70001 (BIP 37)", () => {
    assertMessageError(
      () => decodeWith(filterLoadCodec, LOAD_PAYLOAD, PRE_BIP37),
      "unsupported-version",
      "filterload",
    );
    assertThrows(() => encodeWith(filterLoadCodec, LOAD, PRE_BIP37), RangeError);
    assertEquals(
      decodeWith(filterLoadCodec, LOAD_PAYLOAD, { protocolVersion: 70001, witness: false }),
      LOAD,
    );
  });
  await t.step("encoding invalid fields throws", () => {
    const bad: [Partial<FilterLoadMessage>, typeof RangeError | typeof TypeError][] = [
      [{ filter: new Uint8Array(36_001) }, RangeError],
      [{ filter: [1, 2] as unknown as Uint8Array }, TypeError],
      [{ hashFuncs: 51 }, RangeError],
      [{ hashFuncs: -1 }, RangeError],
      [{ tweak: 2 ** 32 }, RangeError],
      [{ tweak: 1.5 }, RangeError],
      [{ flags: 256 }, RangeError],
    ];
    for (const [patch, type] of bad) {
      assertThrows(() => encodeWith(filterLoadCodec, { ...LOAD, ...patch }), type);
    }
  });
});

Deno.test("filteradd", async (t) => {
  const add: FilterAddMessage = { command: "filteradd", data: hexToBytes("0102030405") };
  const payload = hexToBytes("050102030405");
  await t.step("encodes var-bytes data", () => {
    assertEquals(encodeWith(filterAddCodec, add), payload);
    assertEquals(decodeWith(filterAddCodec, payload), add);
  });
  await t.step("520 bytes round-trip; max payload is 523", () => {
    const m = { command: "filteradd", data: new Uint8Array(520).fill(7) } as const;
    const p = encodeWith(filterAddCodec, m);
    assertEquals(p.length, 523);
    assertEquals(decodeWith(filterAddCodec, p), m);
    assertEquals(filterAddCodec.maxPayloadLength(70016), 523);
  });
  await t.step("truncated at every offset", () => {
    for (let n = 0; n < payload.length; n++) {
      assertMessageError(() => decodeWith(filterAddCodec, payload.subarray(0, n)), "truncated");
    }
  });
  await t.step("trailing bytes", () => {
    assertMessageError(() => decodeWith(filterAddCodec, hexToBytes("0100ff")), "trailing-bytes");
  });
  await t.step("data over 520 bytes is rejected from its length alone", () => {
    const error = assertMessageError(
      () => decodeWith(filterAddCodec, hexToBytes("fd0902")),
      "limit-exceeded",
    );
    assertEquals(
      error.message,
      `Cannot decode "filteradd": data of 521 bytes exceeds the limit of 520`,
    );
    assertThrows(
      () => encodeWith(filterAddCodec, { command: "filteradd", data: new Uint8Array(521) }),
      RangeError,
    );
  });
  await t.step("does not exist before protocol 70001 (BIP 37)", () => {
    assertMessageError(() => decodeWith(filterAddCodec, payload, PRE_BIP37), "unsupported-version");
    assertThrows(() => encodeWith(filterAddCodec, add, PRE_BIP37), RangeError);
  });
});

Deno.test({
  name: "filterload, filteradd: shared vectors" + SKIP_NOTE,
  ignore: !HAVE_SHARED_DATA,
  fn: async (t) => {
    const commands: readonly string[] = ["filterload", "filteradd"];
    const vectors = vectorsFor(...commands);
    assertGreaterOrEqual(vectors.length, 8, `only ${vectors.length} vectors`);
    for (const v of vectors) {
      await t.step(`${v.command} ${v.source}:${v.line} (${v.payloadLength} bytes)`, () => {
        const payload = hexToBytes(v.frame).subarray(24);
        assertEquals(payload.length, v.payloadLength);
        const f = v.fields;
        if (v.command === "filterload") {
          const m = decodeWith(filterLoadCodec, payload);
          assertEquals(m.filter.length, f.dataLength);
          assertEquals(m.hashFuncs, f.hashFuncs);
          assertEquals(m.tweak, f.tweak);
          assertEquals(m.flags, f.flags);
          assertEquals(encodeWith(filterLoadCodec, m), payload);
          for (let n = 0; n < payload.length; n++) {
            assertMessageError(
              () => decodeWith(filterLoadCodec, payload.subarray(0, n)),
              "truncated",
            );
          }
        } else {
          const m = decodeWith(filterAddCodec, payload);
          assertEquals(m.data.length, f.dataLength);
          assertEquals(bytesToHex(m.data), f.data);
          assertEquals(encodeWith(filterAddCodec, m), payload);
          for (let n = 0; n < payload.length; n++) {
            assertMessageError(
              () => decodeWith(filterAddCodec, payload.subarray(0, n)),
              "truncated",
            );
          }
        }
      });
    }
  },
});
