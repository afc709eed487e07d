// A peer's host as the numbers the accept path compares: an IPv4 address as one uint32, an
// IPv6 address as four. The host is what the transport reports (`1.2.3.4`, `2001:db8::1`,
// `::ffff:1.2.3.4` from a dual-stack socket) or what a user wrote (`[2001:db8::1]`).
//
// Every inbound connection is checked against the ban and whitelist ranges and the
// discouraged filter, so both forms are read here in one scan without allocating: the wire
// module's `parseIp` (split and regular expressions, a new array per address) took about
// 3 µs per IPv6 address, more than the lookups themselves (`bench/eviction_bench.ts`). The
// rules are `parseIp`'s, which a test checks on random text.

/** The result of {@linkcode readIp}: 4 or 6 for the family read, 0 for not an IP literal. */
export type IpFamily = 0 | 4 | 6;

/**
 * A dotted quad in `text[start, end)` (four decimal parts 0..255, no leading zeros, as the
 * wire module and Go's `net.ParseIP` accept) as a uint32, or -1.
 */
export function ipv4FromText(text: string, start = 0, end: number = text.length): number {
  let value = 0;
  let part = 0;
  let parts = 0;
  let digits = 0;
  for (let i = start; i <= end; i++) {
    const c = i < end ? text.charCodeAt(i) : 0x2e;
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

/** The value of a hex digit, or -1. */
function hexDigit(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  const lower = c | 0x20;
  if (lower >= 0x61 && lower <= 0x66) return lower - 0x61 + 10;
  return -1;
}

/** The eight 16-bit groups of the IPv6 address being read. */
const groups = new Uint16Array(8);

/**
 * Reads RFC 4291 text in `text[start, end)` (`::` for one or more zero groups, a trailing
 * dotted quad) into `words`; false, with `words` unspecified, when it is not IPv6.
 */
function ipv6Into(text: string, start: number, end: number, words: Uint32Array): boolean {
  let n = 0;
  let gap = -1;
  let i = start;
  if (end - start >= 2 && text.charCodeAt(i) === 0x3a && text.charCodeAt(i + 1) === 0x3a) {
    gap = 0;
    i += 2;
  }
  if (i < end || gap < 0) {
    for (;;) {
      let value = 0;
      let j = i;
      for (; j < end && j - i < 5; j++) {
        const d = hexDigit(text.charCodeAt(j));
        if (d < 0) break;
        value = value * 16 + d;
      }
      if (j < end && text.charCodeAt(j) === 0x2e) {
        // A dotted quad ends the address and takes two groups.
        const v4 = ipv4FromText(text, i, end);
        if (v4 < 0 || n > 6) return false;
        groups[n++] = v4 >>> 16;
        groups[n++] = v4 & 0xffff;
        break;
      }
      if (j === i || j - i > 4 || n === 8) return false;
      groups[n++] = value;
      if (j === end) break;
      if (text.charCodeAt(j) !== 0x3a) return false;
      j++;
      if (j < end && text.charCodeAt(j) === 0x3a) {
        if (gap >= 0) return false;
        gap = n;
        j++;
        if (j === end) break;
      } else if (j === end) {
        return false;
      }
      i = j;
    }
  }
  if (gap < 0) {
    if (n !== 8) return false;
  } else {
    // `::` stands for at least one zero group: move the groups after it to the end.
    if (n > 7) return false;
    const tail = n - gap;
    for (let k = 0; k < tail; k++) groups[7 - k] = groups[n - 1 - k];
    for (let k = gap; k < 8 - tail; k++) groups[k] = 0;
  }
  for (let k = 0; k < 4; k++) words[k] = groups[2 * k] * 0x10000 + groups[2 * k + 1];
  return true;
}

/**
 * Reads `host` into `words`: an IPv4 address (or IPv4-mapped IPv6, which is the same peer)
 * into `words[0]`, an IPv6 address into `words[0..3]` (big-endian). Brackets around an IPv6
 * literal are allowed. Anything else (a host name, an onion name, a zone index) reads as 0
 * and leaves `words` unspecified.
 */
export function readIp(host: string, words: Uint32Array): IpFamily {
  const v4 = ipv4FromText(host);
  if (v4 >= 0) {
    words[0] = v4;
    return 4;
  }
  let start = 0;
  let end = host.length;
  if (end >= 2 && host.charCodeAt(0) === 0x5b && host.charCodeAt(end - 1) === 0x5d) {
    start++;
    end--;
  }
  if (!ipv6Into(host, start, end, words)) return 0;
  if (words[0] === 0 && words[1] === 0 && words[2] === 0xffff) {
    words[0] = words[3];
    return 4;
  }
  return 6;
}

/** A uint32 IPv4 address as a dotted quad. */
export function ipv4ToText(v: number): string {
  return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}`;
}
