/**
 * The address manager: the book of peer addresses a node dials from, shaped to resist
 * eclipse attacks (btcd's `addrmgr`, with Bitcoin Core's choices where btcd has a known
 * quirk). Addresses heard of go to 1024 "new" buckets, addresses connected to move to 256
 * "tried" buckets; a secret key places them, so that one peer or one network group reaches
 * only a few buckets. The book is kept in a btcd-compatible `peers.json`, replaced
 * atomically, and BIP 155 addresses (Tor v3, I2P, CJDNS) are handled throughout.
 *
 * @example
 * ```ts
 * import { AddrManager, isRoutable, MemoryStorage } from "@btcstream/p2p/addrmgr";
 * import { netAddressV2FromString } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const storage = new MemoryStorage();
 * const manager = new AddrManager({ storage });
 * await manager.start();
 * const now = Math.floor(Date.now() / 1000);
 * const peer = netAddressV2FromString("8.8.8.8", 8333, { timestamp: now });
 * assert(isRoutable(peer));
 * manager.addAddresses([peer], netAddressV2FromString("203.0.113.1", 8333));
 * assertEquals(manager.getAddress()?.netAddress.port, 8333);
 * await manager.stop(); // saves
 * assertEquals(JSON.parse(storage.data!).Version, 3);
 * ```
 *
 * @module
 */

export { type AddressCacheOptions, AddrManager, type AddrManagerOptions } from "./addr_manager.ts";
export * from "./constants.ts";
export { groupKey, netAddressKey } from "./group_key.ts";
export { hostToNetAddress, type HostToNetAddressOptions, type Resolver } from "./host.ts";
export { chance, isBad, type KnownAddress } from "./known_address.ts";
export {
  isIpv4,
  isLocal,
  isOnionCatTor,
  isRfc1918,
  isRfc2544,
  isRfc3849,
  isRfc3927,
  isRfc3964,
  isRfc4193,
  isRfc4380,
  isRfc4843,
  isRfc4862,
  isRfc5737,
  isRfc6052,
  isRfc6145,
  isRfc6598,
  isRfc7343,
  isRoutable,
  isValid,
  isZero,
} from "./network.ts";
export {
  AddressPriority,
  bestLocalAddress,
  getReachability,
  type LocalAddress,
  Reachability,
} from "./reachability.ts";
export {
  type AddrStorage,
  FileStorage,
  type FileStorageOptions,
  type FileSystem,
  MemoryStorage,
} from "./storage.ts";
export type { NetAddressV2 } from "../wire/net_address_v2.ts";
export type { Clock, Timer } from "../peer/clock.ts";
