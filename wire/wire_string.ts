// The protocol's strings (a version's user agent, a reject's message and reason) are bytes:
// CompactSize-prefixed, meant to be UTF-8 but never checked by Bitcoin Core, which keeps and
// relays them as they came. Decoding them with replacement characters would lose bytes (a
// decoded message would not encode back to what was received, and could even grow past its
// limit: 256 bytes of invalid UTF-8 become 768 bytes of U+FFFD). So they are decoded as
// Python's "surrogateescape" does: valid UTF-8 as text, and each byte that is not part of
// valid UTF-8 as the lone surrogate U+DC00 + byte, which valid UTF-8 never decodes to; the
// encoder turns those back into the bytes. Any byte string survives the round trip.

const STRICT = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const ENCODER = new TextEncoder();
/** A lone low surrogate in U+DC80..U+DCFF: an escaped byte (not the second half of a pair). */
const ESCAPED_BYTE = /(?<![\uD800-\uDBFF])[\uDC80-\uDCFF]/;

/**
 * Decodes a protocol string: UTF-8, with each byte that is not part of valid UTF-8 kept as
 * the lone surrogate U+DC00 + byte (Python's "surrogateescape"), so that
 * {@linkcode wireStringToBytes} gives back exactly these bytes.
 *
 * @param bytes The string's bytes, as on the wire (without the length).
 * @returns The text.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { bytesToWireString, wireStringToBytes } from "@btcstream/p2p/wire";
 *
 * const bytes = new Uint8Array([0x2f, 0x41, 0xff, 0x2f]); // "/A", a stray 0xff, "/"
 * const text = bytesToWireString(bytes);
 * assertEquals(text, "/A\udcff/");
 * assertEquals(wireStringToBytes(text), bytes);
 * ```
 */
export function bytesToWireString(bytes: Uint8Array): string {
  if (bytes.length === 0) return "";
  try {
    return STRICT.decode(bytes);
  } catch {
    return decodeEscaping(bytes);
  }
}

/**
 * Encodes a protocol string: UTF-8, except that a lone surrogate U+DC80..U+DCFF (how
 * {@linkcode bytesToWireString} keeps a byte that is not valid UTF-8) becomes that byte
 * again. Other lone surrogates, which no decoded string holds, become U+FFFD as in
 * `TextEncoder`.
 *
 * @param text The text.
 * @returns Its bytes on the wire (without the length).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { wireStringToBytes } from "@btcstream/p2p/wire";
 *
 * assertEquals(wireStringToBytes("/Satoshi:27.0.0/").length, 16);
 * assertEquals(wireStringToBytes("é\udc80"), new Uint8Array([0xc3, 0xa9, 0x80]));
 * ```
 */
export function wireStringToBytes(text: string): Uint8Array {
  if (!ESCAPED_BYTE.test(text)) return ENCODER.encode(text);
  const out: number[] = [];
  let from = 0;
  const flush = (to: number) => {
    if (to > from) { for (const b of ENCODER.encode(text.slice(from, to))) out.push(b); }
  };
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) i++; // a pair: text like any other
    } else if (c >= 0xdc80 && c <= 0xdcff) {
      flush(i);
      out.push(c - 0xdc00);
      from = i + 1;
    }
  }
  flush(text.length);
  return Uint8Array.from(out);
}

/** The length of the valid UTF-8 sequence at `bytes[i]`, or 0 (Unicode's table 3-7). */
function sequenceLength(bytes: Uint8Array, i: number): number {
  const b = bytes[i];
  if (b < 0x80) return 1;
  const cont = (at: number, lo = 0x80, hi = 0xbf) =>
    at < bytes.length && bytes[at] >= lo && bytes[at] <= hi;
  if (b >= 0xc2 && b <= 0xdf) return cont(i + 1) ? 2 : 0;
  if (b >= 0xe0 && b <= 0xef) {
    // No overlong forms (E0 A0..), no surrogates (ED ..9F).
    const lo = b === 0xe0 ? 0xa0 : 0x80;
    const hi = b === 0xed ? 0x9f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) ? 3 : 0;
  }
  if (b >= 0xf0 && b <= 0xf4) {
    // No overlong forms (F0 90..), nothing past U+10FFFF (F4 ..8F).
    const lo = b === 0xf0 ? 0x90 : 0x80;
    const hi = b === 0xf4 ? 0x8f : 0xbf;
    return cont(i + 1, lo, hi) && cont(i + 2) && cont(i + 3) ? 4 : 0;
  }
  return 0;
}

/** The slow path: valid sequences decoded, every other byte escaped on its own. */
function decodeEscaping(bytes: Uint8Array): string {
  let out = "";
  let from = 0;
  let i = 0;
  while (i < bytes.length) {
    const n = sequenceLength(bytes, i);
    if (n > 0) {
      i += n;
      continue;
    }
    if (i > from) out += STRICT.decode(bytes.subarray(from, i));
    out += String.fromCharCode(0xdc00 + bytes[i]);
    i++;
    from = i;
  }
  if (i > from) out += STRICT.decode(bytes.subarray(from, i));
  return out;
}
