import {
  assert,
  assertEquals,
  assertFalse,
  assertGreaterOrEqual,
  assertMatch,
  assertStrictEquals,
  assertThrows,
} from "@std/assert";
import type { MessageCodec } from "../../wire/_codec.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { HAVE_SHARED_DATA, SKIP_NOTE, vectorsFor } from "../_util/shared_data.ts";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { bytesToHex, hashToHex, hexToBytes } from "../../wire/hash.ts";
import type { InvVect } from "../../wire/inv_vect.ts";
import { getDataCodec } from "../../wire/msg_getdata.ts";
import { invCodec } from "../../wire/msg_inv.ts";
import { notFoundCodec } from "../../wire/msg_notfound.ts";
import { InvType } from "../../wire/protocol.ts";
import { seqHash } from "../_util/hashes.ts";

type InvList = { readonly command: string; readonly inventory: readonly InvVect[] };

const CODECS: readonly MessageCodec<InvList>[] = [
  invCodec as MessageCodec<InvList>,
  getDataCodec as MessageCodec<InvList>,
  notFoundCodec as MessageCodec<InvList>,
];

const HASH_A = seqHash(0);
const HASH_B = seqHash(0x80);
// count 2 | type 1 (TX) | 00..1f | type 0x40000002 (WITNESS_BLOCK) | 80..9f
const TWO_ENTRIES = hexToBytes(
  "02" + "01000000" + bytesToHex(HASH_A) + "02000040" + bytesToHex(HASH_B),
);

Deno.test("inv, getdata, notfound: hand-written vectors", async (t) => {
  for (const codec of CODECS) {
    await t.step(`${codec.command} decodes type and hash per entry`, () => {
      const m = decodeWith(codec, TWO_ENTRIES);
      assertEquals(m.command, codec.command);
      assertEquals(m.inventory.length, 2);
      assertEquals(m.inventory[0].type, InvType.TX);
      assertEquals(m.inventory[0].hash, HASH_A);
      assertEquals(m.inventory[1].type, InvType.WITNESS_BLOCK);
      assertEquals(m.inventory[1].hash, HASH_B);
    });
    await t.step(`${codec.command} encodes plain object literals`, () => {
      const payload = encodeWith(codec, {
        command: codec.command,
        inventory: [{ type: InvType.TX, hash: HASH_A }, {
          type: InvType.WITNESS_BLOCK,
          hash: HASH_B,
        }],
      });
      assertEquals(payload, TWO_ENTRIES);
    });
    await t.step(`${codec.command} empty list is one zero byte`, () => {
      const payload = encodeWith(codec, { command: codec.command, inventory: [] });
      assertEquals(payload, new Uint8Array([0]));
      assertEquals(decodeWith(codec, payload).inventory.length, 0);
    });
    await t.step(`${codec.command} max payload is 9 + 50000 * 36`, () => {
      assertEquals(codec.maxPayloadLength(70016), 1_800_009);
      assertEquals(codec.maxPayloadLength(0), 1_800_009);
    });
  }
});

Deno.test("inv: decoded entries are lazy", async (t) => {
  const m = decodeWith(invCodec, TWO_ENTRIES);
  const [first, second] = m.inventory;

  await t.step("inventory is a real array", () => {
    assert(Array.isArray(m.inventory));
    assertEquals(m.inventory.map((iv) => iv.type), [InvType.TX, InvType.WITNESS_BLOCK]);
    const hashes: Uint8Array[] = [];
    for (const iv of m.inventory) hashes.push(iv.hash);
    assertEquals(hashes, [HASH_A, HASH_B]);
  });
  await t.step("type is an own field, hash a getter", () => {
    assert(Object.hasOwn(first, "type"));
    assertFalse(Object.hasOwn(first, "hash"));
    assertEquals(
      typeof Object.getOwnPropertyDescriptor(Object.getPrototypeOf(first), "hash")?.get,
      "function",
    );
  });
  await t.step("hash is a 32-byte view into the payload, made once", () => {
    const hash = second.hash;
    assertEquals(hash.length, 32);
    assertStrictEquals(hash.buffer, TWO_ENTRIES.buffer);
    assertEquals(hash.byteOffset, TWO_ENTRIES.byteOffset + 1 + 36 + 4);
    assertEquals(hash, HASH_B);
    assertStrictEquals(second.hash, hash);
  });
  await t.step("views are right when the payload starts inside a larger buffer", () => {
    const frame = new Uint8Array(24 + TWO_ENTRIES.length + 5);
    frame.set(TWO_ENTRIES, 24);
    const inner = frame.subarray(3);
    const d = decodeWith(invCodec, inner, undefined, 21, 21 + TWO_ENTRIES.length);
    assertEquals(d.inventory[0].hash, HASH_A);
    assertEquals(d.inventory[1].hash, HASH_B);
    assertEquals(d.inventory[1].type, InvType.WITNESS_BLOCK);
  });
  await t.step("toJSON shows the type and the display hex", () => {
    assertEquals(
      JSON.stringify(m.inventory),
      JSON.stringify([
        { type: 1, hash: hashToHex(HASH_A) },
        { type: 0x40000002, hash: hashToHex(HASH_B) },
      ]),
    );
    assertEquals(hashToHex(HASH_A).slice(0, 4), "1f1e");
  });
  await t.step("Deno.inspect shows the hash", () => {
    const shown = Deno.inspect(first);
    assert(shown.includes(hashToHex(HASH_A)), shown);
    assert(shown.includes("type: 1"), shown);
  });
});

