// Shared pieces of the address manager tests: a seeded RNG, address builders, and reading a
// saved book back to see where each address was placed.
import { type NetAddressV2, netAddressV2FromString } from "../../wire/mod.ts";

/** The fake clock's start: 2026-01-01, in ms. */
export const T0 = Date.UTC(2026, 0, 1);
/** T0 in unix seconds. */
export const T0_S = T0 / 1000;

/** mulberry32: a small deterministic PRNG, uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An address seen `ageS` seconds before T0. */
export function addr(host: string, port = 8333, ageS = 3600, services = 1n): NetAddressV2 {
  return netAddressV2FromString(host, port, { services, timestamp: T0_S - ageS });
}

/** A random routable IPv4 address (first octet 1..99 avoids every reserved range). */
export function randomIpv4(random: () => number, port = 8333, ageS = 3600): NetAddressV2 {
  const b = () => Math.floor(random() * 256);
  let first = 1 + Math.floor(random() * 99);
  if (first === 10) first = 11;
  return addr(`${first}.${b()}.${b()}.${1 + Math.floor(random() * 250)}`, port, ageS);
}

/** A fixed 32-byte key. */
export function testKey(fill = 7): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (i * 31 + fill) & 0xff);
}

/** The parts of a saved book the tests look at. */
export interface SavedBook {
  Version: number;
  Key: number[];
  Addresses: { Addr: string; Src: string; Attempts: number; TimeStamp: number }[];
  NewBuckets: string[][];
  TriedBuckets: string[][];
}

/** For each address name, the new buckets holding it. */
export function newBucketsOf(book: SavedBook): Map<string, number[]> {
  const out = new Map<string, number[]>();
  book.NewBuckets.forEach((b, i) => {
    for (const name of b) out.set(name, [...(out.get(name) ?? []), i]);
  });
  return out;
}

/** For each address name, its tried bucket. */
export function triedBucketOf(book: SavedBook): Map<string, number> {
  const out = new Map<string, number>();
  book.TriedBuckets.forEach((b, i) => {
    for (const name of b) out.set(name, i);
  });
  return out;
}
