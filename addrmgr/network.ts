// Routability predicates over BIP 155 addresses, as btcd's `addrmgr/network.go` (which works
// on 16-byte legacy addresses) and Bitcoin Core's `CNetAddr` define them. An IPv6 address that
// is IPv4-mapped (`::ffff:a.b.c.d`) is treated as the IPv4 address it carries, as Go's
// `net.IP.To4` does. Tor v2 (retired) and unknown network ids are invalid, as in Core.
import { BIP155Network, type NetAddressV2 } from "../wire/net_address_v2.ts";

const SIZES = [0, 4, 16, 10, 32, 32, 16];

/** The IPv4 address as a uint32, or -1 when `na` is not IPv4 (or IPv4-mapped IPv6). */
export function ipv4Number(na: NetAddressV2): number {
  const a = na.address;
  if (na.networkId === BIP155Network.IPV4) {
    if (a.length !== 4) return -1;
    return ((a[0] << 24) | (a[1] << 16) | (a[2] << 8) | a[3]) >>> 0;
  }
  if (na.networkId === BIP155Network.IPV6 && a.length === 16 && isMapped(a)) {
    return ((a[12] << 24) | (a[13] << 16) | (a[14] << 8) | a[15]) >>> 0;
  }
  return -1;
}

function isMapped(a: Uint8Array): boolean {
  for (let i = 0; i < 10; i++) if (a[i] !== 0) return false;
  return a[10] === 0xff && a[11] === 0xff;
}

/** The 16 bytes of a true IPv6 address (not IPv4-mapped, not CJDNS), or undefined. */
function ipv6Bytes(na: NetAddressV2): Uint8Array | undefined {
  const a = na.address;
  if (na.networkId !== BIP155Network.IPV6 || a.length !== 16 || isMapped(a)) return undefined;
  return a;
}

function inV4(na: NetAddressV2, net: number, bits: number): boolean {
  const v = ipv4Number(na);
  return v >= 0 && (bits === 0 || (v >>> (32 - bits)) === (net >>> (32 - bits)));
}

function inV6(na: NetAddressV2, prefix: readonly number[], bits: number): boolean {
  const a = ipv6Bytes(na);
  if (a === undefined) return false;
  const whole = bits >>> 3;
  for (let i = 0; i < whole; i++) if (a[i] !== prefix[i]) return false;
  const rest = bits & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[whole] & mask) === (prefix[whole] & mask);
}

const V4 = (a: number, b: number, c: number, d: number) =>
  ((a << 24) | (b << 16) | (c << 8) | d) >>> 0;

/**
 * Whether `na` is IPv4 (including IPv4-mapped IPv6).
 *
 * @param na The address.
 * @returns True for IPv4.
 *
 * @example
 * ```ts
 * import { isIpv4 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert, assertFalse } from "@std/assert";
 * assert(isIpv4(netAddressV2FromString("1.2.3.4", 8333)));
 * assertFalse(isIpv4(netAddressV2FromString("::1", 8333)));
 * ```
 */
export function isIpv4(na: NetAddressV2): boolean {
  return ipv4Number(na) >= 0;
}

/**
 * RFC 1918 private IPv4: 10/8, 172.16/12, 192.168/16.
 *
 * @param na The address.
 * @returns True inside those ranges.
 *
 * @example
 * ```ts
 * import { isRfc1918 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc1918(netAddressV2FromString("192.168.1.1", 8333)));
 * ```
 */
export function isRfc1918(na: NetAddressV2): boolean {
  return inV4(na, V4(10, 0, 0, 0), 8) || inV4(na, V4(172, 16, 0, 0), 12) ||
    inV4(na, V4(192, 168, 0, 0), 16);
}

/**
 * RFC 2544 benchmarking IPv4: 198.18/15.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc2544 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc2544(netAddressV2FromString("198.19.0.1", 8333)));
 * ```
 */
export function isRfc2544(na: NetAddressV2): boolean {
  return inV4(na, V4(198, 18, 0, 0), 15);
}

/**
 * RFC 3927 link-local IPv4: 169.254/16.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc3927 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc3927(netAddressV2FromString("169.254.0.9", 8333)));
 * ```
 */
export function isRfc3927(na: NetAddressV2): boolean {
  return inV4(na, V4(169, 254, 0, 0), 16);
}

/**
 * RFC 5737 documentation IPv4: 192.0.2/24, 198.51.100/24, 203.0.113/24.
 *
 * @param na The address.
 * @returns True inside those ranges.
 *
 * @example
 * ```ts
 * import { isRfc5737 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc5737(netAddressV2FromString("203.0.113.7", 8333)));
 * ```
 */
