// Our own addresses, and which of them to advertise to a given peer: the one it can reach
// best (btcd's `getReachabilityFrom`, after Bitcoin Core's `GetReachabilityFrom`).
import { ServiceFlag } from "../wire/protocol.ts";
import { BIP155Network, type NetAddressV2 } from "../wire/net_address_v2.ts";
import {
  isIpv4,
  isOnionCatTor,
  isRfc3964,
  isRfc4380,
  isRfc6052,
  isRfc6145,
  isRoutable,
} from "./network.ts";

/**
 * How a local address was learned; a higher priority wins among equally reachable ones.
 *
 * @example
 * ```ts
 * import { AddressPriority } from "@btcstream/p2p/addrmgr";
 * import { assert } from "@std/assert";
 * assert(AddressPriority.MANUAL > AddressPriority.INTERFACE);
 * ```
 */
export const AddressPriority = {
  /** Found on a local interface. */
  INTERFACE: 0,
  /** The address we listen on. */
  BOUND: 1,
  /** Learned through UPnP. */
  UPNP: 2,
  /** Learned from an HTTP "what is my IP" service. */
  HTTP: 3,
  /** Configured by the user. */
  MANUAL: 4,
} as const;

/**
 * How well a remote peer can reach one of our addresses, worst to best.
 *
 * @example
 * ```ts
 * import { Reachability } from "@btcstream/p2p/addrmgr";
 * import { assert } from "@std/assert";
 * assert(Reachability.IPV4 > Reachability.TEREDO);
 * ```
 */
export const Reachability = {
  UNREACHABLE: 0,
  DEFAULT: 1,
  TEREDO: 2,
  IPV6_WEAK: 3,
  IPV4: 4,
  IPV6_STRONG: 5,
  PRIVATE: 6,
} as const;

function isTor(na: NetAddressV2): boolean {
  return na.networkId === BIP155Network.TORV3 || isOnionCatTor(na);
}

/**
 * How well `remote` can reach our address `local` (REFERENCE 3.9): Tor to Tor and I2P to
 * I2P are private; an IPv4 peer needs a routable IPv4 address; an IPv6 peer prefers native
 * IPv6 to IPv4 to tunnelled IPv6 to Teredo.
 *
 * @param local One of our addresses.
 * @param remote The peer's address.
 * @returns A {@linkcode Reachability} value.
 *
 * @example
 * ```ts
 * import { getReachability, Reachability } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const local = netAddressV2FromString("8.8.8.8", 8333);
 * const remote = netAddressV2FromString("9.9.9.9", 8333);
 * assertEquals(getReachability(local, remote), Reachability.IPV4);
 * ```
 */
export function getReachability(local: NetAddressV2, remote: NetAddressV2): number {
  if (!isRoutable(remote)) return Reachability.UNREACHABLE;
  const localRoutable = isRoutable(local);
  if (isTor(remote)) {
    if (isTor(local)) return Reachability.PRIVATE;
    if (localRoutable && isIpv4(local)) return Reachability.IPV4;
    return Reachability.DEFAULT;
  }
  // Not in btcd, which never sees I2P or CJDNS peers: each is reachable only from itself.
  if (remote.networkId === BIP155Network.I2P || remote.networkId === BIP155Network.CJDNS) {
    return local.networkId === remote.networkId && localRoutable
      ? Reachability.PRIVATE
      : Reachability.DEFAULT;
  }
  // We can't be sure the remote party can reach an overlay address.
  if (
    local.networkId === BIP155Network.TORV3 || local.networkId === BIP155Network.I2P ||
    local.networkId === BIP155Network.CJDNS
  ) {
    return Reachability.DEFAULT;
  }
  if (isRfc4380(remote)) {
    if (!localRoutable) return Reachability.DEFAULT;
    if (isRfc4380(local)) return Reachability.TEREDO;
    if (isIpv4(local)) return Reachability.IPV4;
    return Reachability.IPV6_WEAK;
  }
  if (isIpv4(remote)) {
    return localRoutable && isIpv4(local) ? Reachability.IPV4 : Reachability.UNREACHABLE;
  }
  // IPv6: only prefer our IPv6 if it is not tunnelled.
  const tunnelled = isRfc3964(local) || isRfc6052(local) || isRfc6145(local);
  if (!localRoutable) return Reachability.DEFAULT;
  if (isRfc4380(local)) return Reachability.TEREDO;
  if (isIpv4(local)) return Reachability.IPV4;
  return tunnelled ? Reachability.IPV6_WEAK : Reachability.IPV6_STRONG;
}

/** A local address and its score. */
export interface LocalAddress {
  /** The address. */
  readonly netAddress: NetAddressV2;
  /** Its {@linkcode AddressPriority}, raised by one when re-added with a higher one. */
  readonly score: number;
}

/**
 * The best of `locals` to advertise to `remote`: the most reachable, ties broken by score.
 * With none reachable, an unroutable `0.0.0.0` (or `::` for IPv6 peers) with port 0 and the
 * services NETWORK | WITNESS | BLOOM, as btcd.
 *
 * @param locals Our addresses.
 * @param remote The peer's address.
 * @param nowMs The current time, for the fallback's timestamp.
 * @returns The address to advertise.
 *
 * @example
 * ```ts
 * import { AddressPriority, bestLocalAddress } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString, netAddressV2ToString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const locals = [
 *   { netAddress: netAddressV2FromString("8.8.8.8", 8333), score: AddressPriority.BOUND },
 *   { netAddress: netAddressV2FromString("2a01:4f8::1", 8333), score: AddressPriority.BOUND },
 * ];
 * const best = bestLocalAddress(locals, netAddressV2FromString("2a02::1", 8333), Date.now());
 * assertEquals(netAddressV2ToString(best), "2a01:4f8::1"); // IPv6 reaches an IPv6 peer best
 * ```
 */
export function bestLocalAddress(
  locals: Iterable<LocalAddress>,
  remote: NetAddressV2,
  nowMs: number,
): NetAddressV2 {
  let bestReach = 0;
  let bestScore = -1;
  let best: NetAddressV2 | undefined;
  for (const la of locals) {
    const reach = getReachability(la.netAddress, remote);
    if (reach > bestReach || (reach === bestReach && la.score > bestScore && reach > 0)) {
      bestReach = reach;
      bestScore = la.score;
      best = la.netAddress;
    }
  }
  if (best !== undefined) return best;
  const v6 = !isTor(remote) && !isIpv4(remote);
  return {
    timestamp: Math.floor(nowMs / 1000),
    services: ServiceFlag.NETWORK | ServiceFlag.WITNESS | ServiceFlag.BLOOM,
    networkId: v6 ? BIP155Network.IPV6 : BIP155Network.IPV4,
    address: new Uint8Array(v6 ? 16 : 4),
    port: 0,
  };
}
