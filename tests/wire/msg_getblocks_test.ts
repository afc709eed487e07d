import { assertEquals, assertGreaterOrEqual, assertStrictEquals, assertThrows } from "@std/assert";
import type { MessageCodec } from "../../wire/_codec.ts";
import { assertMessageError } from "../_util/assert_code.ts";
import { HAVE_SHARED_DATA, SKIP_NOTE, vectorsFor } from "../_util/shared_data.ts";
import { decodeWith, encodeWith } from "../../wire/_payload.ts";
import { bytesToHex, hashToHex, hexToBytes } from "../../wire/hash.ts";
import { getBlocksCodec, type GetBlocksMessage } from "../../wire/msg_getblocks.ts";
import { getHeadersCodec, type GetHeadersMessage } from "../../wire/msg_getheaders.ts";
import { seqHash } from "../_util/hashes.ts";

type Locator = GetBlocksMessage | GetHeadersMessage;

const CODECS: readonly MessageCodec<Locator>[] = [
  getBlocksCodec as MessageCodec<Locator>,
  getHeadersCodec as MessageCodec<Locator>,
];

const HASH_A = seqHash(0x00);
const HASH_B = seqHash(0x40);
const STOP = seqHash(0xa0);
// version 70016 | count 2 | HASH_A | HASH_B | hashStop
const PAYLOAD = hexToBytes(
  "80110100" + "02" + bytesToHex(HASH_A) + bytesToHex(HASH_B) + bytesToHex(STOP),
);

function message(command: Locator["command"], locator: Uint8Array[], stop = STOP): Locator {
  return { command, protocolVersion: 70016, locator, hashStop: stop } as Locator;
}

Deno.test("getblocks, getheaders: hand-written vectors", async (t) => {
  for (const codec of CODECS) {
    const command = codec.command;
    await t.step(`${command} encodes version, count, locator, hashStop`, () => {
      assertEquals(encodeWith(codec, message(command, [HASH_A, HASH_B])), PAYLOAD);
    });
    await t.step(`${command} decodes`, () => {
      const m = decodeWith(codec, PAYLOAD);
      assertEquals(m, message(command, [HASH_A, HASH_B]));
      assertStrictEquals(m.locator[1].buffer, PAYLOAD.buffer, "hashes are views");
    });
    await t.step(`${command} empty locator and version 0`, () => {
      const m = { command, protocolVersion: 0, locator: [], hashStop: new Uint8Array(32) };
      const payload = encodeWith(codec, m as Locator);
      assertEquals(payload, new Uint8Array(37));
      assertEquals(decodeWith(codec, payload), m);
    });
    await t.step(`${command} max payload is btcd's 4 + 9 + 500 * 32 + 32`, () => {
      assertEquals(codec.maxPayloadLength(70016), 16_045);
    });
  }
});

Deno.test("getblocks, getheaders: limits", async (t) => {
  for (const codec of CODECS) {
    const command = codec.command;
    await t.step(`${command} accepts 500 locator hashes (more than Core's policy 101)`, () => {
      const locator = Array.from({ length: 500 }, (_, i) => seqHash(i));
      const payload = encodeWith(codec, message(command, locator));
      assertEquals(payload.length, 4 + 3 + 500 * 32 + 32);
      const m = decodeWith(codec, payload);
      assertEquals(m.locator.length, 500);
      assertEquals(m.locator[499], seqHash(499));
    });
    await t.step(`${command} rejects 501 from the count alone`, () => {
      const error = assertMessageError(
        () => decodeWith(codec, hexToBytes("80110100" + "fdf501")),
        "limit-exceeded",
      );
      assertEquals(
        error.message,
        `Cannot decode "${command}": 501 locator hashes exceed the limit of 500`,
      );
    });
    await t.step(`${command} encoding 501 hashes throws RangeError`, () => {
      const locator = Array.from({ length: 501 }, () => HASH_A);
      const error = assertThrows(() => encodeWith(codec, message(command, locator)), RangeError);
      assertEquals(
        error.message,
        `Cannot encode "${command}": 501 locator hashes exceed the limit of 500`,
      );
    });
  }
});

Deno.test("getblocks, getheaders: malformed input", async (t) => {
  for (const codec of CODECS) {
    const command = codec.command;
    await t.step(`${command} truncated at every offset`, () => {
      for (let n = 0; n < PAYLOAD.length; n++) {
        assertMessageError(() => decodeWith(codec, PAYLOAD.subarray(0, n)), "truncated", command);
      }
    });
    await t.step(`${command} trailing bytes`, () => {
      const payload = new Uint8Array(PAYLOAD.length + 1);
      payload.set(PAYLOAD);
      assertMessageError(() => decodeWith(codec, payload), "trailing-bytes", command);
    });
    await t.step(`${command} non-canonical count`, () => {
      assertMessageError(
        () => decodeWith(codec, hexToBytes("80110100" + "fd0200")),
        "non-canonical-varint",
      );
    });
    await t.step(`${command} encoding bad hashes throws TypeError`, () => {
      assertThrows(
        () => encodeWith(codec, message(command, [HASH_A, new Uint8Array(31)])),
        TypeError,
      );
      assertThrows(() => encodeWith(codec, message(command, [], new Uint8Array(33))), TypeError);
    });
    await t.step(`${command} encoding a version that is not a uint32 throws RangeError`, () => {
      for (const protocolVersion of [-1, 2 ** 32, 0.5]) {
        const m = { ...message(command, []), protocolVersion };
        assertThrows(() => encodeWith(codec, m), RangeError);
      }
    });
  }
});

Deno.test({
  name: "getblocks, getheaders: shared vectors" + SKIP_NOTE,
  ignore: !HAVE_SHARED_DATA,
  fn: async (t) => {
    const commands: readonly string[] = ["getblocks", "getheaders"];
    const vectors = vectorsFor(...commands);
    assertGreaterOrEqual(vectors.length, 18, `only ${vectors.length} vectors`);
    for (const v of vectors) {
      await t.step(`${v.command} ${v.source}:${v.line} (${v.payloadLength} bytes)`, () => {
        const codec = CODECS.find((c) => c.command === v.command)!;
        const payload = hexToBytes(v.frame).subarray(24);
        assertEquals(payload.length, v.payloadLength);
        const m = decodeWith(codec, payload);
        const f = v.fields;
        assertEquals(m.locator.length, f.locators);
        if ("locatorVersion" in f) assertEquals(m.protocolVersion, f.locatorVersion);
        if ("firstLocator" in f) {
          const first = m.locator.at(0);
          const last = m.locator.at(-1);
          assertEquals(first ? hashToHex(first) : null, f.firstLocator);
          assertEquals(last ? hashToHex(last) : null, f.lastLocator);
        }
        if ("hashStop" in f) assertEquals(hashToHex(m.hashStop), f.hashStop);
        assertEquals(encodeWith(codec, m), payload);
        for (let n = 0; n < payload.length; n++) {
          assertMessageError(() => decodeWith(codec, payload.subarray(0, n)), "truncated");
        }
      });
    }
  },
});
