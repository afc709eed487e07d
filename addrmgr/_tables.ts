// The new and tried tables (REFERENCE 3.6-3.8): where an address goes when heard of, when
// connected to, and when evicted, and how one is picked. Buckets are small arrays (at most
// 64), so random picks are O(1) and removals a short scan.
import type { NetAddressV2 } from "../wire/net_address_v2.ts";
import { BucketHasher } from "./_bucket_hash.ts";
import { AddressRecord, canonicalCopy, indexKey } from "./_record.ts";
import {
  GET_ADDR_MAX,
  GET_ADDR_PERCENT,
  NEW_BUCKET_COUNT,
  NEW_BUCKET_SIZE,
  NEW_BUCKETS_PER_ADDRESS,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKET_SIZE,
} from "./constants.ts";
import { chance, isBad } from "./known_address.ts";
import { isRoutable } from "./network.ts";

/** Uniform in [0, 1). */
export type Random = () => number;

const TWENTY_MINUTES_MS = 20 * 60 * 1000;
const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/** Per new-bucket slot: [timestamp s, good from ms, surely good until ms, grace until ms]. */
const META = 4;

/**
 * When a record is surely not bad, from its fields (see `isBad`): [from, until). Boundaries
 * are conservative; a slot outside the window is checked with `isBad` itself.
 */
function goodWindow(rec: AddressRecord, out: Float64Array, at: number): void {
  const seenMs = rec.netAddress.timestamp * 1000;
  let until = seenMs + 30 * DAY_MS;
  if (rec.lastSuccessMs === 0 && rec.attempts >= 3) until = -Infinity;
  if (rec.attempts >= 10) until = Math.min(until, rec.lastSuccessMs + 7 * DAY_MS - 1);
  out[at] = rec.netAddress.timestamp;
  out[at + 1] = seenMs - 10 * MINUTE_MS;
  out[at + 2] = until;
  out[at + 3] = rec.lastAttemptMs + MINUTE_MS - 1;
}

export class AddressTables {
  readonly index: Map<number | string, AddressRecord> = new Map();
  /** Every record, in no particular order (for sampling and saving). */
  readonly all: AddressRecord[] = [];
  readonly newBuckets: AddressRecord[][];
  readonly triedBuckets: AddressRecord[][];
  /**
   * What eviction needs of each new-bucket entry, side by side: scanning a full bucket then
   * reads 2 KB of contiguous memory instead of 128 scattered objects (7x faster when full).
   */
  readonly #meta = new Float64Array(NEW_BUCKET_COUNT * NEW_BUCKET_SIZE * META);
  nNew = 0;
  nTried = 0;
  readonly hasher: BucketHasher;
  readonly #random: Random;

  constructor(key: Uint8Array, random: Random) {
    this.hasher = new BucketHasher(key);
    this.#random = random;
    this.newBuckets = Array.from({ length: NEW_BUCKET_COUNT }, () => []);
    this.triedBuckets = Array.from({ length: TRIED_BUCKET_COUNT }, () => []);
  }

  get size(): number {
    return this.all.length;
  }

  find(na: NetAddressV2): AddressRecord | undefined {
    return this.index.get(indexKey(na));
  }