export function isRfc5737(na: NetAddressV2): boolean {
  return inV4(na, V4(192, 0, 2, 0), 24) || inV4(na, V4(198, 51, 100, 0), 24) ||
    inV4(na, V4(203, 0, 113, 0), 24);
}

/**
 * RFC 6598 shared (carrier-grade NAT) IPv4: 100.64/10.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc6598 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc6598(netAddressV2FromString("100.64.1.1", 8333)));
 * ```
 */
export function isRfc6598(na: NetAddressV2): boolean {
  return inV4(na, V4(100, 64, 0, 0), 10);
}

/**
 * RFC 3849 documentation IPv6: 2001:db8::/32.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc3849 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc3849(netAddressV2FromString("2001:db8::1", 8333)));
 * ```
 */
export function isRfc3849(na: NetAddressV2): boolean {
  return inV6(na, [0x20, 0x01, 0x0d, 0xb8], 32);
}

/**
 * RFC 3964 6to4 IPv6: 2002::/16.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc3964 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc3964(netAddressV2FromString("2002:102:304::1", 8333)));
 * ```
 */
export function isRfc3964(na: NetAddressV2): boolean {
  return inV6(na, [0x20, 0x02], 16);
}

/**
 * RFC 4193 unique local IPv6: fc00::/7 (CJDNS addresses are a network of their own).
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc4193 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc4193(netAddressV2FromString("fd00::1", 8333)));
 * ```
 */
export function isRfc4193(na: NetAddressV2): boolean {
  return inV6(na, [0xfc], 7);
}

/**
 * RFC 4380 Teredo IPv6: 2001::/32.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc4380 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc4380(netAddressV2FromString("2001::1", 8333)));
 * ```
 */
export function isRfc4380(na: NetAddressV2): boolean {
  return inV6(na, [0x20, 0x01, 0x00, 0x00], 32);
}

/**
 * RFC 4843 ORCHID IPv6: 2001:10::/28.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc4843 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc4843(netAddressV2FromString("2001:10::1", 8333)));
 * ```
 */
export function isRfc4843(na: NetAddressV2): boolean {
  return inV6(na, [0x20, 0x01, 0x00, 0x10], 28);
}

/**
 * RFC 7343 ORCHIDv2 IPv6: 2001:20::/28.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc7343 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc7343(netAddressV2FromString("2001:20::1", 8333)));
 * ```
 */
export function isRfc7343(na: NetAddressV2): boolean {
  return inV6(na, [0x20, 0x01, 0x00, 0x20], 28);
}

/**
 * RFC 4862 link-local IPv6: fe80::/64.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc4862 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc4862(netAddressV2FromString("fe80::1", 8333)));
 * ```
 */
export function isRfc4862(na: NetAddressV2): boolean {
  return inV6(na, [0xfe, 0x80, 0, 0, 0, 0, 0, 0], 64);
}

/**
 * RFC 6052 IPv4-embedded IPv6 (NAT64 well-known prefix): 64:ff9b::/96.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc6052 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc6052(netAddressV2FromString("64:ff9b::102:304", 8333)));
 * ```
 */
export function isRfc6052(na: NetAddressV2): boolean {
  return inV6(na, [0, 0x64, 0xff, 0x9b, 0, 0, 0, 0, 0, 0, 0, 0], 96);
}

/**
 * RFC 6145 IPv4-translated IPv6: ::ffff:0:0:0/96.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isRfc6145 } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isRfc6145(netAddressV2FromString("::ffff:0:102:304", 8333)));
 * ```
 */
export function isRfc6145(na: NetAddressV2): boolean {
  return inV6(na, [0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 0, 0], 96);
}

/**
 * OnionCat (Tor v2 carried in IPv6): fd87:d87e:eb43::/48.
 *
 * @param na The address.
 * @returns True inside the range.
 *
 * @example
 * ```ts
 * import { isOnionCatTor } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isOnionCatTor(netAddressV2FromString("fd87:d87e:eb43::1", 8333)));
 * ```
 */
export function isOnionCatTor(na: NetAddressV2): boolean {
  return inV6(na, [0xfd, 0x87, 0xd8, 0x7e, 0xeb, 0x43], 48);
}

/**
 * Local addresses: IPv4 loopback (127/8) or 0.0.0.0/8, and IPv6 loopback `::1`.
 *
 * @param na The address.
 * @returns True for those.
 *
 * @example
 * ```ts
 * import { isLocal } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isLocal(netAddressV2FromString("127.0.0.1", 8333)));
 * ```
 */
