// A peer's host as the numbers the accept path compares: an IPv4 address as one uint32, an
// IPv6 address as four. The host is what the transport reports (`1.2.3.4`, `2001:db8::1`,
// `::ffff:1.2.3.4` from a dual-stack socket) or what a user wrote (`[2001:db8::1]`).
// IPv4 is read here in one scan without allocating (every inbound connection is checked
// against the ban and whitelist ranges and the discouraged filter); IPv6 goes through the
// wire module's parser.
import { parseIp } from "../wire/mod.ts";

/** The result of {@linkcode readIp}: 4 or 6 for the family read, 0 for not an IP literal. */
export type IpFamily = 0 | 4 | 6;

/**
 * A dotted quad (four decimal parts 0..255, no leading zeros, as the wire module and Go's
 * `net.ParseIP` accept) as a uint32, or -1.
 */
export function ipv4FromText(text: string): number {
  let value = 0;
  let part = 0;
  let parts = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      if (digits === 0 || parts === 4) return -1;
      value = value * 256 + part;
      parts++;
      part = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && part === 0) return -1;
      part = part * 10 + (c - 0x30);
      if (++digits > 3 || part > 255) return -1;
    } else {
      return -1;
    }
  }
  return parts === 4 ? value : -1;
}

/**
 * Reads `host` into `words`: an IPv4 address (or IPv4-mapped IPv6, which is the same peer)
 * into `words[0]`, an IPv6 address into `words[0..3]` (big-endian). Brackets around an IPv6
 * literal are allowed. Anything else (a host name, an onion name, a zone index) reads as 0
 * and leaves `words` alone.
 */
export function readIp(host: string, words: Uint32Array): IpFamily {
  const v4 = ipv4FromText(host);
  if (v4 >= 0) {
    words[0] = v4;
    return 4;
  }
  // Only text with a colon can be IPv6; checking first keeps names off the throwing path.
  if (!host.includes(":")) return 0;
  const text = host.charCodeAt(0) === 0x5b && host.endsWith("]") ? host.slice(1, -1) : host;
  let bytes: Uint8Array;
  try {
    bytes = parseIp(text);
  } catch {
    return 0;
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 16);
  if (view.getUint32(0) === 0 && view.getUint32(4) === 0 && view.getUint32(8) === 0xffff) {
    words[0] = view.getUint32(12);
    return 4;
  }
  for (let i = 0; i < 4; i++) words[i] = view.getUint32(4 * i);
  return 6;
}

/** A uint32 IPv4 address as a dotted quad. */
export function ipv4ToText(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}
