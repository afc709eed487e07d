// The new and tried tables (REFERENCE 3.6-3.8): where an address goes when heard of, when
// connected to, and when evicted, and how one is picked. Buckets are small arrays (at most
// 64), so random picks are O(1) and removals a short scan. Adding a new address allocates
// its record and nothing else: no copy of the caller's address (see `_record.ts`), no
// digest, no key string; sources are kept once each (see `#source`).
import { BIP155Network, type NetAddressV2 } from "../wire/net_address_v2.ts";
import { BucketHasher, type GroupRef } from "./_bucket_hash.ts";
import { Ipv4Map } from "./_ipv4_map.ts";
import {
  AddressRecord,
  canonicalCopy,
  NO_BUCKETS,
  otherKey,
  recordIsBad,
  recordOf,
} from "./_record.ts";
import {
  GET_ADDR_MAX,
  GET_ADDR_PERCENT,
  NEW_BUCKET_COUNT,
  NEW_BUCKET_SIZE,
  NEW_BUCKETS_PER_ADDRESS,
  TRIED_BUCKET_COUNT,
  TRIED_BUCKET_SIZE,
} from "./constants.ts";
import { ipv4Number, isRoutable, isRoutableIpv4, isValid } from "./network.ts";
import { goodWindow, META, Occupied, TRIED_META, writeChance } from "./_slot_meta.ts";

/** Uniform in [0, 1). */
export type Random = () => number;

/** The time, read only when an add has to expire entries. */
export interface Now {
  now(): number;
}

const TWENTY_MINUTES_MS = 20 * 60 * 1000;
/** A source as kept: a private copy shared by the records it announced, and its group. */
interface Source {
  readonly netAddress: NetAddressV2;
  readonly group: GroupRef;
}

/** Sources remembered before the cache is emptied (a node hears from a few hundred). */
const MAX_SOURCES = 4096;

function randomSeed(): number {
  return crypto.getRandomValues(new Int32Array(1))[0];
}

export class AddressTables {
  /** The index: IPv4 addresses by number, others by {@linkcode otherKey}. */
  readonly #ipv4Index = new Ipv4Map<AddressRecord>(randomSeed());
  readonly #otherIndex = new Map<string, AddressRecord>();
  /** Every record, in no particular order (for sampling and saving). */
  readonly all: AddressRecord[] = [];
  readonly newBuckets: AddressRecord[][];
  readonly triedBuckets: AddressRecord[][];
  /**
   * What eviction needs of each new-bucket entry, side by side: scanning a full bucket then
   * reads 2 KB of contiguous memory instead of 128 scattered objects (7x faster when full).
   */
  readonly #meta = new Float64Array(NEW_BUCKET_COUNT * NEW_BUCKET_SIZE * META);
  readonly #triedMeta = new Float64Array(TRIED_BUCKET_COUNT * TRIED_BUCKET_SIZE * TRIED_META);
  readonly #newOccupied = new Occupied(NEW_BUCKET_COUNT);
  readonly #triedOccupied = new Occupied(TRIED_BUCKET_COUNT);
  nNew = 0;
  nTried = 0;
  readonly hasher: BucketHasher;
  readonly #random: Random;
  readonly #ipv4Sources = new Ipv4Map<Source>(randomSeed());
  readonly #otherSources = new Map<string, Source>();
  #lastSourceArg: NetAddressV2 | undefined;
  #lastSource: Source | undefined;
  /** Keep valid unroutable addresses (loopback, private ranges) too: local test networks. */
  readonly #keepLocal: boolean;

  constructor(key: Uint8Array, random: Random, keepLocal = false) {
    this.hasher = new BucketHasher(key);
    this.#random = random;
    this.#keepLocal = keepLocal;
    this.newBuckets = Array.from({ length: NEW_BUCKET_COUNT }, () => []);
    this.triedBuckets = Array.from({ length: TRIED_BUCKET_COUNT }, () => []);
  }

  get size(): number {
    return this.all.length;
  }

  find(na: NetAddressV2): AddressRecord | undefined {
    const v = ipv4Number(na);
    return v >= 0 ? this.#ipv4Index.get(v, na.port) : this.#otherIndex.get(otherKey(na));
  }

