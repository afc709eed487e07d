// The manager's mutable record behind the read-only KnownAddress it hands out. A record keeps
// the address as plain fields (an IPv4 address as a number) and builds its NetAddressV2 only
// when someone reads it: adding an address then allocates one object, not an object and a
// typed array (a Uint8Array costs more to allocate and collect than the rest of an add).
import { BIP155Network, type NetAddressV2 } from "../wire/net_address_v2.ts";
import { HORIZON_DAYS, MAX_FAILURES, MAX_RETRIES, MIN_BAD_DAYS } from "./constants.ts";
import { netAddressKey } from "./group_key.ts";
import type { KnownAddress } from "./known_address.ts";
import { ipv4Number } from "./network.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;

/** The buckets of a record in none: shared, so never added to (frozen to make sure). */
export const NO_BUCKETS: number[] = Object.freeze([]) as unknown as number[];

/** A KnownAddress as the tables keep it. */
export class AddressRecord implements KnownAddress {
  /** The network id, canonical: IPv4-mapped IPv6 is IPv4. */
  readonly networkId: number;
  /**
   * The IPv4 address as an int32 (always a small integer to V8, where a uint32 above 2^31
   * would make the field, in every record, a boxed double), 0 for other networks.
   */
  readonly ip: number;
  /** A private copy of the address bytes of other networks; undefined for IPv4. */
  readonly bytes: Uint8Array | undefined;
  readonly port: number;
  /** Last seen, unix seconds. */
  timestamp: number;
  services: bigint;
  source: NetAddressV2;
  attempts = 0;
  lastAttemptMs = 0;
  lastSuccessMs = 0;
  tried = false;
  refs = 0;
  /** The index key of other networks (see {@linkcode otherKey}); "" for IPv4. */
  readonly key: string;
  /** Position in the tables' list of all records. */
  slot = -1;
  /**
   * The new buckets referencing it, or `[bucket]` of the tried table when tried. Starts as
   * the shared (frozen) {@linkcode NO_BUCKETS}: the first bucket replaces it.
   */
  buckets: number[] = NO_BUCKETS;
  /** The NetAddressV2 handed out, built on first read and replaced (never changed) after. */
  #netAddress: NetAddressV2 | undefined = undefined;

  constructor(
    networkId: number,
    ip: number,
    bytes: Uint8Array | undefined,
    port: number,
    timestamp: number,
    services: bigint,
    source: NetAddressV2,
    key: string,
  ) {
    this.networkId = networkId;
    this.ip = ip | 0;
    this.bytes = bytes;
    this.port = port;
    this.timestamp = timestamp;
    this.services = services;
    this.source = source;
    this.key = key;
  }

  /** The address, with its timestamp and services. */
  get netAddress(): NetAddressV2 {
    if (this.#netAddress !== undefined) return this.#netAddress;
    const v = this.ip;
    const address = this.bytes ?? Uint8Array.of(v >>> 24, v >>> 16, v >>> 8, v);
    return this.#netAddress = {
      timestamp: this.timestamp,
      services: this.services,
      networkId: this.networkId,
      address,
      port: this.port,
    };
  }

  /**
   * Sets the timestamp and services. Copy on write: a NetAddressV2 handed out earlier never
   * changes under its holder; the next read builds a new one.
   */
  update(timestamp: number, services: bigint): void {
    this.timestamp = timestamp;
    this.services = services;
    this.#netAddress = undefined;
  }

  /** btcd's `NetAddressKey` ("ip:port"), without building the NetAddressV2 for IPv4. */
  name(): string {
    if (this.bytes !== undefined) return netAddressKey(this.netAddress);
    const v = this.ip;
    return `${v >>> 24}.${(v >>> 16) & 0xff}.${(v >>> 8) & 0xff}.${v & 0xff}:${this.port}`;
  }
}

/**
 * The index key of an address that is not IPv4 (those are indexed by number): a string of
 * the network id, the address bytes and the port. Strings in btcd's "host:port" form are
 * only built when saving.
 */
export function otherKey(na: NetAddressV2): string {
  return String.fromCharCode(na.networkId, ...na.address, na.port >>> 8, na.port & 0xff);
}

/**
 * A record of `na` heard of from `source`, holding no reference to `na` (decoders hand out
 * views into whole payloads). `source` is kept as given.
 */
export function recordOf(na: NetAddressV2, source: NetAddressV2): AddressRecord {
  const v = ipv4Number(na);
  if (v >= 0) {
    return new AddressRecord(
      BIP155Network.IPV4,
      v,
      undefined,
      na.port,
      na.timestamp,
      na.services,
      source,
      "",
    );
  }
  return new AddressRecord(
    na.networkId,
    0,
    na.address.slice(),
    na.port,
    na.timestamp,
    na.services,
    source,
    otherKey(na),
  );
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

/** `isBad` (known_address.ts) on a record's own fields, without building its NetAddressV2. */
export function recordIsBad(rec: AddressRecord, nowMs: number): boolean {
  return isBadValues(rec.timestamp, rec.attempts, rec.lastAttemptMs, rec.lastSuccessMs, nowMs);
}

/** The rules of `isBad` (known_address.ts), on the values they read. */
export function isBadValues(
  timestamp: number,
  attempts: number,
  lastAttemptMs: number,
  lastSuccessMs: number,
  nowMs: number,
): boolean {
  if (lastAttemptMs > nowMs - MINUTE_MS) return false;
  const seenMs = timestamp * 1000;
  if (seenMs > nowMs + 10 * MINUTE_MS) return true;
  if (seenMs < nowMs - HORIZON_DAYS * DAY_MS) return true;
  if (lastSuccessMs === 0 && attempts >= MAX_RETRIES) return true;
  if (lastSuccessMs <= nowMs - MIN_BAD_DAYS * DAY_MS && attempts >= MAX_FAILURES) return true;
  return false;
}
