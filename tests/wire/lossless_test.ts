// Whatever the decoder accepts, the encoder writes back byte for byte: protocol strings that
// are not valid UTF-8, and `version` payloads laid out otherwise than the encoder's default
// (a relay byte below 70001, none from 70001, fields left off the end).
import { assertEquals, assertThrows } from "@std/assert";
import fc from "fast-check";
import { decodeMessage, encodeMessage } from "../../wire/frame.ts";
import { bytesToHex } from "../../wire/hash.ts";
import type { RejectMessage } from "../../wire/msg_reject.ts";
import type { VersionMessage } from "../../wire/msg_version.ts";
import { bytesToWireString, wireStringToBytes } from "../../wire/wire_string.ts";
import { encodeVarInt } from "../../wire/var_int.ts";
import { fixChecksum } from "../_util/fix_checksum.ts";

/** A mainnet frame around `payload`. */
function frame(command: string, payload: Uint8Array): Uint8Array {
  const out = new Uint8Array(24 + payload.length);
  out.set([0xf9, 0xbe, 0xb4, 0xd9]);
  out.set(new TextEncoder().encode(command), 4);
  new DataView(out.buffer).setUint32(16, payload.length, true);
  out.set(payload, 24);
  fixChecksum(out);
  return out;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** A version payload: 70016 unless said, then the user agent's bytes, height 7, `tail`. */
function versionPayload(
  userAgent: Uint8Array,
  options: { protocolVersion?: number; tail?: Uint8Array } = {},
): Uint8Array {
  const head = new Uint8Array(4 + 8 + 8 + 26 + 26 + 8);
  new DataView(head.buffer).setInt32(0, options.protocolVersion ?? 70016, true);
  return concat(
    head,
    encodeVarInt(userAgent.length),
    userAgent,
    new Uint8Array([7, 0, 0, 0]),
    options.tail ?? new Uint8Array([1]),
  );
}

function roundTrip(bytes: Uint8Array): Uint8Array {
  return encodeMessage(decodeMessage(bytes));
}

Deno.test("wire strings keep every byte", async (t) => {
  await t.step("valid UTF-8 is text, and a BOM stays", () => {
    const text = "\ufeff/Sätoshi:27.0.0(ünïcødé ✓ 😀)/";
    assertEquals(bytesToWireString(new TextEncoder().encode(text)), text);
    assertEquals(wireStringToBytes(text), new TextEncoder().encode(text));
  });
  await t.step("each byte outside valid UTF-8 is U+DC00 + byte, and back", () => {
    const cases: [number[], string][] = [
      [[0xff], "\udcff"],
      [[0x41, 0x80, 0x42], "A\udc80B"],
      // Overlong, a surrogate, past U+10FFFF, cut short: each byte on its own.
      [[0xc0, 0xaf], "\udcc0\udcaf"],
      [[0xe0, 0x80, 0xaf], "\udce0\udc80\udcaf"],
      [[0xed, 0xa0, 0x80], "\udced\udca0\udc80"],
      [[0xf4, 0x90, 0x80, 0x80], "\udcf4\udc90\udc80\udc80"],
      [[0xe2, 0x82], "\udce2\udc82"],
      // Valid text around a bad byte stays text; a real pair next to an escape stays a pair.
      [[0xf0, 0x9f, 0x98, 0x80, 0x80], "😀\udc80"],
      [[0xc3, 0xa9, 0xff, 0xc3, 0xa9], "é\udcffé"],
    ];
    for (const [bytes, text] of cases) {
      assertEquals(bytesToWireString(new Uint8Array(bytes)), text, String(bytes));
      assertEquals(wireStringToBytes(text), new Uint8Array(bytes), String(bytes));
    }
  });
  await t.step(
    "a lone surrogate that no decoding gives is U+FFFD, as TextEncoder writes it",
    () => {
      assertEquals(wireStringToBytes("\ud800"), new Uint8Array([0xef, 0xbf, 0xbd]));
      assertEquals(wireStringToBytes("\udc00"), new Uint8Array([0xef, 0xbf, 0xbd]));
    },
  );
  await t.step("property: any bytes survive decoding and encoding", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        assertEquals(wireStringToBytes(bytesToWireString(bytes)), bytes);
      }),
      { numRuns: 3000 },
    );
  });
  await t.step("property: valid UTF-8 decodes as TextDecoder does", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 32 }), (text) => {
        const bytes = new TextEncoder().encode(text);
        assertEquals(bytesToWireString(bytes), text);
        assertEquals(wireStringToBytes(text), bytes);
      }),
      { numRuns: 1000 },
    );
  });
});

