// Golomb-coded sets as BIP 158 defines them, for any P and M: build one from elements, walk one
// against a sorted query set. The basic filter (`basic_filter.ts`) and matching (`match.ts`)
// are this with P = 19, M = 784,931 and the block hash as key.
import { sameBytes } from "./_bytes.ts";
import { encodeGolombRice, GolombRiceReader } from "./_golomb.ts";
import { mapIntoRange, RangeHasher } from "./_range.ts";
import { sipHash24Halves, sipHi, sipKey, sipLo } from "./_siphash.ts";

/** A Golomb-coded set's parameters. */
export interface GcsParams {
  /** Golomb-Rice parameter: remainder bits, 1 to 24. */
  readonly p: number;
  /** Inverse false-positive rate: F = N * M; N * M must stay below 2^53. */
  readonly m: number;
}

const TWO_32 = 0x1_0000_0000;

// Where a uint64's low and high words sit in a Uint32Array view of a BigUint64Array.
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LO = LITTLE_ENDIAN ? 0 : 1;
const HI = 1 - LO;

/**
 * The SipHash-2-4 of each element, as uint64s (no BigInt is made per element: the halves are
 * written through a Uint32Array view).
 *
 * @param elements The elements.
 * @param key The 16-byte key.
 * @returns One hash per element, in order.
 */
export function sipHashes(elements: readonly Uint8Array[], key: Uint8Array): BigUint64Array {
  const k = sipKey(key);
  const hashes = new BigUint64Array(elements.length);
  const words = new Uint32Array(hashes.buffer);
  for (let i = 0; i < elements.length; i++) {
    const e = elements[i];
    sipHash24Halves(k, e, 0, e.length);
    words[2 * i + LO] = sipLo;
    words[2 * i + HI] = sipHi;
  }
  return hashes;
}

/**
 * The filter of `elements` given their hashes: the set is the distinct elements (by bytes, as
 * Bitcoin Core's `ElementSet`), so N counts two different elements with one hash twice.
 *
 * @param hashes `hashes[i]` is the SipHash of `elements[i]`.
 * @param elements The elements, duplicates allowed.
 * @param params P and M.
 * @returns The serialized filter.
 */
export function buildGcsFromHashes(
  hashes: BigUint64Array,
  elements: readonly Uint8Array[],
  params: GcsParams,
): Uint8Array {
  const count = hashes.length;
  // One native sort of the uint64s; the range map is monotonic in the hash, so the values come
  // out sorted too.
  const sorted = hashes.slice().sort();
  const words = new Uint32Array(sorted.buffer);
  // Runs of one hash: copies of one element (often: an address paid twice in a block), or, in
  // theory, different elements whose hashes collide. Only those runs are looked at by bytes.
  const repeats = (i: number) =>
    i > 0 && i < count && words[2 * i] === words[2 * i - 2] &&
    words[2 * i + 1] === words[2 * i - 1];
  let unique = 0;
  let runs: Map<bigint, number> | undefined; // hash → its number of distinct elements
  for (let i = 0; i < count; i++) {
    if (repeats(i)) (runs ??= new Map()).set(sorted[i], 1);
    else unique++;
  }
  let n = unique;
  if (runs !== undefined) {
    const lows = new Set<number>();
    const all = new Uint32Array(hashes.buffer, hashes.byteOffset, count * 2);
    for (const h of runs.keys()) lows.add(Number(h & 0xffff_ffffn));
    const groups = new Map<bigint, Uint8Array[]>();
    for (let i = 0; i < count; i++) {
      if (!lows.has(all[2 * i + LO])) continue;
      const h = hashes[i];
      if (!runs.has(h)) continue;
      const group = groups.get(h);
      if (group === undefined) groups.set(h, [elements[i]]);
      else if (!group.some((e) => sameBytes(e, elements[i]))) group.push(elements[i]);
    }
    for (const [h, group] of groups) {
      runs.set(h, group.length);
      n += group.length - 1;
    }
  }
  const f = n * params.m;
  if (!Number.isSafeInteger(f)) {
    throw new RangeError(`Cannot build filter: N * M = ${n} * ${params.m} exceeds 2^53 - 1`);
  }
  const fHi = Math.floor(f / TWO_32), fLo = f % TWO_32;
  const values = new Float64Array(n);
  let at = 0;
  for (let i = 0; i < count; i++) {
    if (repeats(i)) continue;
    const v = mapIntoRange(words[2 * i + HI], words[2 * i + LO], fHi, fLo);
    const copies = runs !== undefined && repeats(i + 1) ? runs.get(sorted[i])! : 1;
    for (let c = 0; c < copies; c++) values[at++] = v;
  }
  return encodeGolombRice(values, params.p);
}