  /** btcd's `updateAddress`: learn of `na` from `src`. Returns whether a bucket changed. */
  add(na: NetAddressV2, src: NetAddressV2, nowMs: number): boolean {
    if (!isRoutable(na)) return false;
    const key = indexKey(na);
    let rec = this.index.get(key);
    if (rec !== undefined) {
      const old = rec.netAddress;
      const services = old.services | na.services;
      if (na.timestamp > old.timestamp || services !== old.services) {
        // Copy on write: a NetAddressV2 handed out earlier never changes under its holder.
        rec.netAddress = {
          ...old,
          timestamp: Math.max(na.timestamp, old.timestamp),
          services,
        };
        this.#refresh(rec);
      }
      if (rec.tried || rec.refs >= NEW_BUCKETS_PER_ADDRESS) return false;
      // The more buckets reference it, the less likely another one is added: 1 in 2·refs.
      if (Math.floor(this.#random() * 2 * rec.refs) !== 0) return false;
    } else {
      rec = new AddressRecord(canonicalCopy(na), this.#sourceCopy(src), key);
      this.#remember(rec);
      this.nNew++;
    }
    // Placed by who told us this time (btcd), so each new source group can add a bucket.
    const bucket = this.hasher.newBucket(rec.netAddress, src);
    if (rec.buckets.includes(bucket)) return false;
    // As Bitcoin Core, a bucket is full at 64 entries; btcd checks `> 64` and lets it hold 65.
    if (this.newBuckets[bucket].length >= NEW_BUCKET_SIZE) this.#expireNew(bucket, nowMs);
    this.#insertNew(rec, bucket);
    return true;
  }

  attempt(na: NetAddressV2, nowMs: number): void {
    const rec = this.find(na);
    if (rec === undefined) return;
    rec.attempts++;
    rec.lastAttemptMs = nowMs;
    this.#refresh(rec);
  }

  connected(na: NetAddressV2, nowMs: number): void {
    const rec = this.find(na);
    if (rec === undefined) return;
    if (nowMs > rec.netAddress.timestamp * 1000 + TWENTY_MINUTES_MS) {
      rec.netAddress = { ...rec.netAddress, timestamp: Math.floor(nowMs / 1000) };
      this.#refresh(rec);
    }
  }

  setServices(na: NetAddressV2, services: bigint): void {
    const rec = this.find(na);
    if (rec === undefined || rec.netAddress.services === services) return;
    rec.netAddress = { ...rec.netAddress, services };
  }

  /** btcd's `Good`: a handshake completed; move the address to the tried table. */
  good(na: NetAddressV2, nowMs: number): void {
    const rec = this.find(na);
    if (rec === undefined) return;
    rec.lastSuccessMs = nowMs;
    rec.lastAttemptMs = nowMs;
    rec.attempts = 0;
    if (rec.tried) return;
    const freed = rec.buckets[0];
    for (const b of rec.buckets) this.#removeNew(b, rec);
    rec.buckets = [];
    rec.refs = 0;
    this.nNew--;
    const bucket = this.hasher.triedBucket(rec.netAddress);
    const slots = this.triedBuckets[bucket];
    rec.tried = true;
    rec.buckets = [bucket];
    if (slots.length < TRIED_BUCKET_SIZE) {
      slots.push(rec);
      this.nTried++;
      return;
    }
    // No room: the oldest entry of the bucket goes back to the new table, to the bucket it
    // belongs in, or to the one just freed if that is full.
    const victim = pickOldest(slots);
    slots[slots.indexOf(victim)] = rec;
    victim.tried = false;
    victim.buckets = [];
    let target = this.hasher.newBucket(victim.netAddress, victim.source);
    if (this.newBuckets[target].length >= NEW_BUCKET_SIZE) target = freed;
    this.nNew++;
    this.#insertNew(victim, target);
  }

  /** btcd's `GetAddress`: the weighted random choice between tried and new. */
  select(nowMs: number): AddressRecord | undefined {
    if (this.all.length === 0) return undefined;
    const random = this.#random;
    const useTried = this.nTried > 0 && (this.nNew === 0 || random() < 0.5);
    const buckets = useTried ? this.triedBuckets : this.newBuckets;
    let factor = 1;
    for (;;) {
      const bucket = buckets[Math.floor(random() * buckets.length)];
      if (bucket.length === 0) continue;
      const rec = bucket[Math.floor(random() * bucket.length)];
      if (random() < factor * chance(rec, nowMs)) return rec;
      factor *= 1.2;
    }
  }

  /**
   * What to answer `getaddr` with: 23% of the book, at most 1000, chosen by a partial
   * Fisher-Yates shuffle (done on an index map, so nothing is copied), skipping bad
   * addresses as Bitcoin Core does.
   */
  sample(nowMs: number): NetAddressV2[] {
    const all = this.all;
    const n = all.length;
    const want = Math.min(Math.floor(n * GET_ADDR_PERCENT / 100), GET_ADDR_MAX);
    const out: NetAddressV2[] = [];
    const moved = new Map<number, number>();
    for (let i = 0; i < n && out.length < want; i++) {
      const j = i + Math.floor(this.#random() * (n - i));
      const at = moved.get(j) ?? j;
      moved.set(j, moved.get(i) ?? i);
      const rec = all[at];
      if (!isBad(rec, nowMs)) out.push(rec.netAddress);
    }
    return out;
  }

  /** Puts a loaded record back into a new bucket (false when the bucket is full). */
  restoreNew(rec: AddressRecord, bucket: number): boolean {
    if (rec.buckets.includes(bucket)) return true;
    if (rec.slot < 0 && this.index.has(rec.key)) return false;
    if (rec.refs >= NEW_BUCKETS_PER_ADDRESS) return false;
    if (this.newBuckets[bucket].length >= NEW_BUCKET_SIZE) return false;
    if (rec.slot < 0) {
      this.#remember(rec);
      this.nNew++;
    }
    this.#insertNew(rec, bucket);
    return true;
  }

  /** Puts a loaded record into a tried bucket (false when the bucket is full). */
  restoreTried(rec: AddressRecord, bucket: number): boolean {
    if (this.index.has(rec.key)) return false;
    if (this.triedBuckets[bucket].length >= TRIED_BUCKET_SIZE) return false;
    rec.tried = true;
    rec.buckets = [bucket];
    this.triedBuckets[bucket].push(rec);
    this.#remember(rec);
    this.nTried++;
    return true;
  }

  #lastSource: NetAddressV2 | undefined;
  #lastSourceCopy: NetAddressV2 | undefined;

  /** One private copy of a source for the many addresses it announces in a row. */
  #sourceCopy(src: NetAddressV2): NetAddressV2 {
    const copy = this.#lastSourceCopy;
    if (
      copy !== undefined && src === this.#lastSource && src.port === copy.port &&
      src.services === copy.services && src.timestamp === copy.timestamp &&
      sameBytes(src.address, copy.address)
    ) {
      return copy;
    }
    this.#lastSource = src;
    return this.#lastSourceCopy = canonicalCopy(src);
  }

  #remember(rec: AddressRecord): void {
    rec.slot = this.all.length;
    this.all.push(rec);
    this.index.set(rec.key, rec);
  }

  #forget(rec: AddressRecord): void {
    this.index.delete(rec.key);
    const last = this.all.pop()!;
    if (last !== rec) {
      this.all[rec.slot] = last;
      last.slot = rec.slot;
    }
    rec.slot = -1;
    this.nNew--;
  }

  #insertNew(rec: AddressRecord, bucket: number): void {
    const entries = this.newBuckets[bucket];
    goodWindow(rec, this.#meta, (bucket * NEW_BUCKET_SIZE + entries.length) * META);
    entries.push(rec);
    rec.buckets.push(bucket);
    rec.refs++;
  }

  /** Rewrites the eviction data of a record's new-bucket entries after it changed. */
  #refresh(rec: AddressRecord): void {
    if (rec.tried) return;
    for (const b of rec.buckets) {
      const pos = this.newBuckets[b].indexOf(rec);
      goodWindow(rec, this.#meta, (b * NEW_BUCKET_SIZE + pos) * META);
    }
  }

  /** Swap-removes `rec` from a new bucket, moving the last entry's data with it. */
  #removeNew(bucket: number, rec: AddressRecord): void {
    const entries = this.newBuckets[bucket];
    const i = entries.indexOf(rec);
    if (i < 0) return;
    const last = entries.pop()!;
    if (i < entries.length) {
      entries[i] = last;
      const base = bucket * NEW_BUCKET_SIZE * META;
      this.#meta.copyWithin(
        base + i * META,
        base + entries.length * META,
        base + (entries.length + 1) * META,
      );
    }
  }

  #dropFromNew(rec: AddressRecord, bucket: number): void {
    this.#removeNew(bucket, rec);
    removeFrom(rec.buckets, bucket);
    if (--rec.refs === 0) this.#forget(rec);
  }

  /** btcd's `expireNew`: drop every bad entry of the bucket, and the oldest of the rest. */
  #expireNew(bucket: number, nowMs: number): void {
    const entries = this.newBuckets[bucket];
    const meta = this.#meta;
    const base = bucket * NEW_BUCKET_SIZE * META;
    let oldest: AddressRecord | undefined;
    let oldestTs = Infinity;
    // Backwards, so that a swap-remove only moves entries already looked at.
    for (let i = entries.length - 1; i >= 0; i--) {
      const at = base + i * META;
      const surelyGood = nowMs <= meta[at + 3] || (nowMs >= meta[at + 1] && nowMs < meta[at + 2]);
      if (!surelyGood && isBad(entries[i], nowMs)) {
        this.#dropFromNew(entries[i], bucket);
      } else if (meta[at] <= oldestTs) {
        oldestTs = meta[at];
        oldest = entries[i];
      }
    }
    if (oldest !== undefined) this.#dropFromNew(oldest, bucket);
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i < 0) return;
  const last = list.pop()!;
  if (i < list.length) list[i] = last;
}

function pickOldest(list: AddressRecord[]): AddressRecord {
  let oldest = list[0];
  for (const rec of list) if (rec.netAddress.timestamp < oldest.netAddress.timestamp) oldest = rec;
  return oldest;
}
