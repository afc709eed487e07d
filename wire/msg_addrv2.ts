// `addrv2` (BIP 155): gossips addresses of any network (IPv4, IPv6, Tor v3, I2P, CJDNS), at
// most 1000 per message. BIP 155 defines it for every protocol version; a peer opts in with
// `sendaddrv2`.
import type { MessageCodec } from "./_codec.ts";
import { checkCount } from "./_fields.ts";
import { readNetAddressV2, writeNetAddressV2 } from "./_net_address_io.ts";
import type { NetAddressV2 } from "./net_address_v2.ts";
import { MAX_ADDR_PER_MSG, MAX_ADDR_V2_SIZE } from "./protocol.ts";

/**
 * `addrv2` (BIP 155): a list of known peer addresses on any network.
 *
 * Decoding drops entries Bitcoin Core reads but ignores (Tor v2, unknown network ids, IPv6
 * entries embedding IPv4 or Tor v2), so `addresses` may be shorter than the count on the wire.
 *
 * @example
 * ```ts
 * import {
 *   type AddrV2Message,
 *   BIP155Network,
 *   decodeMessage,
 *   encodeMessage,
 *   netAddressV2FromString,
 *   netAddressV2ToString,
 * } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const onion = "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion";
 * const addrv2: AddrV2Message = {
 *   command: "addrv2",
 *   addresses: [netAddressV2FromString(onion, 8333, { services: 9n, timestamp: 1_700_000_000 })],
 * };
 * const decoded = decodeMessage(encodeMessage(addrv2));
 * assert(decoded.command === "addrv2");
 * assertEquals(decoded.addresses[0].networkId, BIP155Network.TORV3);
 * assertEquals(netAddressV2ToString(decoded.addresses[0]), onion);
 * ```
 */
export interface AddrV2Message {
  /** The command, `addrv2`. */
  readonly command: "addrv2";
  /**
   * At most 1000 addresses. Decoding drops the entries Bitcoin Core reads and ignores (Tor v2,
   * network ids it does not know, as BIP 155 allows; IPv6 entries that embed IPv4 or Tor v2),
   * so a decoded `addrv2` that had some encodes without them: the one change the codec makes
   * to an `addrv2`.
   */
  readonly addresses: readonly NetAddressV2[];
}

/**
 * Largest entry (531 bytes): time 4 + services CompactSize 9 + network id 1 + length
 * CompactSize 3 (for 512) + address 512 + port 2, as btcd's `maxNetAddressV2Payload`.
 */
const MAX_ENTRY_SIZE = 4 + 9 + 1 + 3 + MAX_ADDR_V2_SIZE + 2;
/** Smallest entry (9 bytes): time, 1-byte services, network id, zero length, port. */
const MIN_ENTRY_SIZE = 4 + 1 + 1 + 1 + 2;

/** Codec for `addrv2`. */
export const addrV2Codec: MessageCodec<AddrV2Message> = {
  command: "addrv2",
  encode(w, m) {
    const n = m.addresses.length;
    checkCount("addrv2", "addresses", n, MAX_ADDR_PER_MSG);
    w.varInt(n);
    for (let i = 0; i < n; i++) {
      writeNetAddressV2(w, m.addresses[i], "addrv2", `addresses[${i}]`);
    }
  },
  decode(r) {
    // The limit applies to the count on the wire, before skipped entries are dropped (as
    // Bitcoin Core, which checks the vector's size).
    const n = r.count(MAX_ADDR_PER_MSG, "addresses");
    r.need(n * MIN_ENTRY_SIZE, "addresses");
    const addresses: NetAddressV2[] = [];
    for (let i = 0; i < n; i++) {
      const a = readNetAddressV2(r);
      if (a !== undefined) addresses.push(a);
    }
    return { command: "addrv2", addresses };
  },
  maxPayloadLength() {
    // 3-byte CompactSize for 1000 + 1000 entries of at most 531 bytes (531,003).
    return 3 + MAX_ADDR_PER_MSG * MAX_ENTRY_SIZE;
  },
};