/**
 * Builds a Golomb-coded set.
 *
 * @param elements The elements, duplicates allowed (the set holds each once).
 * @param key The 16-byte SipHash key.
 * @param params P and M.
 * @returns The serialized filter.
 */
export function buildGcs(
  elements: readonly Uint8Array[],
  key: Uint8Array,
  params: GcsParams,
): Uint8Array {
  return buildGcsFromHashes(sipHashes(elements, key), elements, params);
}

/**
 * Checks a whole filter and returns its values.
 *
 * @param filter The serialized filter.
 * @param params P and M.
 * @returns The N values, ascending.
 * @throws {FilterError} When the filter is malformed.
 */
export function decodeGcs(filter: Uint8Array, params: GcsParams): Float64Array {
  const reader = new GolombRiceReader(filter, params.p, params.m);
  // N is bounded by the bytes (readFilterCount), so this is at most 3.2 times their size.
  const values = new Float64Array(reader.n);
  for (let i = 0; i < values.length; i++) values[i] = reader.next();
  reader.finish();
  return values;
}

/**
 * Checks a whole filter without keeping its values.
 *
 * @param filter The serialized filter.
 * @param params P and M.
 * @returns N.
 * @throws {FilterError} When the filter is malformed.
 */
export function validateGcs(filter: Uint8Array, params: GcsParams): number {
  const reader = new GolombRiceReader(filter, params.p, params.m);
  reader.finish();
  return reader.n;
}

function queryValues(
  queries: readonly Uint8Array[],
  key: Uint8Array,
  f: number,
): Float64Array {
  const hasher = new RangeHasher(key, f);
  const values = new Float64Array(queries.length);
  for (let i = 0; i < queries.length; i++) values[i] = hasher.hash(queries[i]);
  return values.sort();
}

/**
 * Whether any query is in the set: the queries are hashed and sorted, then the filter is
 * walked once beside them (one sorted merge). The whole filter is always read, so a malformed
 * one fails whatever the queries.
 *
 * @param filter The serialized filter.
 * @param key The 16-byte SipHash key.
 * @param queries The elements to look for.
 * @param params P and M.
 * @returns True when at least one query's value is in the set.
 * @throws {FilterError} When the filter is malformed.
 */
export function gcsMatchAny(
  filter: Uint8Array,
  key: Uint8Array,
  queries: readonly Uint8Array[],
  params: GcsParams,
): boolean {
  const reader = new GolombRiceReader(filter, params.p, params.m);
  let found = false;
  if (reader.n > 0 && queries.length > 0) {
    const wanted = queryValues(queries, key, reader.n * params.m);
    const last = wanted.length;
    let at = 0;
    while (reader.left > 0) {
      const v = reader.next();
      while (wanted[at] < v) {
        if (++at === last) break;
      }
      if (at === last) break;
      if (wanted[at] === v) {
        found = true;
        break;
      }
    }
  }
  // Reads the rest, so that the answer is an error for any malformed filter.
  reader.finish();
  return found;
}

/**
 * Whether every query is in the set, in one walk.
 *
 * @param filter The serialized filter.
 * @param key The 16-byte SipHash key.
 * @param queries The elements that must all be present.
 * @param params P and M.
 * @returns True when every query's value is in the set (and the filter is well formed).
 * @throws {FilterError} When the filter is malformed.
 */
export function gcsMatchAll(
  filter: Uint8Array,
  key: Uint8Array,
  queries: readonly Uint8Array[],
  params: GcsParams,
): boolean {
  const reader = new GolombRiceReader(filter, params.p, params.m);
  let all = true;
  if (queries.length > 0 && reader.n === 0) {
    all = false;
  } else if (queries.length > 0) {
    const wanted = queryValues(queries, key, reader.n * params.m);
    const last = wanted.length;
    let at = 0;
    while (reader.left > 0 && at < last) {
      const v = reader.next();
      if (wanted[at] < v) break; // a query below every value still to come: not in the set
      while (at < last && wanted[at] === v) at++;
    }
    all = at === last;
  }
  reader.finish();
  return all;
}
