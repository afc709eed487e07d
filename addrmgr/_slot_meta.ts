// What selection reads per bucket slot, kept in dense arrays beside the tables: a record's
// good-window and chance inputs (so `getAddress`'s rejection loop reads a few bytes per draw,
// not a scattered record), and the set of non-empty buckets (so a uniform pick is O(1)).
import type { AddressRecord } from "./_record.ts";
import { attemptPenalty, RECENT_ATTEMPT_MS } from "./known_address.ts";

const MINUTE_MS = 60_000;
const DAY_MS = 24 * 60 * MINUTE_MS;
/**
 * Per new-bucket slot: [timestamp s, good from ms, surely good until ms, grace until ms,
 * attempt penalty, recently attempted until ms]; the last two are also kept per tried slot.
 */
export const META = 6;
/** Per tried-bucket slot: [attempt penalty, recently attempted until ms]. */
export const TRIED_META = 2;

/**
 * When a record is surely not bad, from its fields (see `isBad`): [from, until). Boundaries
 * are conservative; a slot outside the window is checked with `isBad` itself.
 */
export function goodWindow(rec: AddressRecord, out: Float64Array, at: number): void {
  const seenMs = rec.timestamp * 1000;
  let until = seenMs + 30 * DAY_MS;
  if (rec.lastSuccessMs === 0 && rec.attempts >= 3) until = -Infinity;
  if (rec.attempts >= 10) until = Math.min(until, rec.lastSuccessMs + 7 * DAY_MS - 1);
  out[at] = rec.timestamp;
  out[at + 1] = seenMs - 10 * MINUTE_MS;
  out[at + 2] = until;
  out[at + 3] = rec.lastAttemptMs + MINUTE_MS - 1;
  writeChance(rec, out, at + 4);
}

/**
 * What {@linkcode chance} reads of a record, beside the slots of the buckets it is in, so
 * that selection's rejection loop (some 15 draws per pick when tried entries were attempted
 * in the last 10 minutes) reads 16 bytes of a dense array per draw, not a scattered record.
 * `chance` is `(now < [1] ? 0.01 : 1) · [0]`.
 */
export function writeChance(rec: AddressRecord, out: Float64Array, at: number): void {
  out[at] = attemptPenalty(rec.attempts);
  out[at + 1] = rec.lastAttemptMs + RECENT_ATTEMPT_MS;
}

/** The non-empty buckets of a table, so that a uniform pick among them is O(1). */
export class Occupied {
  readonly list: Int32Array;
  count = 0;
  readonly #at: Int32Array;

  constructor(buckets: number) {
    this.list = new Int32Array(buckets);
    this.#at = new Int32Array(buckets).fill(-1);
  }

  add(bucket: number): void {
    if (this.#at[bucket] >= 0) return;
    this.#at[bucket] = this.count;
    this.list[this.count++] = bucket;
  }

  delete(bucket: number): void {
    const i = this.#at[bucket];
    if (i < 0) return;
    const last = this.list[--this.count];
    this.list[i] = last;
    this.#at[last] = i;
    this.#at[bucket] = -1;
  }
}
