// BIP 155 addresses (`addrv2`): a network id and a variable-length address, so Tor v3, I2P and
// CJDNS peers can be gossiped alongside IPv4 and IPv6, plus their text forms.
import { createHash } from "node:crypto";
import {
  base32Decode,
  base32Encode,
  checkPort,
  checkTimestamp,
  checkUint64,
  formatIpv4,
  formatIpv6,
  hasPrefix,
  IPV4_MAPPED_PREFIX,
  ONIONCAT_PREFIX,
  parseIpv4,
  parseIpv6,
} from "./_net_address_io.ts";
import type { NetAddress } from "./net_address.ts";

/**
 * BIP 155 network ids.
 *
 * @example
 * ```ts
 * import { BIP155Network } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(BIP155Network.TORV3, 4);
 * ```
 */
export const BIP155Network = {
  /** IPv4, 4 bytes. */
  IPV4: 1,
  /** IPv6, 16 bytes. */
  IPV6: 2,
  /** Tor v2, 10 bytes; deprecated, and skipped when received (as Bitcoin Core). */
  TORV2: 3,
  /** Tor v3, the 32-byte ed25519 public key. */
  TORV3: 4,
  /** I2P, the 32-byte SHA-256 of the destination. */
  I2P: 5,
  /** CJDNS, 16 bytes in `fc00::/8`. */
  CJDNS: 6,
} as const;

/**
 * The address size each known BIP 155 network requires, keyed by network id.
 *
 * @example
 * ```ts
 * import { BIP155_ADDRESS_SIZES, BIP155Network } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(BIP155_ADDRESS_SIZES[BIP155Network.I2P], 32);
 * ```
 */
export const BIP155_ADDRESS_SIZES: Readonly<Record<number, number>> = {
  1: 4,
  2: 16,
  3: 10,
  4: 32,
  5: 32,
  6: 16,
};

/**
 * A BIP 155 network address, as carried by `addrv2`.
 *
 * @example
 * ```ts
 * import {
 *   BIP155Network,
 *   netAddressV2FromString,
 *   netAddressV2ToString,
 * } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const a = netAddressV2FromString("203.0.113.7", 8333);
 * assertEquals(a.networkId, BIP155Network.IPV4);
 * assertEquals(netAddressV2ToString(a), "203.0.113.7");
 * ```
 */
export interface NetAddressV2 {
  /** When the address was last seen (uint32 unix seconds). */
  readonly timestamp: number;
  /** Service flags (a CompactSize on the wire, up to 64 bits). */
  readonly services: bigint;
  /** BIP 155 network id (uint8); see {@linkcode BIP155Network}. */
  readonly networkId: number;
  /** The address bytes, sized for the network (at most 512 bytes). */
  readonly address: Uint8Array;
  /** Port (big-endian on the wire); 0 for networks without ports. */
  readonly port: number;
}

/** Options for {@linkcode netAddressV2FromString}. */
export interface NetAddressV2Options {
  /** Service flags; defaults to 0. */
  readonly services?: bigint;
  /** Last-seen time in unix seconds; defaults to 0. */
  readonly timestamp?: number;
}

const TORV3_VERSION = 3;
const ONION_CHECKSUM_TAG = new TextEncoder().encode(".onion checksum");

/** The 2-byte Tor v3 checksum: SHA3-256(".onion checksum" | pubkey | version)[0:2]. */
function torV3Checksum(pubkey: Uint8Array): Uint8Array {
  const h = createHash("sha3-256");
  h.update(ONION_CHECKSUM_TAG);
  h.update(pubkey);
  h.update(Uint8Array.of(TORV3_VERSION));
  return new Uint8Array(h.digest().subarray(0, 2));
}

