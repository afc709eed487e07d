// The manager's mutable record behind the read-only KnownAddress it hands out.
import { BIP155Network, type NetAddressV2 } from "../wire/net_address_v2.ts";
import { ipv4Number } from "./network.ts";
import type { KnownAddress } from "./known_address.ts";

/** A KnownAddress as the tables keep it. */
export class AddressRecord implements KnownAddress {
  netAddress: NetAddressV2;
  source: NetAddressV2;
  attempts = 0;
  lastAttemptMs = 0;
  lastSuccessMs = 0;
  tried = false;
  refs = 0;
  /** The index key (see {@linkcode indexKey}). */
  readonly key: number | string;
  /** Position in the tables' list of all records. */
  slot = -1;
  /** The new buckets referencing it, or `[bucket]` of the tried table when tried. */
  buckets: number[] = [];

  constructor(netAddress: NetAddressV2, source: NetAddressV2, key: number | string) {
    this.netAddress = netAddress;
    this.source = source;
    this.key = key;
  }
}

/**
 * A cheap, unique index key: for IPv4 the number ip·65536 + port (below 2^48), for other
 * networks a string of the network id, the address bytes and the port. Strings in btcd's
 * "host:port" form are only built when saving.
 */
export function indexKey(na: NetAddressV2): number | string {
  const v = ipv4Number(na);
  if (v >= 0) return v * 65536 + na.port;
  return String.fromCharCode(na.networkId, ...na.address, na.port >>> 8, na.port & 0xff);
}

/**
 * A private copy of `na` in canonical form (IPv4-mapped IPv6 becomes IPv4), so that nothing
 * the caller holds (decoders hand out views into whole payloads) is kept or shared.
 */
export function canonicalCopy(na: NetAddressV2): NetAddressV2 {
  const v = ipv4Number(na);
  if (v >= 0 && na.networkId !== BIP155Network.IPV4) {
    return {
      timestamp: na.timestamp,
      services: na.services,
      networkId: BIP155Network.IPV4,
      address: na.address.slice(12),
      port: na.port,
    };
  }
  return {
    timestamp: na.timestamp,
    services: na.services,
    networkId: na.networkId,
    address: na.address.slice(),
    port: na.port,
  };
}