Deno.test("version: a user agent that is not UTF-8 keeps its bytes and encodes again", () => {
  // 256 bytes that are not UTF-8: decoded with U+FFFD they were 768 bytes of text, past the
  // limit, and encodeMessage threw RangeError.
  const ua = new Uint8Array(256).fill(0xff);
  const bytes = frame("version", versionPayload(ua));
  const decoded = decodeMessage(bytes) as VersionMessage;
  assertEquals(decoded.userAgent, "\udcff".repeat(256));
  assertEquals(wireStringToBytes(decoded.userAgent), ua);
  assertEquals(encodeMessage(decoded), bytes);
  // Mixed: text, then a byte that a mutation flipped.
  const mixed = new TextEncoder().encode("/Satoshi:27.0.0/");
  mixed[3] ^= 0x80;
  assertEquals(
    roundTrip(frame("version", versionPayload(mixed))),
    frame("version", versionPayload(mixed)),
  );
});

Deno.test("version: where the payload ends is kept (the relay byte, fields left off)", async (t) => {
  const ua = new TextEncoder().encode("/x/");
  await t.step("before 70001 with the relay byte (as Bitcoin Core always writes it)", () => {
    const bytes = frame("version", versionPayload(ua, { protocolVersion: 60002 }));
    const decoded = decodeMessage(bytes) as VersionMessage;
    assertEquals(decoded.lastField, "relay");
    assertEquals(encodeMessage(decoded), bytes);
  });
  await t.step("from 70001 without it", () => {
    const bytes = frame("version", versionPayload(ua, { tail: new Uint8Array() }));
    const decoded = decodeMessage(bytes) as VersionMessage;
    assertEquals([decoded.lastField, decoded.relay], ["startHeight", true]);
    assertEquals(encodeMessage(decoded), bytes);
  });
  await t.step("an ordinary version says nothing, and is written whole", () => {
    const decoded = decodeMessage(frame("version", versionPayload(ua))) as VersionMessage;
    assertEquals("lastField" in decoded, false);
    const old = decodeMessage(
      frame("version", versionPayload(ua, { protocolVersion: 60002, tail: new Uint8Array() })),
    ) as VersionMessage;
    assertEquals("lastField" in old, false);
  });
  await t.step("a message built by hand may say where to stop", () => {
    const built = decodeMessage(frame("version", versionPayload(ua))) as VersionMessage;
    assertEquals(encodeMessage({ ...built, lastField: "nonce" }).length, 24 + 80);
    assertThrows(
      () => encodeMessage({ ...built, lastField: "height" as "nonce" }),
      TypeError,
      'unknown lastField "height"',
    );
  });
  await t.step("the one canonical form: a relay byte above 1 is written as 1", () => {
    const bytes = frame("version", versionPayload(ua, { tail: new Uint8Array([2]) }));
    const again = roundTrip(bytes);
    assertEquals(again.length, bytes.length);
    assertEquals(again.at(-1), 1);
  });
});

Deno.test("reject: a message and reason that are not UTF-8 keep their bytes", () => {
  const message = new Uint8Array([0x74, 0x78, 0xc3]); // "tx" and half of a two-byte character
  const reason = new Uint8Array([0x62, 0x61, 0x64, 0x80, 0xfe, 0xff]);
  const bytes = frame(
    "reject",
    concat(encodeVarInt(3), message, new Uint8Array([0x10]), encodeVarInt(6), reason),
  );
  const decoded = decodeMessage(bytes) as RejectMessage;
  assertEquals(decoded.message, "tx\udcc3");
  assertEquals(decoded.reason, "bad\udc80\udcfe\udcff");
  assertEquals(encodeMessage(decoded), bytes);
  // Any bytes at all, in a long reason.
  const long = new Uint8Array(5000).map((_, i) => i * 7);
  const big = frame(
    "reject",
    concat(encodeVarInt(2), message.subarray(0, 2), new Uint8Array([1]), encodeVarInt(5000), long),
  );
  assertEquals(bytesToHex(roundTrip(big)), bytesToHex(big));
});
