// Keyed bucket placement, exactly as btcd computes it (REFERENCE 3.3), so that a btcd book
// and ours place an address alike for the same key:
//   new:   x = LE64(dSHA256(key | group(addr) | group(src))) % 64
//          bucket = LE64(dSHA256(key | group(src) | LE64(x))) % 1024
//   tried: x = LE64(dSHA256(key | "ip:port")) % 8
//          bucket = LE64(dSHA256(key | group(addr) | LE64(x))) % 256  (Core's 256; btcd's 64)
// Group keys are hashed as their ASCII strings. The second hash depends only on a group and x,
// so it is computed once per group and cached: adding an address costs one double SHA-256.
// Every count is a power of two, so `LE64(h) % n` is the low bits of the first bytes.
import { doubleSha256Range } from "../wire/hash.ts";
import { BIP155Network, type NetAddressV2 } from "../wire/net_address_v2.ts";
import {
  NEW_BUCKET_COUNT,
  NEW_BUCKETS_PER_SOURCE_GROUP,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKETS_PER_GROUP,
} from "./constants.ts";
import { groupKey, netAddressKey } from "./group_key.ts";
import { ipv4Number, isRoutable } from "./network.ts";

interface Group {
  readonly bytes: Uint8Array;
  /** New bucket per x (-1 until computed), when this group is a source. */
  readonly newBuckets: Int16Array;
  /** Tried bucket per x (-1 until computed). */
  readonly triedBuckets: Int16Array;
}

const MAX_OTHER_GROUPS = 65_536;

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

function makeGroup(key: string): Group {
  return {
    bytes: ascii(key),
    newBuckets: new Int16Array(NEW_BUCKETS_PER_SOURCE_GROUP).fill(-1),
    triedBuckets: new Int16Array(TRIED_BUCKETS_PER_GROUP).fill(-1),
  };
}

/** Bucket placement under one secret key. */
export class BucketHasher {
  readonly key: Uint8Array;
  /** key | group | group, or key | group | LE64(x), or key | "ip:port". */
  #buf = new Uint8Array(32 + 256);
  /** Routable IPv4 /16 groups, by their top 16 bits. */
  #ipv4Groups: (Group | undefined)[] = new Array(65_536);
  #otherGroups = new Map<string, Group>();

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`Bucket key must be 32 bytes, got ${key.length}`);
    this.key = key.slice();
    this.#buf.set(this.key);
  }

  group(na: NetAddressV2): Group {
    const v = ipv4Number(na);
    if (v >= 0 && na.networkId === BIP155Network.IPV4 && isRoutable(na)) {
      const i = v >>> 16;
      return this.#ipv4Groups[i] ??= makeGroup(`${v >>> 24}.${i & 0xff}.0.0`);
    }
    const k = groupKey(na);
    let g = this.#otherGroups.get(k);
    if (g === undefined) {
      if (this.#otherGroups.size >= MAX_OTHER_GROUPS) this.#otherGroups.clear();
      g = makeGroup(k);
      this.#otherGroups.set(k, g);
    }
    return g;
  }

  /** The new bucket for `addr` announced by `src`. */
  newBucket(addr: NetAddressV2, src: NetAddressV2): number {
    const ga = this.group(addr).bytes;
    const gs = this.group(src);
    const buf = this.#buf;
    buf.set(ga, 32);
    buf.set(gs.bytes, 32 + ga.length);
    const h1 = doubleSha256Range(buf, 0, 32 + ga.length + gs.bytes.length);
    const x = h1[0] & (NEW_BUCKETS_PER_SOURCE_GROUP - 1);
    const cached = gs.newBuckets[x];
    if (cached >= 0) return cached;
    const h2 = this.#hashGroupX(gs.bytes, x);
    const bucket = (h2[0] | (h2[1] << 8)) & (NEW_BUCKET_COUNT - 1);
    gs.newBuckets[x] = bucket;
    return bucket;
  }

  /** The tried bucket for `addr`. */
  triedBucket(addr: NetAddressV2): number {
    const k = ascii(netAddressKey(addr));
    const buf = this.#buf;
    buf.set(k, 32);
    const x = doubleSha256Range(buf, 0, 32 + k.length)[0] & (TRIED_BUCKETS_PER_GROUP - 1);
    const g = this.group(addr);
    const cached = g.triedBuckets[x];
    if (cached >= 0) return cached;
    const bucket = this.#hashGroupX(g.bytes, x)[0] & (TRIED_BUCKET_COUNT - 1);
    g.triedBuckets[x] = bucket;
    return bucket;
  }

  #hashGroupX(group: Uint8Array, x: number): Uint8Array {
    const buf = this.#buf;
    buf.set(group, 32);
    const end = 32 + group.length;
    buf.fill(0, end, end + 8);
    buf[end] = x;
    return doubleSha256Range(buf, 0, end + 8);
  }
}
