// Test hashes that are easy to tell apart.

/** A 32-byte hash whose bytes are `seed, seed + 1, ...`, so every position is distinct. */
export function seqHash(seed: number): Uint8Array {
  return Uint8Array.from({ length: 32 }, (_, i) => (seed + i) & 0xff);
}
