// Binary and text forms of network addresses, shared by `net_address.ts`, `net_address_v2.ts`
// and the `version`, `addr` and `addrv2` codecs: the 26/30-byte v1 address, the BIP 155 entry,
// IPv4/IPv6 text (RFC 5952) and the RFC 4648 base32 used by Tor and I2P names.
import type { ByteReader } from "./_reader.ts";
import type { ByteWriter } from "./_writer.ts";
import { MessageError } from "./errors.ts";
import type { NetAddress } from "./net_address.ts";
import type { NetAddressV2 } from "./net_address_v2.ts";
import { MAX_ADDR_V2_SIZE } from "./protocol.ts";

/** `::ffff:0:0/96`: an IPv4 address carried in 16 bytes (RFC 4291). */
export const IPV4_MAPPED_PREFIX: Uint8Array = new Uint8Array(12).fill(0xff, 10);
/** `fd87:d87e:eb43::/48`: OnionCat, a Tor v2 name carried in IPv6. */
export const ONIONCAT_PREFIX: Uint8Array = new Uint8Array([0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43]);
/** `fd6b:88c0:8724::/48`: Bitcoin Core's internal (seed name) addresses carried in IPv6. */
export const INTERNAL_PREFIX: Uint8Array = new Uint8Array([0xfd, 0x6b, 0x88, 0xc0, 0x87, 0x24]);

const MAX_UINT64 = 0xffffffffffffffffn;

/** Whether `bytes` starts with `prefix`. */
export function hasPrefix(bytes: Uint8Array, prefix: Uint8Array): boolean {
  if (bytes.length < prefix.length) return false;
  for (let i = 0; i < prefix.length; i++) if (bytes[i] !== prefix[i]) return false;
  return true;
}

/** Throws `RangeError` unless `value` is a bigint that fits a uint64. */
export function checkUint64(command: string, field: string, value: bigint): void {
  if (typeof value !== "bigint" || value < 0n || value > MAX_UINT64) {
    throw new RangeError(`Cannot encode "${command}": ${field} must be a bigint in 0..2^64-1`);
  }
}

/** Throws `RangeError` unless `port` is an integer in 0..65535. */
export function checkPort(command: string, field: string, port: number): void {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new RangeError(`Cannot encode "${command}": ${field} must be an integer in 0..65535`);
  }
}

/** Throws `RangeError` unless `timestamp` is a uint32. */
export function checkTimestamp(command: string, field: string, timestamp: number): void {
  if (!Number.isInteger(timestamp) || timestamp < 0 || timestamp > 0xffffffff) {
    throw new RangeError(
      `Cannot encode "${command}": ${field} must be an integer in 0..4294967295`,
    );
  }
}

/**
 * Reads a v1 address: `[time u32 LE] services u64 LE | ip [16] | port u16 BE`. The ip is a view
 * into the payload.
 */
export function readNetAddress(r: ByteReader, withTimestamp: boolean): NetAddress {
  if (withTimestamp) {
    r.need(30, "address");
    const timestamp = r.u32le("timestamp");
    const services = r.u64le("services");
    const ip = r.bytesView(16, "ip");
    const port = r.u16be("port");
    return { timestamp, services, ip, port };
  }
  const services = r.u64le("services");
  const ip = r.bytesView(16, "ip");
  const port = r.u16be("port");
  return { services, ip, port };
}

/**
 * Writes a v1 address after validating it. A missing timestamp is written as 0, which
 * receivers treat as "long ago" (Bitcoin Core replaces it with five days ago).
 */
export function writeNetAddress(
  w: ByteWriter,
  a: NetAddress,
  withTimestamp: boolean,
  command: string,
  field: string,
): void {
  checkUint64(command, `${field}.services`, a.services);
  if (!(a.ip instanceof Uint8Array) || a.ip.length !== 16) {
    const got = a.ip instanceof Uint8Array ? `${a.ip.length} bytes` : typeof a.ip;
    throw new TypeError(`Cannot encode "${command}": ${field}.ip must be 16 bytes, got ${got}`);
  }
  checkPort(command, `${field}.port`, a.port);
  if (withTimestamp) {
    const t = a.timestamp ?? 0;
    checkTimestamp(command, `${field}.timestamp`, t);
    w.u32le(t);
  }
  w.u64le(a.services);
  w.bytesRaw(a.ip);
  w.u16be(a.port);
}

