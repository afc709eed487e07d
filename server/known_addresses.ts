// The addresses a peer is known to have, so we do not send them back to it: btcd's per-peer
// `knownAddresses` (a dcrd `lru.Cache` of 5000 `NetAddressKey`s), filled from the addresses the
// peer sends us and the ones we send it.
import { netAddressKey } from "../addrmgr/group_key.ts";
import type { NetAddressV2 } from "../wire/net_address_v2.ts";

/**
 * Entries kept per peer (btcd's `lru.NewCache(5000)` in `newServerPeer`).
 *
 * @example
 * ```ts
 * import { KnownAddresses, MAX_KNOWN_ADDRESSES } from "@btcstream/p2p/server";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const known = new KnownAddresses();
 * for (let i = 0; i < 6000; i++) {
 *   known.add(netAddressV2FromString(`10.0.${i >> 8}.${i & 255}`, 8333));
 * }
 * assertEquals(known.size, MAX_KNOWN_ADDRESSES);
 * ```
 */
export const MAX_KNOWN_ADDRESSES = 5000;

/**
 * A bounded set of addresses a peer knows, evicting the least recently used.
 *
 * As dcrd's `lru.Cache`, a lookup also counts as a use: {@linkcode KnownAddresses.has} and
 * {@linkcode KnownAddresses.filter} move the addresses they find to the recent end.
 *
 * @example
 * ```ts
 * import { KnownAddresses } from "@btcstream/p2p/server";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const known = new KnownAddresses();
 * const a = netAddressV2FromString("203.0.113.7", 8333);
 * const b = netAddressV2FromString("2001:db8::1", 8333);
 * known.add(a);
 * assert(known.has(a));
 * assertEquals(known.filter([a, b]), [b]); // what the peer does not know yet
 * assertEquals(known.size, 1);
 * ```
 */
export class KnownAddresses {
  readonly #capacity: number;
  /** Made on the first add: a peer that never exchanges addresses costs no set. */
  #keys: Set<string> | undefined;

  /**
   * Creates an empty set.
   *
   * @param capacity Entries kept (default {@linkcode MAX_KNOWN_ADDRESSES}); 0 keeps none.
   * @throws {RangeError} When `capacity` is not a non-negative integer.
   */
  constructor(capacity: number = MAX_KNOWN_ADDRESSES) {
    if (!Number.isSafeInteger(capacity) || capacity < 0) {
      throw new RangeError(
        `Cannot create known addresses: capacity ${capacity} is not a non-negative integer`,
      );
    }
    this.#capacity = capacity;
  }

  /** Entries held. */
  get size(): number {
    return this.#keys?.size ?? 0;
  }

  /**
   * Whether the peer knows `na` (by `netAddressKey`: host and port, not time or services).
   *
   * @param na The address.
   * @returns `true` when known; the entry becomes the most recently used.
   */
  has(na: NetAddressV2): boolean {
    return this.#touch(netAddressKey(na));
  }

  /**
   * Records that the peer knows `na`, evicting the least recently used entry when full.
   *
   * @param na The address.
   */
  add(na: NetAddressV2): void {
    if (this.#capacity === 0) return;
    const key = netAddressKey(na);
    if (this.#touch(key)) return;
    const keys = this.#keys ??= new Set();
    if (keys.size >= this.#capacity) {
      const oldest = keys.values().next().value;
      if (oldest !== undefined) keys.delete(oldest);
    }
    keys.add(key);
  }

  /**
   * Forgets one address, so that it can be sent again (Core clears a peer's filter before
   * announcing our own address anew).
   *
   * @param na The address.
   * @returns Whether it was known.
   *
   * @example
   * ```ts
   * import { KnownAddresses } from "@btcstream/p2p/server";
   * import { netAddressV2FromString } from "@btcstream/p2p/wire";
   * import { assert, assertFalse } from "@std/assert";
   * const known = new KnownAddresses();
   * const ours = netAddressV2FromString("203.0.113.5", 8333);
   * known.add(ours);
   * assert(known.delete(ours));
   * assertFalse(known.has(ours));
   * ```
   */
  delete(na: NetAddressV2): boolean {
    return this.#keys?.delete(netAddressKey(na)) ?? false;
  }

  /**
   * The addresses of `list` the peer does not know, in order.
   *
   * @param list Addresses we may send.
   * @returns A new array of those not known.
   */
  filter(list: readonly NetAddressV2[]): NetAddressV2[] {
    if (this.#keys === undefined) return list.slice();
    return list.filter((na) => !this.has(na));
  }

  /** Moves `key` to the recent end (a Set iterates in insertion order) if present. */
  #touch(key: string): boolean {
    const keys = this.#keys;
    if (keys === undefined || !keys.delete(key)) return false;
    keys.add(key);
    return true;
  }
}