/**
 * Formats a BIP 155 address as a host name.
 *
 * IPv4 as a dotted quad, IPv6 and CJDNS as RFC 5952 text, Tor v3 as `<base32>.onion` (BIP 155:
 * base32(pubkey | checksum | 0x03)), Tor v2 as its 16-character `.onion`, I2P as
 * `<base32>.b32.i2p`.
 *
 * @param address The address.
 * @returns The host name, without the port.
 * @throws {TypeError} When the network id is unknown or the size does not match it.
 *
 * @example
 * ```ts
 * import { BIP155Network, netAddressV2ToString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const a = {
 *   timestamp: 0,
 *   services: 0n,
 *   networkId: BIP155Network.IPV6,
 *   address: new Uint8Array([0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1]),
 *   port: 8333,
 * };
 * assertEquals(netAddressV2ToString(a), "2001:db8::1");
 * ```
 */
export function netAddressV2ToString(address: NetAddressV2): string {
  const { networkId, address: bytes } = address;
  const expected = BIP155_ADDRESS_SIZES[networkId];
  if (expected === undefined) {
    throw new TypeError(`Cannot format address: unknown BIP 155 network ${networkId}`);
  }
  if (!(bytes instanceof Uint8Array) || bytes.length !== expected) {
    const got = bytes instanceof Uint8Array ? `${bytes.length} bytes` : typeof bytes;
    throw new TypeError(
      `Cannot format address: network ${networkId} needs ${expected} bytes, got ${got}`,
    );
  }
  switch (networkId) {
    case BIP155Network.IPV4:
      return formatIpv4(bytes);
    case BIP155Network.TORV2:
      return `${base32Encode(bytes)}.onion`;
    case BIP155Network.TORV3: {
      const full = new Uint8Array(35);
      full.set(bytes);
      full.set(torV3Checksum(bytes), 32);
      full[34] = TORV3_VERSION;
      return `${base32Encode(full)}.onion`;
    }
    case BIP155Network.I2P:
      return `${base32Encode(bytes)}.b32.i2p`;
    default:
      // IPv6 and CJDNS.
      return formatIpv6(bytes);
  }
}

/**
 * Parses a host name into a BIP 155 address.
 *
 * Accepts IPv4 and IPv6 literals (an IPv4-mapped IPv6 literal becomes IPv4; `fc00::/8`
 * becomes CJDNS, the only network using that range), Tor v3 `.onion` names (checksum and
 * version verified) and I2P `.b32.i2p` names. Tor v2 names are refused: the network no longer
 * exists and Bitcoin Core drops them.
 *
 * @param host The host name, without brackets or port.
 * @param port Port, 0..65535.
 * @param options Services and timestamp.
 * @returns The address.
 * @throws {TypeError} When `host` is none of the above or an onion name is corrupt.
 * @throws {RangeError} When the port, services or timestamp are out of range.
 *
 * @example
 * ```ts
 * import { BIP155Network, netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const a = netAddressV2FromString(
 *   "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
 *   8333,
 * );
 * assertEquals(a.networkId, BIP155Network.TORV3);
 * assertEquals(a.address.length, 32); // the service's public key
 * ```
 */
export function netAddressV2FromString(
  host: string,
  port: number,
  options: NetAddressV2Options = {},
): NetAddressV2 {
  const services = options.services ?? 0n;
  const timestamp = options.timestamp ?? 0;
  checkPort("address", "port", port);
  checkUint64("address", "services", services);
  checkTimestamp("address", "timestamp", timestamp);
  const [networkId, address] = parseHost(host);
  return { timestamp, services, networkId, address, port };
}