/** BIP 155 network ids this file knows, with their address sizes (0 = unknown). */
const V2_SIZES = [0, 4, 16, 10, 32, 32, 16];
const V2_IPV6 = 2;
const V2_TORV2 = 3;

/**
 * Reads one BIP 155 entry. Returns `undefined` for an entry Bitcoin Core reads but drops:
 * Tor v2 and unknown network ids, and IPv6 entries that embed IPv4, Tor v2 or internal names.
 */
export function readNetAddressV2(r: ByteReader): NetAddressV2 | undefined {
  const timestamp = r.u32le("timestamp");
  const services = r.varIntBig("services");
  const networkId = r.u8("network id");
  const size = r.varInt("address length");
  // As Bitcoin Core (`CNetAddr::UnserializeV2Stream`): the length is bounded before anything
  // is read, for every network id.
  if (size > MAX_ADDR_V2_SIZE) {
    r.fail("limit-exceeded", `address of ${size} bytes exceeds the limit of ${MAX_ADDR_V2_SIZE}`);
  }
  const expected = networkId < V2_SIZES.length && networkId !== V2_TORV2 ? V2_SIZES[networkId] : 0;
  if (expected === 0) {
    // BIP 155: unknown ids must be skipped, not rejected. Bitcoin Core (22.0+) no longer knows
    // Tor v2, so it skips those too without checking their size; btcd still checks it.
    r.skip(size, "address");
    r.u16be("port");
    return undefined;
  }
  if (size !== expected) {
    const detail = `network ${networkId} address of ${size} bytes, expected ${expected}`;
    throw new MessageError(
      "invalid-address-size",
      `Cannot decode "${r.command}": ${detail}`,
      r.command,
    );
  }
  const address = r.bytesView(size, "address");
  const port = r.u16be("port");
  // BIP 155: IPv4 and Tor v2 must not be embedded in IPv6 in addrv2; Core also recognises its
  // internal names there. It reads such entries as invalid and never gossips them.
  if (
    networkId === V2_IPV6 &&
    (hasPrefix(address, IPV4_MAPPED_PREFIX) || hasPrefix(address, ONIONCAT_PREFIX) ||
      hasPrefix(address, INTERNAL_PREFIX))
  ) {
    return undefined;
  }
  return { timestamp, services, networkId, address, port };
}

/** Writes one BIP 155 entry after validating it. */
export function writeNetAddressV2(
  w: ByteWriter,
  a: NetAddressV2,
  command: string,
  field: string,
): void {
  checkTimestamp(command, `${field}.timestamp`, a.timestamp);
  checkUint64(command, `${field}.services`, a.services);
  if (!Number.isInteger(a.networkId) || a.networkId < 0 || a.networkId > 0xff) {
    throw new RangeError(`Cannot encode "${command}": ${field}.networkId must be in 0..255`);
  }
  if (!(a.address instanceof Uint8Array)) {
    throw new TypeError(`Cannot encode "${command}": ${field}.address must be a Uint8Array`);
  }
  const expected = a.networkId < V2_SIZES.length ? V2_SIZES[a.networkId] : 0;
  const n = a.address.length;
  if (expected !== 0 && n !== expected) {
    throw new RangeError(
      `Cannot encode "${command}": ${field} is a network ${a.networkId} address of ${n} bytes, expected ${expected}`,
    );
  }
  if (n > MAX_ADDR_V2_SIZE) {
    throw new RangeError(
      `Cannot encode "${command}": ${field}.address of ${n} bytes exceeds the limit of ${MAX_ADDR_V2_SIZE}`,
    );
  }
  checkPort(command, `${field}.port`, a.port);
  w.u32le(a.timestamp);
  w.varIntBig(a.services);
  w.u8(a.networkId);
  w.varBytes(a.address);
  w.u16be(a.port);
}

/** Dotted-quad text of 4 bytes at `offset`. */
export function formatIpv4(bytes: Uint8Array, offset = 0): string {
  return `${bytes[offset]}.${bytes[offset + 1]}.${bytes[offset + 2]}.${bytes[offset + 3]}`;
}

/**
 * RFC 5952 text of 16 bytes: lowercase hex without leading zeros, the longest run of two or
 * more zero groups (the first on a tie) written as `::`.
 */
