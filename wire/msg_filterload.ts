// `filterload` (BIP 37): installs a bloom filter so the peer relays only matching transactions
// and serves `merkleblock`s. Introduced at protocol 70001.
import type { MessageCodec } from "./_codec.ts";
import { checkBytes, checkUint } from "./_fields.ts";
import {
  BIP0037_VERSION,
  MAX_FILTER_LOAD_FILTER_SIZE,
  MAX_FILTER_LOAD_HASH_FUNCS,
} from "./protocol.ts";

/**
 * `filterload` (BIP 37): sets the connection's bloom filter.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, type FilterLoadMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const filterload: FilterLoadMessage = {
 *   command: "filterload",
 *   filter: new Uint8Array([0xb5, 0x0f]),
 *   hashFuncs: 11,
 *   tweak: 0,
 *   flags: 1, // BLOOM_UPDATE_ALL
 * };
 * assertEquals(decodeMessage(encodeMessage(filterload)), filterload);
 * ```
 */
export interface FilterLoadMessage {
  /** Always `"filterload"`. */
  readonly command: "filterload";
  /** The filter's bit field, at most 36,000 bytes. */
  readonly filter: Uint8Array;
  /** Number of hash functions (uint32), at most 50. */
  readonly hashFuncs: number;
  /** Seed added to each hash function's seed (uint32). */
  readonly tweak: number;
  /** BIP 37 update mode (uint8): 0 none, 1 all, 2 pay-to-pubkey only. */
  readonly flags: number;
}

/** Codec for `filterload`. */
export const filterLoadCodec: MessageCodec<FilterLoadMessage> = {
  command: "filterload",
  encode(w, m, ctx) {
    if (ctx.protocolVersion < BIP0037_VERSION) {
      throw new RangeError(
        `Cannot encode "filterload": protocol ${ctx.protocolVersion} predates BIP 37`,
      );
    }
    checkBytes("filterload", "filter", m.filter, MAX_FILTER_LOAD_FILTER_SIZE);
    checkUint("filterload", "hashFuncs", m.hashFuncs, MAX_FILTER_LOAD_HASH_FUNCS);
    checkUint("filterload", "tweak", m.tweak, 0xffffffff);
    checkUint("filterload", "flags", m.flags, 0xff);
    w.varBytes(m.filter);
    w.u32le(m.hashFuncs);
    w.u32le(m.tweak);
    w.u8(m.flags);
  },
  decode(r, ctx) {
    if (ctx.protocolVersion < BIP0037_VERSION) {
      r.fail("unsupported-version", `protocol ${ctx.protocolVersion} predates BIP 37`);
    }
    // Bitcoin Core decodes any size and then punishes a filter outside these bounds
    // (`IsWithinSizeConstraints`); btcd rejects it while decoding, as here, so an oversized
    // filter is never buffered.
    const filter = r.varBytes(MAX_FILTER_LOAD_FILTER_SIZE, "filter");
    const hashFuncs = r.u32le("hashFuncs");
    if (hashFuncs > MAX_FILTER_LOAD_HASH_FUNCS) {
      r.fail(
        "limit-exceeded",
        `${hashFuncs} hash functions exceed the limit of ${MAX_FILTER_LOAD_HASH_FUNCS}`,
      );
    }
    const tweak = r.u32le("tweak");
    const flags = r.u8("flags");
    return { command: "filterload", filter, hashFuncs, tweak, flags };
  },
  maxPayloadLength() {
    // As btcd: 3-byte CompactSize for 36,000 + filter + hashFuncs, tweak and flags (36,012).
    return 3 + MAX_FILTER_LOAD_FILTER_SIZE + 9;
  },
};