function parseHost(host: string): [number, Uint8Array] {
  if (typeof host !== "string") {
    throw new TypeError(`Cannot parse address: expected a string, got ${typeof host}`);
  }
  const lower = host.toLowerCase();
  if (lower.endsWith(".onion")) {
    const name = lower.slice(0, -".onion".length);
    if (name.length === 16) {
      throw new TypeError(`Cannot parse address: Tor v2 name ${host} is no longer supported`);
    }
    const full = name.length === 56 ? base32Decode(name) : undefined;
    if (full === undefined || full.length !== 35) {
      throw new TypeError(`Cannot parse address: ${host} is not a Tor v3 name`);
    }
    if (full[34] !== TORV3_VERSION) {
      throw new TypeError(`Cannot parse address: ${host} has Tor version ${full[34]}, expected 3`);
    }
    const pubkey = full.subarray(0, 32);
    const sum = torV3Checksum(pubkey);
    if (sum[0] !== full[32] || sum[1] !== full[33]) {
      throw new TypeError(`Cannot parse address: ${host} has a bad checksum`);
    }
    return [BIP155Network.TORV3, new Uint8Array(pubkey)];
  }
  if (lower.endsWith(".b32.i2p")) {
    const name = lower.slice(0, -".b32.i2p".length);
    const hash = name.length === 52 ? base32Decode(name) : undefined;
    if (hash === undefined || hash.length !== 32) {
      throw new TypeError(`Cannot parse address: ${host} is not an I2P .b32.i2p name`);
    }
    return [BIP155Network.I2P, hash];
  }
  const v4 = parseIpv4(host);
  if (v4 !== undefined) return [BIP155Network.IPV4, v4];
  const v6 = parseIpv6(host);
  if (v6 === undefined) {
    throw new TypeError(`Cannot parse address: ${JSON.stringify(host)} is not a known host form`);
  }
  if (hasPrefix(v6, IPV4_MAPPED_PREFIX)) return [BIP155Network.IPV4, v6.slice(12)];
  if (v6[0] === 0xfc) return [BIP155Network.CJDNS, v6];
  return [BIP155Network.IPV6, v6];
}

/**
 * Converts a BIP 155 address to the v1 form `addr` and `version` carry.
 *
 * @param address The address.
 * @returns The v1 address for IPv4 and IPv6, or `undefined` for networks v1 cannot carry
 * (Tor, I2P, CJDNS; Bitcoin Core writes those as all zeros).
 *
 * @example
 * ```ts
 * import { ipToString, netAddressV2FromString, netAddressV2ToLegacy } from "@btcstream/p2p/wire";
 * import { assertEquals, assertExists } from "@std/assert";
 * const legacy = netAddressV2ToLegacy(netAddressV2FromString("1.2.3.4", 8333));
 * assertExists(legacy);
 * assertEquals(ipToString(legacy.ip), "1.2.3.4");
 * ```
 */
export function netAddressV2ToLegacy(address: NetAddressV2): NetAddress | undefined {
  const { timestamp, services, port } = address;
  if (address.networkId === BIP155Network.IPV4 && address.address.length === 4) {
    const ip = new Uint8Array(16);
    ip.set(IPV4_MAPPED_PREFIX);
    ip.set(address.address, 12);
    return { timestamp, services, ip, port };
  }
  if (address.networkId === BIP155Network.IPV6 && address.address.length === 16) {
    return { timestamp, services, ip: address.address, port };
  }
  return undefined;
}

/**
 * Converts a v1 address to BIP 155: IPv4-mapped becomes IPv4, OnionCat (`fd87:d87e:eb43::/48`)
 * becomes Tor v2 (as btcd), anything else IPv6.
 *
 * @param address The v1 address; a missing timestamp becomes 0.
 * @returns The BIP 155 address.
 * @throws {TypeError} When `address.ip` is not 16 bytes.
 *
 * @example
 * ```ts
 * import { netAddressFromHost, netAddressToV2 } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const v2 = netAddressToV2(netAddressFromHost("1.2.3.4", 8333));
 * assertEquals(v2.address, Uint8Array.of(1, 2, 3, 4)); // 4 bytes: BIP 155 IPv4
 * ```
 */
export function netAddressToV2(address: NetAddress): NetAddressV2 {
  const { services, ip, port } = address;
  if (!(ip instanceof Uint8Array) || ip.length !== 16) {
    throw new TypeError("Cannot convert address: ip must be 16 bytes");
  }
  const timestamp = address.timestamp ?? 0;
  if (hasPrefix(ip, IPV4_MAPPED_PREFIX)) {
    return { timestamp, services, networkId: BIP155Network.IPV4, address: ip.slice(12), port };
  }
  if (hasPrefix(ip, ONIONCAT_PREFIX)) {
    return { timestamp, services, networkId: BIP155Network.TORV2, address: ip.slice(6), port };
  }
  return { timestamp, services, networkId: BIP155Network.IPV6, address: ip, port };
}
