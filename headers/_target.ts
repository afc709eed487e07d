// The chain's hot path: a header's proof of work is one byte comparison of its hash against
// its target, and its work one Map lookup. `bits` changes once per retarget period on mainnet
// (and toggles between two values on testnet), so both are cached per `bits` value and only a
// cache miss touches bigint.
import { blockProof, validTarget } from "./pow.ts";

/** Cached entries before a cache is cleared (a hostile peer can make every header a miss). */
const MAX_CACHED = 256;

/** Targets as 32 little-endian bytes, and proofs, per `bits`, for one pow limit. */
export class TargetCache {
  readonly #powLimit: bigint;
  readonly #targets = new Map<number, Uint8Array | null>();
  readonly #proofs = new Map<number, bigint>();

  constructor(powLimit: bigint) {
    this.#powLimit = powLimit;
  }

  /** The target of `bits` as 32 little-endian bytes, or null when out of range. */
  target(bits: number): Uint8Array | null {
    let t = this.#targets.get(bits);
    if (t === undefined) {
      const value = validTarget(bits, this.#powLimit);
      if (value === undefined) {
        t = null;
      } else {
        t = new Uint8Array(32);
        let v = value;
        for (let i = 0; i < 32 && v > 0n; i++, v >>= 8n) t[i] = Number(v & 0xffn);
      }
      if (this.#targets.size >= MAX_CACHED) this.#targets.clear();
      this.#targets.set(bits, t);
    }
    return t;
  }

  /** Whether `hash` (wire order, at `offset`) meets the target in `bits` (Core's CheckProofOfWork). */
  meets(hash: Uint8Array, offset: number, bits: number): boolean {
    const t = this.target(bits);
    if (t === null) return false;
    // Both are little-endian: compare from the most significant byte down.
    for (let i = 31; i >= 0; i--) {
      const a = hash[offset + i];
      const b = t[i];
      if (a !== b) return a < b;
    }
    return true;
  }

  /** The work `bits` proves (Core's GetBlockProof). */
  proof(bits: number): bigint {
    let p = this.#proofs.get(bits);
    if (p === undefined) {
      p = blockProof(bits);
      if (this.#proofs.size >= MAX_CACHED) this.#proofs.clear();
      this.#proofs.set(bits, p);
    }
    return p;
  }
}