  /** Whether a record of the same address is indexed. */
  #indexed(rec: AddressRecord): boolean {
    return rec.bytes === undefined
      ? this.#ipv4Index.has(rec.ip, rec.port)
      : this.#otherIndex.has(rec.key);
  }

  /**
   * btcd's `updateAddress`: learn of `na` from `src`. Returns whether a bucket changed. The
   * clock is read only if a full bucket has to be expired.
   */
  add(na: NetAddressV2, src: NetAddressV2, clock: Now): boolean {
    const v = ipv4Number(na);
    let rec: AddressRecord | undefined;
    if (v >= 0) {
      if (!isRoutableIpv4(v) && !(this.#keepLocal && isValid(na))) return false;
      rec = this.#ipv4Index.get(v, na.port);
    } else {
      if (!isRoutable(na) && !(this.#keepLocal && isValid(na))) return false;
      rec = this.#otherIndex.get(otherKey(na));
    }
    let source: Source;
    if (rec !== undefined) {
      const services = rec.services | na.services;
      if (na.timestamp > rec.timestamp || services !== rec.services) {
        rec.update(Math.max(na.timestamp, rec.timestamp), services);
        this.#refresh(rec);
      }
      if (rec.tried || rec.refs >= NEW_BUCKETS_PER_ADDRESS) return false;
      // The more buckets reference it, the less likely another one is added: 1 in 2·refs.
      if (Math.floor(this.#random() * 2 * rec.refs) !== 0) return false;
      source = this.#source(src);
    } else {
      source = this.#source(src);
      rec = v >= 0
        ? new AddressRecord(
          BIP155Network.IPV4,
          v,
          undefined,
          na.port,
          na.timestamp,
          na.services,
          source.netAddress,
          "",
        )
        : recordOf(na, source.netAddress);
      this.#remember(rec);
      this.nNew++;
    }
    // Placed by who told us this time (btcd), so each new source group can add a bucket.
    const bucket = this.hasher.newBucket(v >= 0 ? v >>> 16 : this.hasher.group(na), source.group);
    if (rec.refs > 0 && rec.buckets.includes(bucket)) return false;
    // As Bitcoin Core, a bucket is full at 64 entries; btcd checks `> 64` and lets it hold 65.
    if (this.newBuckets[bucket].length >= NEW_BUCKET_SIZE) this.#expireNew(bucket, clock.now());
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
    if (nowMs > rec.timestamp * 1000 + TWENTY_MINUTES_MS) {
      rec.update(Math.floor(nowMs / 1000), rec.services);
      this.#refresh(rec);
    }
  }

  setServices(na: NetAddressV2, services: bigint): void {
    const rec = this.find(na);
    if (rec === undefined || rec.services === services) return;
    rec.update(rec.timestamp, services);
  }

  /** btcd's `Good`: a handshake completed; move the address to the tried table. */
  good(na: NetAddressV2, nowMs: number): void {
    const rec = this.find(na);
    if (rec === undefined) return;
    rec.lastSuccessMs = nowMs;
    rec.lastAttemptMs = nowMs;
    rec.attempts = 0;
    if (rec.tried) {
      this.#refresh(rec);
      return;
    }
    const freed = rec.buckets[0];
    for (const b of rec.buckets) this.#removeNew(b, rec);
    rec.buckets = NO_BUCKETS;
    rec.refs = 0;
    this.nNew--;
    const bucket = this.triedBucketOf(rec);
    const slots = this.triedBuckets[bucket];
    rec.tried = true;
    rec.buckets = [bucket];
    if (slots.length < TRIED_BUCKET_SIZE) {
      this.#insertTried(rec, bucket);
      this.nTried++;
      return;
    }
    // No room: the oldest entry of the bucket goes back to the new table, to the bucket it
    // belongs in, or to the one just freed if that is full.
    const i = oldestIndex(slots);
    const victim = slots[i];
    slots[i] = rec;
    writeChance(rec, this.#triedMeta, (bucket * TRIED_BUCKET_SIZE + i) * TRIED_META);
    victim.tried = false;
    victim.buckets = NO_BUCKETS;
    let target = this.newBucketOf(victim);
    if (this.newBuckets[target].length >= NEW_BUCKET_SIZE) target = freed;
    this.nNew++;
    this.#insertNew(victim, target);
  }

  /** The new bucket a record belongs in by its first source. */
  newBucketOf(rec: AddressRecord): number {
    const h = this.hasher;
    return h.newBucket(
      rec.bytes === undefined ? rec.ip >>> 16 : h.group(rec.netAddress),
      h.group(rec.source),
    );
  }

  /** The tried bucket of a record. */
  triedBucketOf(rec: AddressRecord): number {
    const h = this.hasher;
    return h.triedBucket(
      rec.name(),
      rec.bytes === undefined ? rec.ip >>> 16 : h.group(rec.netAddress),
    );
  }

  /**
   * btcd's `GetAddress`: the weighted random choice between tried and new. A random bucket
   * is drawn among the non-empty ones (what btcd's retry on an empty bucket amounts to), a
   * random entry of it, accepted with `factor · chance`, the factor growing by 1.2 at each
   * refusal. `chance` is read from the slot data (see `writeChance`).
   */
  select(nowMs: number): AddressRecord | undefined {
    if (this.all.length === 0) return undefined;
    const random = this.#random;
    const useTried = this.nTried > 0 && (this.nNew === 0 || random() < 0.5);
    const buckets = useTried ? this.triedBuckets : this.newBuckets;
    const occupied = useTried ? this.#triedOccupied : this.#newOccupied;
    const meta = useTried ? this.#triedMeta : this.#meta;
    const size = useTried ? TRIED_BUCKET_SIZE : NEW_BUCKET_SIZE;
    const stride = useTried ? TRIED_META : META;
    const first = useTried ? 0 : 4;
    const list = occupied.list;
    const count = occupied.count;
    let factor = 1;
    for (;;) {
      const b = list[Math.floor(random() * count)];
      const i = Math.floor(random() * buckets[b].length);
      const at = (b * size + i) * stride + first;
      const chance = (nowMs < meta[at + 1] ? 0.01 : 1) * meta[at];
      if (random() < factor * chance) return buckets[b][i];
      factor *= 1.2;
    }
  }

  /**
   * What to answer `getaddr` with: 23% of the book (or `percent`), at most 1000, chosen by a partial
   * Fisher-Yates shuffle (done on an index map, so nothing is copied), skipping bad
   * addresses as Bitcoin Core does.
   */
  sample(nowMs: number, percent = GET_ADDR_PERCENT): NetAddressV2[] {
    const all = this.all;
    const n = all.length;
    const want = Math.min(Math.floor(n * percent / 100), GET_ADDR_MAX);
    const out: NetAddressV2[] = [];
    const moved = new Map<number, number>();
    for (let i = 0; i < n && out.length < want; i++) {
      const j = i + Math.floor(this.#random() * (n - i));
      const at = moved.get(j) ?? j;
      moved.set(j, moved.get(i) ?? i);
      const rec = all[at];
      if (!recordIsBad(rec, nowMs)) out.push(rec.netAddress);
    }
    return out;
  }

  /** Puts a loaded record back into a new bucket (false when the bucket is full). */
  restoreNew(rec: AddressRecord, bucket: number): boolean {
    if (rec.buckets.includes(bucket)) return true;
    if (rec.slot < 0 && this.#indexed(rec)) return false;
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
    if (this.#indexed(rec)) return false;
    if (this.triedBuckets[bucket].length >= TRIED_BUCKET_SIZE) return false;
    rec.tried = true;
    rec.buckets = [bucket];
    this.#insertTried(rec, bucket);
    this.#remember(rec);
    this.nTried++;
    return true;
  }

  /**
   * The kept form of a source: one private copy per source, shared by every record it
   * announced (an `addr` message of 1000 entries shares one; so do many messages).
   */
  #source(src: NetAddressV2): Source {
    const last = this.#lastSource;
    if (last !== undefined && src === this.#lastSourceArg && sameAddress(src, last.netAddress)) {
      return last;
    }
    const v = ipv4Number(src);
    const key = v >= 0 ? "" : otherKey(src);
    let source = v >= 0 ? this.#ipv4Sources.get(v, src.port) : this.#otherSources.get(key);
    if (
      source === undefined || source.netAddress.timestamp !== src.timestamp ||
      source.netAddress.services !== src.services
    ) {
      source = { netAddress: canonicalCopy(src), group: this.hasher.group(src) };
      if (v >= 0) {
        if (this.#ipv4Sources.size >= MAX_SOURCES) this.#ipv4Sources.clear();
        this.#ipv4Sources.set(v, src.port, source);
      } else {
        if (this.#otherSources.size >= MAX_SOURCES) this.#otherSources.clear();
        this.#otherSources.set(key, source);
      }
    }
    this.#lastSourceArg = src;
    this.#lastSource = source;
    return source;
  }

  #remember(rec: AddressRecord): void {
    rec.slot = this.all.length;
    this.all.push(rec);
    if (rec.bytes === undefined) this.#ipv4Index.set(rec.ip, rec.port, rec);
    else this.#otherIndex.set(rec.key, rec);
  }

  #forget(rec: AddressRecord): void {
    if (rec.bytes === undefined) this.#ipv4Index.delete(rec.ip, rec.port);
    else this.#otherIndex.delete(rec.key);
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
    if (entries.length === 1) this.#newOccupied.add(bucket);
    // A literal of one: the first push to an empty array would reserve 17 slots.
    if (rec.buckets.length === 0) rec.buckets = [bucket];
    else rec.buckets.push(bucket);
    rec.refs++;
  }

  #insertTried(rec: AddressRecord, bucket: number): void {
    const slots = this.triedBuckets[bucket];
    writeChance(rec, this.#triedMeta, (bucket * TRIED_BUCKET_SIZE + slots.length) * TRIED_META);
    slots.push(rec);
    this.#triedOccupied.add(bucket);
  }

  /** Rewrites the per-slot data of a record's entries after it changed. */
  #refresh(rec: AddressRecord): void {
    if (rec.tried) {
      const b = rec.buckets[0];
      const pos = this.triedBuckets[b].indexOf(rec);
      writeChance(rec, this.#triedMeta, (b * TRIED_BUCKET_SIZE + pos) * TRIED_META);
      return;
    }
    for (const b of rec.buckets) {
      const pos = this.newBuckets[b].indexOf(rec);
      goodWindow(rec, this.#meta, (b * NEW_BUCKET_SIZE + pos) * META);
    }
  }

  /** Swap-removes `rec` from a new bucket, moving the last entry's data with it. */
  #removeNew(bucket: number, rec: AddressRecord): void {
    const entries = this.newBuckets[bucket];
    const i = entries.indexOf(rec);
    if (i >= 0) this.#removeNewAt(bucket, i);
  }

  /** Swap-removes entry `i` of a new bucket. */
  #removeNewAt(bucket: number, i: number): void {
    const entries = this.newBuckets[bucket];
    const last = entries.pop()!;
    if (i < entries.length) {
      entries[i] = last;
      const base = bucket * NEW_BUCKET_SIZE * META;
      this.#meta.copyWithin(
        base + i * META,
        base + entries.length * META,
        base + (entries.length + 1) * META,
      );
    } else if (entries.length === 0) {
      this.#newOccupied.delete(bucket);
    }
  }

  /** Drops entry `i` of a new bucket, and the record with its last reference. */
  #dropFromNew(bucket: number, i: number): void {
    const rec = this.newBuckets[bucket][i];
    this.#removeNewAt(bucket, i);
    removeFrom(rec.buckets, bucket);
    if (--rec.refs === 0) this.#forget(rec);
  }

  /** btcd's `expireNew`: drop every bad entry of the bucket, and the oldest of the rest. */
  #expireNew(bucket: number, nowMs: number): void {
    const entries = this.newBuckets[bucket];
    const meta = this.#meta;
    const base = bucket * NEW_BUCKET_SIZE * META;
    let oldest = -1;
    let oldestTs = Infinity;
    // Backwards, so that a swap-remove only moves an entry already looked at: the last.
    for (let i = entries.length - 1; i >= 0; i--) {
      const at = base + i * META;
      const surelyGood = nowMs <= meta[at + 3] || (nowMs >= meta[at + 1] && nowMs < meta[at + 2]);
      if (!surelyGood && recordIsBad(entries[i], nowMs)) {
        // The last entry moves to `i`; if it was the oldest so far, follow it.
        if (oldest === entries.length - 1) oldest = i;
        this.#dropFromNew(bucket, i);
      } else if (meta[at] <= oldestTs) {
        oldestTs = meta[at];
        oldest = i;
      }
    }
    if (oldest >= 0) this.#dropFromNew(bucket, oldest);
  }
}

function sameAddress(a: NetAddressV2, copy: NetAddressV2): boolean {
  if (a.port !== copy.port || a.services !== copy.services || a.timestamp !== copy.timestamp) {
    return false;
  }
  const x = a.address, y = copy.address;
  if (x.length !== y.length) return false;
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

function removeFrom<T>(list: T[], item: T): void {
  const i = list.indexOf(item);
  if (i < 0) return;
  const last = list.pop()!;
  if (i < list.length) list[i] = last;
}

function oldestIndex(list: AddressRecord[]): number {
  let oldest = 0;
  for (let i = 1; i < list.length; i++) if (list[i].timestamp < list[oldest].timestamp) oldest = i;
  return oldest;
}
