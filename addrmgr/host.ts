// Host names to addresses: literals and onion names parsed locally, anything else through a
// resolver the caller can replace (btcd's `HostToNetAddress` with its `lookupFunc`).
import { resolve4, resolve6 } from "node:dns/promises";
import { type NetAddressV2, netAddressV2FromString } from "../wire/net_address_v2.ts";

/** Resolves a host name to IP literals (IPv4 or IPv6 text). */
export type Resolver = (host: string) => Promise<string[]>;

/** Options for {@linkcode hostToNetAddress}. */
export interface HostToNetAddressOptions {
  /** Service flags of the result; defaults to 0. */
  readonly services?: bigint;
  /** Last-seen time of the result in unix seconds; defaults to now. */
  readonly timestamp?: number;
  /**
   * Resolves names that are neither IP literals nor `.onion`/`.b32.i2p` names; defaults to
   * DNS A then AAAA lookups through `node:dns/promises` (in Deno and Node alike).
   */
  readonly resolve?: Resolver;
}

/**
 * Turns a host into a BIP 155 address: IPv4 and IPv6 literals, Tor v3 `.onion` and I2P
 * `.b32.i2p` names directly, other names through the resolver (its first answer is used).
 *
 * @param host The host, without brackets or port.
 * @param port The port.
 * @param options Services, timestamp and resolver.
 * @returns The address.
 * @throws {TypeError} When the name does not resolve or is a malformed onion name.
 *
 * @example
 * ```ts
 * import { hostToNetAddress } from "@btcstream/p2p/addrmgr";
 * import { BIP155Network, netAddressV2ToString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const resolve = (_host: string) => Promise.resolve(["203.0.113.9"]);
 * const na = await hostToNetAddress("seed.example", 8333, { resolve });
 * assertEquals(na.networkId, BIP155Network.IPV4);
 * assertEquals(netAddressV2ToString(na), "203.0.113.9");
 * ```
 */
export async function hostToNetAddress(
  host: string,
  port: number,
  options: HostToNetAddressOptions = {},
): Promise<NetAddressV2> {
  const services = options.services ?? 0n;
  const timestamp = options.timestamp ?? Math.floor(Date.now() / 1000);
  const lower = host.toLowerCase();
  const literal = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  if (lower.endsWith(".onion") || lower.endsWith(".b32.i2p") || isIpLiteral(literal)) {
    return netAddressV2FromString(literal, port, { services, timestamp });
  }
  const ips = await (options.resolve ?? defaultResolve)(host);
  if (ips.length === 0) throw new TypeError(`Cannot resolve ${host}: no addresses found`);
  return netAddressV2FromString(ips[0], port, { services, timestamp });
}

function isIpLiteral(host: string): boolean {
  return /^[0-9.]+$/.test(host) || host.includes(":");
}

// `node:dns` rather than `Deno.resolveDns`: Deno provides both, Node only the first.
async function defaultResolve(host: string): Promise<string[]> {
  const out: string[] = [];
  for (const resolve of [resolve4, resolve6]) {
    try {
      out.push(...await resolve(host));
    } catch {
      // No record of this type; try the other.
    }
  }
  return out;
}
