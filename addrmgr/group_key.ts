// The network group of an address (what eclipse resistance counts: one /16 is one operator)
// and the "host:port" key addresses are indexed and persisted by, both byte-for-byte as btcd
// writes them, so that bucket placement and peers.json match btcd's for the same key.
import { BIP155Network, type NetAddressV2, netAddressV2ToString } from "../wire/net_address_v2.ts";
import {
  ipv4Number,
  isLocal,
  isOnionCatTor,
  isRfc3964,
  isRfc4380,
  isRfc6052,
  isRfc6145,
  isRoutable,
} from "./network.ts";

function slash16(a: number, b: number): string {
  return `${a}.${b}.0.0`;
}

/**
 * The network group of an address, as btcd's `GroupKey` (REFERENCE 3.4): `"local"`,
 * `"unroutable"`, the /16 of IPv4 (also of the IPv4 inside RFC 6145/6052/3964/4380
 * addresses), `"tor:<n>"` for Tor v3 and OnionCat, the /32 of IPv6 (/36 inside Hurricane
 * Electric's 2001:470::/32). I2P and CJDNS, which btcd does not carry, follow the Tor form:
 * `"i2p:<n>"` (low nibble of the first byte) and `"cjdns:<n>"` (of the second byte, the first
 * being the constant 0xfc).
 *
 * @param na The address.
 * @returns The group, as a string.
 *
 * @example
 * ```ts
 * import { groupKey } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(groupKey(netAddressV2FromString("1.2.3.4", 8333)), "1.2.0.0");
 * assertEquals(groupKey(netAddressV2FromString("2a01:4f8:1:2::3", 8333)), "2a01:4f8::");
 * ```
 */
export function groupKey(na: NetAddressV2): string {
  const a = na.address;
  if (na.networkId === BIP155Network.TORV3 && a.length === 32) return `tor:${a[0] & 0x0f}`;
  if (na.networkId === BIP155Network.I2P && a.length === 32) return `i2p:${a[0] & 0x0f}`;
  if (na.networkId === BIP155Network.CJDNS && isRoutable(na)) return `cjdns:${a[1] & 0x0f}`;
  if (isLocal(na)) return "local";
  if (!isRoutable(na)) return "unroutable";
  const v = ipv4Number(na);
  if (v >= 0) return slash16(v >>> 24, (v >>> 16) & 0xff);
  if (isRfc6145(na) || isRfc6052(na)) return slash16(a[12], a[13]);
  if (isRfc3964(na)) return slash16(a[2], a[3]);
  if (isRfc4380(na)) return slash16(a[12] ^ 0xff, a[13] ^ 0xff);
  if (isOnionCatTor(na)) return `tor:${a[6] & 0x0f}`;
  // bitcoind uses /32 for IPv6, except /36 for Hurricane Electric (2001:470::/32).
  const he = a[0] === 0x20 && a[1] === 0x01 && a[2] === 0x04 && a[3] === 0x70;
  const masked = new Uint8Array(16);
  masked.set(a.subarray(0, 4));
  if (he) masked[4] = a[4] & 0xf0;
  return netAddressV2ToString({ ...na, networkId: BIP155Network.IPV6, address: masked });
}

/**
 * The key an address is known by: `"host:port"`, with IPv6 (and CJDNS) hosts in brackets,
 * Tor v3 as `<base32>.onion` and I2P as `<base32>.b32.i2p` (btcd's `NetAddressKey`, Go's
 * `net.JoinHostPort`). IPv4-mapped IPv6 is written as IPv4.
 *
 * @param na The address.
 * @returns The key.
 *
 * @example
 * ```ts
 * import { netAddressKey } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(netAddressKey(netAddressV2FromString("2001:db8::1", 8333)), "[2001:db8::1]:8333");
 * ```
 */
export function netAddressKey(na: NetAddressV2): string {
  const v = ipv4Number(na);
  if (v >= 0) {
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}:${na.port}`;
  }
  const host = netAddressV2ToString(na);
  return host.includes(":") ? `[${host}]:${na.port}` : `${host}:${na.port}`;
}
