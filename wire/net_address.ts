// The v1 network address of `version` and `addr`: services, a 16-byte IPv6 address (IPv4 as
// `::ffff:a.b.c.d`) and a big-endian port, preceded in `addr` by a timestamp (protocol 31402+).
import {
  checkPort,
  checkTimestamp,
  checkUint64,
  formatIpv4,
  formatIpv6,
  hasPrefix,
  IPV4_MAPPED_PREFIX,
  parseIpv4,
  parseIpv6,
} from "./_net_address_io.ts";

/**
 * A v1 network address, as carried by `version` and `addr`.
 *
 * @example
 * ```ts
 * import { ipToString, type NetAddress, parseIp } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const a: NetAddress = { services: 1n, ip: parseIp("203.0.113.7"), port: 8333 };
 * assertEquals(ipToString(a.ip), "203.0.113.7");
 * ```
 */
export interface NetAddress {
  /**
   * When the address was last seen (uint32 unix seconds). Present in `addr` from protocol
   * 31402; absent inside `version`. Encoded as 0 where required but missing.
   */
  readonly timestamp?: number;
  /** Service flags (uint64). */
  readonly services: bigint;
  /** 16-byte IPv6 address; IPv4 as IPv4-mapped `::ffff:a.b.c.d`. */
  readonly ip: Uint8Array;
  /** TCP port (big-endian on the wire). */
  readonly port: number;
}

/** Options for {@linkcode netAddressFromHost}. */
export interface NetAddressOptions {
  /** Service flags; defaults to 0. */
  readonly services?: bigint;
  /** Last-seen time in unix seconds; omitted when not given. */
  readonly timestamp?: number;
}

/**
 * Formats a 16-byte address: IPv4-mapped as a dotted quad, anything else as RFC 5952 IPv6.
 *
 * @param ip The 16-byte address.
 * @returns Its text form, e.g. `"1.2.3.4"` or `"2001:db8::1"`.
 * @throws {TypeError} When `ip` is not 16 bytes.
 *
 * @example
 * ```ts
 * import { ipToString, parseIp } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(ipToString(parseIp("2001:0db8:0:0:0:0:0:1")), "2001:db8::1");
 * assertEquals(ipToString(parseIp("::ffff:1.2.3.4")), "1.2.3.4");
 * ```
 */
export function ipToString(ip: Uint8Array): string {
  if (!(ip instanceof Uint8Array) || ip.length !== 16) {
    throw new TypeError(`Cannot format address: expected 16 bytes, got ${describe(ip)}`);
  }
  return hasPrefix(ip, IPV4_MAPPED_PREFIX) ? formatIpv4(ip, 12) : formatIpv6(ip);
}

/**
 * Parses an IPv4 or IPv6 literal into the 16-byte form of v1 addresses.
 *
 * @param text A dotted quad (`1.2.3.4`) or IPv6 text (`::1`, `::ffff:1.2.3.4`, ...).
 * @returns 16 bytes; IPv4 as `::ffff:a.b.c.d`.
 * @throws {TypeError} When `text` is not an IP literal (host names are not resolved).
 *
 * @example
 * ```ts
 * import { parseIp } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * // IPv4 as an IPv4-mapped IPv6 address (::ffff:1.2.3.4), as the wire carries it.
 * const mapped = Uint8Array.of(0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 1, 2, 3, 4);
 * assertEquals(parseIp("1.2.3.4"), mapped);
 * ```
 */
export function parseIp(text: string): Uint8Array {
  if (typeof text === "string") {
    const v4 = parseIpv4(text);
    if (v4 !== undefined) {
      const out = new Uint8Array(16);
      out.set(IPV4_MAPPED_PREFIX);
      out.set(v4, 12);
      return out;
    }
    const v6 = parseIpv6(text);
    if (v6 !== undefined) return v6;
  }
  throw new TypeError(`Cannot parse IP address: ${JSON.stringify(text)} is not an IP literal`);
}

/**
 * Builds a v1 network address from an IP literal and a port.
 *
 * @param host An IPv4 or IPv6 literal.
 * @param port TCP port, 0..65535.
 * @param options Services and timestamp.
 * @returns The address.
 * @throws {TypeError} When `host` is not an IP literal.
 * @throws {RangeError} When the port, services or timestamp are out of range.
 *
 * @example
 * ```ts
 * import { netAddressFromHost, ServiceFlag } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const a = netAddressFromHost("::1", 8333, { services: ServiceFlag.NETWORK });
 * assertEquals(a.port, 8333);
 * assertEquals(a.services, 1n);
 * ```
 */
export function netAddressFromHost(
  host: string,
  port: number,
  options: NetAddressOptions = {},
): NetAddress {
  const ip = parseIp(host);
  const services = options.services ?? 0n;
  checkPort("address", "port", port);
  checkUint64("address", "services", services);
  if (options.timestamp === undefined) return { services, ip, port };
  checkTimestamp("address", "timestamp", options.timestamp);
  return { timestamp: options.timestamp, services, ip, port };
}

function describe(value: unknown): string {
  return value instanceof Uint8Array ? `${value.length} bytes` : typeof value;
}