Deno.test("inv: the decoded list is built on first access", async (t) => {
  await t.step("inventory is built once and then stable", () => {
    const m = decodeWith(invCodec, TWO_ENTRIES);
    const first = m.inventory;
    assertStrictEquals(m.inventory, first);
    assertEquals(first.length, 2);
  });
  await t.step("JSON and Deno.inspect show plain data", () => {
    const m = decodeWith(invCodec, TWO_ENTRIES);
    const json = JSON.parse(JSON.stringify(m));
    assertEquals(json.command, "inv");
    assertEquals(json.inventory.map((e: { hash: string }) => e.hash), [
      hashToHex(HASH_A),
      hashToHex(HASH_B),
    ]);
    assertMatch(Deno.inspect(m), /command: "inv"/);
    assertMatch(Deno.inspect(m), new RegExp(hashToHex(HASH_B)));
  });
  await t.step("an untouched list re-encodes from its bytes, a touched one the same", () => {
    const untouched = decodeWith(getDataCodec, TWO_ENTRIES);
    assertEquals(encodeWith(getDataCodec, untouched), TWO_ENTRIES);
    const touched = decodeWith(getDataCodec, TWO_ENTRIES);
    assertEquals(touched.inventory[1].type, InvType.WITNESS_BLOCK);
    assertEquals(encodeWith(getDataCodec, touched), TWO_ENTRIES);
    // A spread copy keeps the command only when `inventory` is given; the list is data.
    const filtered = { command: "getdata" as const, inventory: touched.inventory.slice(1) };
    assertEquals(encodeWith(getDataCodec, filtered).length, 1 + 36);
  });
});

Deno.test("inv: re-encoding decoded entries", async (t) => {
  const entries: InvVect[] = Array.from({ length: 10 }, (_, i) => ({
    type: i % 2 === 0 ? InvType.TX : InvType.WITNESS_TX,
    hash: seqHash(i * 7),
  }));
  const payload = encodeWith(invCodec, { command: "inv", inventory: entries });
  const decoded = decodeWith(invCodec, payload).inventory;
  const other = decodeWith(getDataCodec, TWO_ENTRIES).inventory;

  await t.step("the whole list round-trips byte-identically", () => {
    assertEquals(encodeWith(getDataCodec, { command: "getdata", inventory: decoded }), payload);
  });
  await t.step("filtered, reordered and mixed lists encode like plain objects", () => {
    const mixed: InvVect[] = [
      decoded[1],
      decoded[2],
      decoded[4],
      other[1],
      { type: InvType.BLOCK, hash: HASH_A },
      decoded[5],
      decoded[3],
      other[0],
      decoded[9],
    ];
    const plain = mixed.map((iv) => ({ type: iv.type, hash: iv.hash.slice() }));
    assertEquals(
      encodeWith(invCodec, { command: "inv", inventory: mixed }),
      encodeWith(invCodec, { command: "inv", inventory: plain }),
    );
  });
  await t.step("a changed type is written", () => {
    const copy = decodeWith(invCodec, payload).inventory;
    (copy[3] as { type: number }).type = InvType.WITNESS_BLOCK;
    const out = encodeWith(invCodec, { command: "inv", inventory: copy });
    const expected = payload.slice();
    new DataView(expected.buffer).setUint32(1 + 3 * 36, InvType.WITNESS_BLOCK, true);
    assertEquals(out, expected);
  });
});