export function isLocal(na: NetAddressV2): boolean {
  const v = ipv4Number(na);
  if (v >= 0) return (v >>> 24) === 127 || (v >>> 24) === 0;
  const a = ipv6Bytes(na);
  if (a === undefined) return false;
  for (let i = 0; i < 15; i++) if (a[i] !== 0) return false;
  return a[15] === 1;
}

/**
 * Zero-prefixed addresses: IPv4 0.0.0.0/8 and IPv6 ::/16, except RFC 6145.
 *
 * @param na The address.
 * @returns True for those.
 *
 * @example
 * ```ts
 * import { isZero } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert } from "@std/assert";
 * assert(isZero(netAddressV2FromString("::5", 8333)));
 * ```
 */
export function isZero(na: NetAddressV2): boolean {
  const v = ipv4Number(na);
  if (v >= 0) return (v >>> 24) === 0;
  const a = ipv6Bytes(na);
  return a !== undefined && a[0] === 0 && a[1] === 0 && !isRfc6145(na);
}

/**
 * Whether the address is well formed and specified: its size fits its network, it is not
 * the unspecified address (`0.0.0.0`, `::`) nor the IPv4 broadcast address, a CJDNS address
 * starts with `0xfc`, and the network is one we can reach (Tor v2 is retired, as in Core).
 *
 * @param na The address.
 * @returns True when valid.
 *
 * @example
 * ```ts
 * import { isValid } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert, assertFalse } from "@std/assert";
 * assertFalse(isValid(netAddressV2FromString("255.255.255.255", 8333)));
 * assert(isValid(netAddressV2FromString("8.8.8.8", 8333)));
 * ```
 */
export function isValid(na: NetAddressV2): boolean {
  const id = na.networkId;
  const a = na.address;
  if (id < 1 || id >= SIZES.length || id === BIP155Network.TORV2) return false;
  if (!(a instanceof Uint8Array) || a.length !== SIZES[id]) return false;
  if (id === BIP155Network.CJDNS) return a[0] === 0xfc;
  if (id === BIP155Network.TORV3 || id === BIP155Network.I2P) return true;
  const v = ipv4Number(na);
  if (v >= 0) return v !== 0 && v !== 0xffffffff;
  for (let i = 0; i < 16; i++) if (a[i] !== 0) return true;
  return false;
}

/**
 * Whether the address can be reached over the public internet (or an overlay network): Tor
 * v3, I2P and CJDNS addresses when valid, IPv4 and IPv6 when valid and in no reserved range
 * (btcd's `IsRoutable`, with RFC 7343 and the zero prefixes).
 *
 * @param na The address.
 * @returns True when routable.
 *
 * @example
 * ```ts
 * import { isRoutable } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert, assertFalse } from "@std/assert";
 * assert(isRoutable(netAddressV2FromString("8.8.8.8", 8333)));
 * assertFalse(isRoutable(netAddressV2FromString("10.0.0.1", 8333)));
 * ```
 */
export function isRoutable(na: NetAddressV2): boolean {
  const id = na.networkId;
  if (id === BIP155Network.TORV3 || id === BIP155Network.I2P || id === BIP155Network.CJDNS) {
    return isValid(na);
  }
  const v = ipv4Number(na);
  if (v >= 0) return isRoutableIpv4(v);
  return isValid(na) &&
    !(isRfc3849(na) || isRfc4843(na) || isRfc7343(na) || isRfc4862(na) || isLocal(na) ||
      isZero(na) || (isRfc4193(na) && !isOnionCatTor(na)));
}

/**
 * {@linkcode isRoutable} for an IPv4 address given as a uint32 (the hot path: every address
 * added), its ranges as integer compares.
 *
 * @param v The address, as from `ipv4Number`.
 * @returns True when routable.
 */
export function isRoutableIpv4(v: number): boolean {
  const a = v >>> 24;
  if (v === 0xffffffff || a === 0 || a === 10 || a === 127) return false;
  const b16 = v >>> 16;
  if (
    (v >>> 20) === 0xac1 || b16 === 0xc0a8 || (v >>> 17) === (0xc612 >>> 1) ||
    b16 === 0xa9fe || (v >>> 22) === (0x6440 >>> 6)
  ) return false;
  const c24 = v >>> 8;
  return c24 !== 0xc00002 && c24 !== 0xc63364 && c24 !== 0xcb0071;
}
