// Keyed bucket placement, exactly as btcd computes it (REFERENCE 3.3), so that a btcd book
// and ours place an address alike for the same key:
//   new:   x = LE64(dSHA256(key | group(addr) | group(src))) % 64
//          bucket = LE64(dSHA256(key | group(src) | LE64(x))) % 1024
//   tried: x = LE64(dSHA256(key | "ip:port")) % 8
//          bucket = LE64(dSHA256(key | group(addr) | LE64(x))) % 256  (Core's 256; btcd's 64)
// Group keys are hashed as their ASCII strings. The second hash depends only on a group and x,
// so it is computed once per group and cached: adding an address costs one double SHA-256.
// Every count is a power of two, so `LE64(h) % n` is the low bits of the first two bytes,
// which `checksum` returns (the first four, big-endian) without allocating a digest.
import { checksum } from "../wire/hash.ts";
import type { NetAddressV2 } from "../wire/net_address_v2.ts";
import {
  NEW_BUCKET_COUNT,
  NEW_BUCKETS_PER_SOURCE_GROUP,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKETS_PER_GROUP,
} from "./constants.ts";
import { groupKey } from "./group_key.ts";
import { ipv4Number, isRoutableIpv4 } from "./network.ts";

/** A network group other than a routable IPv4 /16. */
export interface Group {
  readonly bytes: Uint8Array;
  /** New bucket per x (-1 until computed), when this group is a source. */
  newBuckets: Int16Array | undefined;
  /** Tried bucket per x (-1 until computed). */
  triedBuckets: Int16Array | undefined;
}

/**
 * A network group: a routable IPv4 /16 as its top 16 bits (its key "a.b.0.0" is written
 * straight into the hash input, so the 65,536 of them cost no objects), any other as a
 * {@linkcode Group}.
 */
export type GroupRef = number | Group;

const MAX_OTHER_GROUPS = 65_536;
const DOT = 0x2e;
const ZERO = 0x30;

function ascii(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/** Writes `n` (0..255) in decimal at `p`; returns the end. */
function writeDecimal(buf: Uint8Array, p: number, n: number): number {
  if (n >= 100) {
    const h = (n / 100) | 0;
    buf[p++] = ZERO + h;
    n -= h * 100;
    buf[p++] = ZERO + ((n / 10) | 0);
  } else if (n >= 10) {
    buf[p++] = ZERO + ((n / 10) | 0);
  }
  buf[p++] = ZERO + (n % 10);
  return p;
}

function emptyCache(length: number): Int16Array {
  return new Int16Array(length).fill(-1);
}

/** Bucket placement under one secret key. */
export class BucketHasher {
  readonly key: Uint8Array;
  /** key | group | group, or key | group | LE64(x), or key | "ip:port". */
  #buf = new Uint8Array(32 + 256);
  /** Per routable IPv4 /16 as a source: new bucket per x, made when first needed. */
  #ipv4New: (Int16Array | undefined)[] = new Array(65_536).fill(undefined);
  /** Per routable IPv4 /16: tried bucket per x, made when first needed. */
  #ipv4Tried: (Int16Array | undefined)[] = new Array(65_536).fill(undefined);
  #otherGroups = new Map<string, Group>();

  constructor(key: Uint8Array) {
    if (key.length !== 32) throw new RangeError(`Bucket key must be 32 bytes, got ${key.length}`);
    this.key = key.slice();
    this.#buf.set(this.key);
  }

  /** The network group of `na` (btcd's `GroupKey`). */
  group(na: NetAddressV2): GroupRef {
    const v = ipv4Number(na);
    if (v >= 0 && isRoutableIpv4(v)) return v >>> 16;
    const k = groupKey(na);
    let g = this.#otherGroups.get(k);
    if (g === undefined) {
      if (this.#otherGroups.size >= MAX_OTHER_GROUPS) this.#otherGroups.clear();
      g = { bytes: ascii(k), newBuckets: undefined, triedBuckets: undefined };
      this.#otherGroups.set(k, g);
    }
    return g;
  }

  /** Writes the group's key at `p` of the hash input; returns the end. */
  #writeGroup(g: GroupRef, p: number): number {
    const buf = this.#buf;
    if (typeof g === "number") {
      p = writeDecimal(buf, p, g >>> 8);
      buf[p++] = DOT;
      p = writeDecimal(buf, p, g & 0xff);
      buf[p] = DOT;
      buf[p + 1] = ZERO;
      buf[p + 2] = DOT;
      buf[p + 3] = ZERO;
      return p + 4;
    }
    const bytes = g.bytes;
    for (let i = 0; i < bytes.length; i++) buf[p + i] = bytes[i];
    return p + bytes.length;
  }

  /** The new bucket of an address of group `ga` announced by a source of group `gs`. */
  newBucket(ga: GroupRef, gs: GroupRef): number {
    const end = this.#writeGroup(gs, this.#writeGroup(ga, 32));
    // The first byte of the digest is the low byte of its LE64.
    const x = (checksum(this.#buf, 0, end) >>> 24) & (NEW_BUCKETS_PER_SOURCE_GROUP - 1);
    let cache: Int16Array | undefined;
    if (typeof gs === "number") {
      cache = this.#ipv4New[gs] ??= emptyCache(NEW_BUCKETS_PER_SOURCE_GROUP);
    } else {
      cache = gs.newBuckets ??= emptyCache(NEW_BUCKETS_PER_SOURCE_GROUP);
    }
    const cached = cache[x];
    if (cached >= 0) return cached;
    const h = this.#hashGroupX(gs, x);
    // LE64 % 1024: the first byte and the low bits of the second.
    const bucket = ((h >>> 24) | ((h >>> 8) & 0xff00)) & (NEW_BUCKET_COUNT - 1);
    cache[x] = bucket;
    return bucket;
  }

  /** The tried bucket of the address named `name` ("ip:port") of group `g`. */
  triedBucket(name: string, g: GroupRef): number {
    const buf = this.#buf;
    for (let i = 0; i < name.length; i++) buf[32 + i] = name.charCodeAt(i);
    const x = (checksum(buf, 0, 32 + name.length) >>> 24) & (TRIED_BUCKETS_PER_GROUP - 1);
    let cache: Int16Array | undefined;
    if (typeof g === "number") {
      cache = this.#ipv4Tried[g] ??= emptyCache(TRIED_BUCKETS_PER_GROUP);
    } else {
      cache = g.triedBuckets ??= emptyCache(TRIED_BUCKETS_PER_GROUP);
    }
    const cached = cache[x];
    if (cached >= 0) return cached;
    const bucket = (this.#hashGroupX(g, x) >>> 24) & (TRIED_BUCKET_COUNT - 1);
    cache[x] = bucket;
    return bucket;
  }

  /** The first four bytes (big-endian) of dSHA256(key | group | LE64(x)). */
  #hashGroupX(g: GroupRef, x: number): number {
    const buf = this.#buf;
    const end = this.#writeGroup(g, 32);
    buf.fill(0, end, end + 8);
    buf[end] = x;
    return checksum(buf, 0, end + 8);
  }
}