export function formatIpv6(bytes: Uint8Array): string {
  const groups = new Array<number>(8);
  for (let i = 0; i < 8; i++) groups[i] = (bytes[2 * i] << 8) | bytes[2 * i + 1];
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (groups[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (from: number, to: number) =>
    groups.slice(from, to).map((g) => g.toString(16)).join(":");
  if (bestStart < 0) return hex(0, 8);
  return `${hex(0, bestStart)}::${hex(bestStart + bestLen, 8)}`;
}

/** Parses a dotted quad (four decimal parts 0..255, no leading zeros) or returns undefined. */
export function parseIpv4(text: string): Uint8Array | undefined {
  // One scan over the characters (address books parse tens of thousands of these).
  const out = new Uint8Array(4);
  let part = 0;
  let value = 0;
  let digits = 0;
  for (let i = 0; i <= text.length; i++) {
    const c = i < text.length ? text.charCodeAt(i) : 0x2e;
    if (c === 0x2e) {
      // Empty parts are refused, and so are leading zeros: some parsers read them as octal
      // (Go's net.ParseIP refuses them too).
      if (digits === 0 || part === 4) return undefined;
      out[part++] = value;
      value = 0;
      digits = 0;
    } else if (c >= 0x30 && c <= 0x39) {
      if (digits === 1 && value === 0) return undefined;
      value = value * 10 + (c - 0x30);
      if (++digits > 3 || value > 255) return undefined;
    } else {
      return undefined;
    }
  }
  return part === 4 ? out : undefined;
}

/** Parses colon-separated hex groups, the last one optionally a dotted quad, into words. */
function parseGroups(parts: readonly string[], words: number[]): boolean {
  const last = parts.length - 1;
  for (let i = 0; i <= last; i++) {
    const p = parts[i];
    if (i === last && p.includes(".")) {
      const v4 = parseIpv4(p);
      if (v4 === undefined) return false;
      words.push((v4[0] << 8) | v4[1], (v4[2] << 8) | v4[3]);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) {
      words.push(parseInt(p, 16));
    } else {
      return false;
    }
  }
  return true;
}

/**
 * Parses RFC 4291 IPv6 text (`::` compression and a trailing dotted quad allowed) or returns
 * undefined.
 */
export function parseIpv6(text: string): Uint8Array | undefined {
  const halves = text.split("::");
  if (halves.length > 2) return undefined;
  const head: number[] = [];
  const tail: number[] = [];
  if (halves.length === 1) {
    if (!parseGroups(halves[0].split(":"), head) || head.length !== 8) return undefined;
  } else {
    // A dotted quad may only end the whole address, so never the part before `::`.
    if (halves[0] !== "" && (halves[0].includes(".") || !parseGroups(halves[0].split(":"), head))) {
      return undefined;
    }
    if (halves[1] !== "" && !parseGroups(halves[1].split(":"), tail)) return undefined;
    // `::` stands for at least one zero group.
    if (head.length + tail.length > 7) return undefined;
  }
  const out = new Uint8Array(16);
  for (let i = 0; i < head.length; i++) {
    out[2 * i] = head[i] >> 8;
    out[2 * i + 1] = head[i] & 0xff;
  }
  const base = 8 - tail.length;
  for (let i = 0; i < tail.length; i++) {
    out[2 * (base + i)] = tail[i] >> 8;
    out[2 * (base + i) + 1] = tail[i] & 0xff;
  }
  return out;
}

const BASE32_ALPHABET = "abcdefghijklmnopqrstuvwxyz234567";

/** RFC 4648 base32, lowercase, without padding (as Tor and I2P names are written). */
export function base32Encode(bytes: Uint8Array): string {
  let out = "";
  let acc = 0;
  let bits = 0;
  for (let i = 0; i < bytes.length; i++) {
    acc = ((acc << 8) | bytes[i]) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += BASE32_ALPHABET[(acc >> bits) & 31];
    }
  }
  if (bits > 0) out += BASE32_ALPHABET[(acc << (5 - bits)) & 31];
  return out;
}

/**
 * Decodes unpadded base32 (either case) or returns undefined on a character outside the
 * alphabet or non-zero padding bits.
 */
export function base32Decode(text: string): Uint8Array | undefined {
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const v = BASE32_ALPHABET.indexOf(text[i].toLowerCase());
    if (v < 0) return undefined;
    acc = ((acc << 5) | v) & 0xffff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be fewer than one character's worth and all zero.
  if (bits >= 5 || (acc & ((1 << bits) - 1)) !== 0) return undefined;
  return out;
}
