// `addr`: gossips v1 addresses of other peers, at most 1000 per message. Before protocol 209 a
// message carried one address; from 31402 each address carries a last-seen timestamp.
import type { MessageCodec } from "./_codec.ts";
import { checkCount } from "./_fields.ts";
import { readNetAddress, writeNetAddress } from "./_net_address_io.ts";
import type { NetAddress } from "./net_address.ts";
import {
  MAX_ADDR_PER_MSG,
  MULTIPLE_ADDRESS_VERSION,
  NET_ADDRESS_TIME_VERSION,
} from "./protocol.ts";

/**
 * `addr`: a list of known peer addresses.
 *
 * @example
 * ```ts
 * import {
 *   type AddrMessage,
 *   decodeMessage,
 *   encodeMessage,
 *   netAddressFromHost,
 * } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 * const seen = { services: 9n, timestamp: 1_700_000_000 };
 * const addr: AddrMessage = {
 *   command: "addr",
 *   addresses: [netAddressFromHost("203.0.113.7", 8333, seen)],
 * };
 * const decoded = decodeMessage(encodeMessage(addr));
 * assert(decoded.command === "addr");
 * assertEquals(decoded.addresses[0].timestamp, 1700000000);
 * ```
 */
export interface AddrMessage {
  /** The command, `addr`. */
  readonly command: "addr";
  /** At most 1000 addresses (one before protocol 209), each with a timestamp from 31402. */
  readonly addresses: readonly NetAddress[];
}

function maxAddresses(pver: number): number {
  return pver < MULTIPLE_ADDRESS_VERSION ? 1 : MAX_ADDR_PER_MSG;
}

/** Codec for `addr`. */
export const addrCodec: MessageCodec<AddrMessage> = {
  command: "addr",
  encode(w, m, ctx) {
    const n = m.addresses.length;
    checkCount("addr", "addresses", n, maxAddresses(ctx.protocolVersion));
    const withTimestamp = ctx.protocolVersion >= NET_ADDRESS_TIME_VERSION;
    w.varInt(n);
    for (let i = 0; i < n; i++) {
      writeNetAddress(w, m.addresses[i], withTimestamp, "addr", `addresses[${i}]`);
    }
  },
  decode(r, ctx) {
    const n = r.count(maxAddresses(ctx.protocolVersion), "addresses");
    const withTimestamp = ctx.protocolVersion >= NET_ADDRESS_TIME_VERSION;
    // Bounds-check the whole list before allocating for it.
    r.need(n * (withTimestamp ? 30 : 26), "addresses");
    const addresses = new Array<NetAddress>(n);
    for (let i = 0; i < n; i++) addresses[i] = readNetAddress(r, withTimestamp);
    return { command: "addr", addresses };
  },
  maxPayloadLength(pver) {
    // Exact, where btcd reserves a 9-byte CompactSize: 1 byte for a count of 1, 3 for 1000.
    const size = pver >= NET_ADDRESS_TIME_VERSION ? 30 : 26;
    return pver < MULTIPLE_ADDRESS_VERSION ? 1 + size : 3 + MAX_ADDR_PER_MSG * size;
  },
};