Deno.test("inv: limits", async (t) => {
  await t.step("50,001 entries are rejected from the count alone", () => {
    // Just the CompactSize 50,001 (fd 51 c3): the limit is checked before anything is read
    // or allocated, so this is limit-exceeded, not truncated.
    for (const codec of CODECS) {
      const error = assertMessageError(
        () => decodeWith(codec, hexToBytes("fd51c3")),
        "limit-exceeded",
      );
      assertEquals(
        error.message,
        `Cannot decode "${codec.command}": 50001 entries exceed the limit of 50000`,
      );
    }
    assertMessageError(
      () => decodeWith(invCodec, hexToBytes("ffffffffffffffff7f")),
      "limit-exceeded",
    );
    assertMessageError(() => decodeWith(invCodec, hexToBytes("feffffffff")), "limit-exceeded");
  });
  await t.step("a count of 50,000 without its entries is truncated", () => {
    assertMessageError(() => decodeWith(invCodec, hexToBytes("fd50c3")), "truncated", "inv");
  });
  await t.step("50,000 entries round-trip", () => {
    const inventory = Array.from({ length: 50_000 }, (_, i) => ({ type: i, hash: HASH_A }));
    const payload = encodeWith(invCodec, { command: "inv", inventory });
    assertEquals(payload.length, 3 + 50_000 * 36);
    const m = decodeWith(invCodec, payload);
    assertEquals(m.inventory.length, 50_000);
    assertEquals(m.inventory[49_999].type, 49_999);
    assertEquals(m.inventory[49_999].hash, HASH_A);
  });
  await t.step("encoding 50,001 entries throws RangeError", () => {
    const inventory = Array.from({ length: 50_001 }, () => ({ type: 1, hash: HASH_A }));
    const error = assertThrows(
      () => encodeWith(invCodec, { command: "inv", inventory }),
      RangeError,
    );
    assertEquals(error.message, `Cannot encode "inv": 50001 entries exceed the limit of 50000`);
  });
});

Deno.test("inv: malformed input", async (t) => {
  await t.step("truncated at every offset", () => {
    for (const codec of CODECS) {
      for (let n = 0; n < TWO_ENTRIES.length; n++) {
        assertMessageError(
          () => decodeWith(codec, TWO_ENTRIES.subarray(0, n)),
          "truncated",
          codec.command,
        );
      }
    }
  });
  await t.step("trailing bytes", () => {
    const payload = new Uint8Array(TWO_ENTRIES.length + 1);
    payload.set(TWO_ENTRIES);
    assertMessageError(() => decodeWith(invCodec, payload), "trailing-bytes", "inv");
  });
  await t.step("non-canonical count", () => {
    assertMessageError(
      () => decodeWith(invCodec, hexToBytes("fd0100")),
      "non-canonical-varint",
      "inv",
    );
  });
  await t.step("unknown types are kept, not rejected", () => {
    const payload = hexToBytes("01" + "ffffffff" + bytesToHex(HASH_A));
    assertEquals(decodeWith(notFoundCodec, payload).inventory[0].type, 0xffffffff);
  });
  await t.step("encoding a hash that is not 32 bytes throws TypeError", () => {
    for (const hash of [new Uint8Array(31), new Uint8Array(33), [1, 2] as unknown]) {
      const error = assertThrows(() =>
        encodeWith(invCodec, {
          command: "inv",
          inventory: [{ type: 1, hash: HASH_A }, { type: 1, hash: hash as Uint8Array }],
        }), TypeError);
      assert(error.message.startsWith(`Cannot encode "inv"`), error.message);
    }
  });
  await t.step("encoding a type that is not a uint32 throws RangeError", () => {
    for (const type of [-1, 2 ** 32, 1.5, NaN]) {
      assertThrows(
        () => encodeWith(getDataCodec, { command: "getdata", inventory: [{ type, hash: HASH_A }] }),
        RangeError,
      );
    }
  });
});

Deno.test({
  name: "inv, getdata, notfound: shared vectors" + SKIP_NOTE,
  ignore: !HAVE_SHARED_DATA,
  fn: async (t) => {
    const commands: readonly string[] = CODECS.map((c) => c.command);
    const vectors = vectorsFor(...commands);
    assertGreaterOrEqual(vectors.length, 27, `only ${vectors.length} vectors`);
    for (const v of vectors) {
      await t.step(`${v.command} ${v.source}:${v.line} (${v.payloadLength} bytes)`, () => {
        const codec = CODECS.find((c) => c.command === v.command)!;
        const payload = hexToBytes(v.frame).subarray(24);
        assertEquals(payload.length, v.payloadLength);
        const m = decodeWith(codec, payload);
        const f = v.fields;
        assertEquals(m.inventory.length, f.count);
        if ("firstType" in f) {
          const first = m.inventory.at(0);
          const last = m.inventory.at(-1);
          assertEquals(first?.type ?? null, f.firstType);
          assertEquals(first ? bytesToHex(first.hash) : null, f.firstHashWire);
          assertEquals(last?.type ?? null, f.lastType);
          assertEquals(last ? bytesToHex(last.hash) : null, f.lastHashWire);
        }
        assertEquals(encodeWith(codec, m), payload);
        const plain = m.inventory.map((iv) => ({ type: iv.type, hash: iv.hash.slice() }));
        assertEquals(encodeWith(codec, { command: v.command, inventory: plain }), payload);
        if (payload.length < 4000) {
          for (let n = 0; n < payload.length; n++) {
            assertMessageError(() => decodeWith(codec, payload.subarray(0, n)), "truncated");
          }
        }
      });
    }
  },
});
