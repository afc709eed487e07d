// btcd's misbehaviour score (`connmgr/dynamicbanscore.go`): a persistent part that only grows,
// plus a transient part that halves every minute and is forgotten after half an hour, so bursts
// of costly but legitimate requests ban a peer only when they keep coming.
import { type Clock, SYSTEM_CLOCK } from "../peer/clock.ts";

/**
 * The score above which a peer is banned (btcd's `--banthreshold` default); btcd warns above
 * half of it.
 *
 * @example
 * ```ts
 * import { BAN_THRESHOLD, DynamicBanScore } from "@btcstream/p2p/server";
 * import { assert, assertEquals } from "@std/assert";
 * const score = new DynamicBanScore();
 * assertEquals(score.increase(BAN_THRESHOLD, 0), BAN_THRESHOLD); // at the threshold: not banned
 * assert(score.increase(1, 0) > BAN_THRESHOLD); // above it: banned
 * ```
 */
export const BAN_THRESHOLD = 100;
/**
 * How long a ban lasts (btcd's `--banduration` default, 24 h).
 *
 * @example
 * ```ts
 * import { DEFAULT_BAN_DURATION_MS } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const bannedUntil = new Date(Date.UTC(2026, 0, 1) + DEFAULT_BAN_DURATION_MS);
 * assertEquals(bannedUntil.toISOString(), "2026-01-02T00:00:00.000Z");
 * ```
 */
export const DEFAULT_BAN_DURATION_MS = 24 * 60 * 60 * 1000;
/**
 * The transient part's half-life (btcd's `Halflife`, 60 s).
 *
 * @example
 * ```ts
 * import { BAN_SCORE_HALF_LIFE_MS, DynamicBanScore } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock();
 * const score = new DynamicBanScore({ clock });
 * score.increase(0, 80);
 * await clock.tick(BAN_SCORE_HALF_LIFE_MS);
 * assertEquals(score.score, 40);
 * ```
 */
export const BAN_SCORE_HALF_LIFE_MS = 60_000;
/**
 * The age after which the transient part counts as zero (btcd's `Lifetime`, 1800 s).
 *
 * @example
 * ```ts
 * import { BAN_SCORE_LIFETIME_MS, DynamicBanScore } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock();
 * const score = new DynamicBanScore({ clock });
 * score.increase(1, 0xffff_ffff);
 * await clock.tick(BAN_SCORE_LIFETIME_MS + 1000);
 * assertEquals(score.score, 1); // the transient part is forgotten, the persistent part stays
 * ```
 */
export const BAN_SCORE_LIFETIME_MS = 1_800_000;

/**
 * Transient score for a `mempool` request (btcd's `OnMemPool`): four in a burst ban.
 *
 * @example
 * ```ts
 * import { BAN_THRESHOLD, DynamicBanScore, MEMPOOL_BAN_SCORE } from "@btcstream/p2p/server";
 * import { assert } from "@std/assert";
 * const score = new DynamicBanScore();
 * for (let i = 0; i < 3; i++) score.increase(0, MEMPOOL_BAN_SCORE);
 * assert(score.increase(0, MEMPOOL_BAN_SCORE) > BAN_THRESHOLD); // the fourth in a row bans
 * ```
 */
export const MEMPOOL_BAN_SCORE = 33;
/**
 * Transient score for a `getdata` of a full 50,000 entries; a request of `n` scores
 * `Math.floor(n * 99 / 50000)` (btcd's `OnGetData`, integer arithmetic).
 *
 * @example
 * ```ts
 * import { GETDATA_BAN_SCORE_PER_MAX_INV } from "@btcstream/p2p/server";
 * import { MAX_INV_PER_MSG } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const getDataScore = (n: number) =>
 *   Math.floor((n * GETDATA_BAN_SCORE_PER_MAX_INV) / MAX_INV_PER_MSG);
 * assertEquals(getDataScore(500), 0);
 * assertEquals(getDataScore(50_000), 99);
 * ```
 */
export const GETDATA_BAN_SCORE_PER_MAX_INV = 99;
/**
 * Persistent score for `filterload`, `filteradd` or `filterclear` when we do not offer
 * `NODE_BLOOM`, from a peer of protocol version 70011 (BIP 111) or later (btcd).
 *
 * @example
 * ```ts
 * import {
 *   BAN_THRESHOLD,
 *   BLOOM_WITHOUT_SERVICE_BAN_SCORE,
 *   DynamicBanScore,
 * } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const score = new DynamicBanScore();
 * assertEquals(score.increase(BLOOM_WITHOUT_SERVICE_BAN_SCORE, 0), BAN_THRESHOLD);
 * ```
 */
export const BLOOM_WITHOUT_SERVICE_BAN_SCORE = 100;
/**
 * Persistent score per block in a `notfound` (btcd's `OnNotFound`).
 *
 * @example
 * ```ts
 * import { DynamicBanScore, NOTFOUND_BLOCK_BAN_SCORE } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const score = new DynamicBanScore();
 * const blocksNotFound = 3;
 * assertEquals(score.increase(NOTFOUND_BLOCK_BAN_SCORE * blocksNotFound, 0), 60);
 * ```
 */
export const NOTFOUND_BLOCK_BAN_SCORE = 20;
/**
 * Transient score per transaction in a `notfound` (btcd's `OnNotFound`).
 *
 * @example
 * ```ts
 * import { DynamicBanScore, NOTFOUND_TX_BAN_SCORE } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const score = new DynamicBanScore();
 * const txsNotFound = 2;
 * assertEquals(score.increase(0, NOTFOUND_TX_BAN_SCORE * txsNotFound), 20);
 * ```
 */
export const NOTFOUND_TX_BAN_SCORE = 10;

const UINT32_MAX = 0xffff_ffff;

/**
 * Options for {@linkcode DynamicBanScore}.
 *
 * @example
 * ```ts
 * import { DynamicBanScore, type DynamicBanScoreOptions } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock();
 * const options: DynamicBanScoreOptions = { clock, halfLifeMs: 10_000, lifetimeMs: 60_000 };
 * const score = new DynamicBanScore(options);
 * score.increase(0, 40);
 * await clock.tick(20_000);
 * assertEquals(score.score, 10); // two half-lives
 * ```
 */
export interface DynamicBanScoreOptions {
  /** The clock (default {@linkcode SYSTEM_CLOCK}); read in whole seconds, as btcd. */
  clock?: Clock;
  /** The transient part's half-life (default {@linkcode BAN_SCORE_HALF_LIFE_MS}). */
  halfLifeMs?: number;
  /** The transient part's lifetime (default {@linkcode BAN_SCORE_LIFETIME_MS}). */
  lifetimeMs?: number;
}

/**
 * A ban score of a persistent part and an exponentially decaying transient part.
 *
 * The arithmetic is btcd's, so the same inputs give the same integers: time in whole seconds,
 * the decay factor `exp(-t·ln2/halfLife)`, the transient part a float truncated when read,
 * and the parts added as uint32 (wrapping, as Go's `uint32`).
 *
 * @example
 * ```ts
 * import { DynamicBanScore } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock(1_700_000_000_000);
 * const score = new DynamicBanScore({ clock });
 * assertEquals(score.increase(100, 50), 150);
 * await clock.tick(60_000);
 * assertEquals(score.score, 125);
 * await clock.tick(6 * 60_000);
 * assertEquals(score.score, 100);
 * ```
 */
export class DynamicBanScore {
  readonly #clock: Clock;
  readonly #lambda: number;
  readonly #lifetimeSeconds: number;
  #lastUnix = 0;
  #transient = 0;
  #persistent = 0;

  /**
   * Creates a zero score.
   *
   * @param options Clock, half-life and lifetime.
   * @throws {RangeError} When the half-life is not positive or the lifetime is negative.
   */
  constructor(options: DynamicBanScoreOptions = {}) {
    const halfLifeMs = options.halfLifeMs ?? BAN_SCORE_HALF_LIFE_MS;
    const lifetimeMs = options.lifetimeMs ?? BAN_SCORE_LIFETIME_MS;
    if (!(halfLifeMs > 0) || !Number.isFinite(halfLifeMs)) {
      throw new RangeError(`Cannot create a ban score: half-life ${halfLifeMs} ms is not positive`);
    }
    if (!(lifetimeMs >= 0)) {
      throw new RangeError(`Cannot create a ban score: lifetime ${lifetimeMs} ms is negative`);
    }
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    // Math.LN2 / 60 is the double nearest ln2/60, the value Go's constant `lambda` rounds to.
    this.#lambda = Math.LN2 / (halfLifeMs / 1000);
    this.#lifetimeSeconds = lifetimeMs / 1000;
  }

  /** The current score: the persistent part plus the decayed transient part, truncated. */
  get score(): number {
    const dt = this.#nowUnix() - this.#lastUnix;
    if (this.#transient < 1 || dt < 0 || this.#lifetimeSeconds < dt) return this.#persistent;
    return addUint32(this.#persistent, this.#transient * this.#decayFactor(dt));
  }

  /**
   * Adds to the persistent and transient parts, decaying the transient part first.
   *
   * @param persistent Added to the part that never decays (a uint32).
   * @param transient Added to the decaying part (a uint32); 0 leaves its clock alone.
   * @returns The new score; with `transient` 0 it counts the transient part undecayed, as btcd.
   * @throws {RangeError} When an amount is not an integer in uint32 range.
   */
  increase(persistent: number, transient: number): number {
    checkUint32("persistent", persistent);
    checkUint32("transient", transient);
    this.#persistent = (this.#persistent + persistent) >>> 0;
    const now = this.#nowUnix();
    const dt = now - this.#lastUnix;
    if (transient > 0) {
      if (this.#lifetimeSeconds < dt) {
        this.#transient = 0;
      } else if (this.#transient > 1 && dt > 0) {
        this.#transient *= this.#decayFactor(dt);
      }
      this.#transient += transient;
      this.#lastUnix = now;
    }
    // As btcd: the transient part is added undecayed since its last update when `transient`
    // is 0, so the returned value may exceed what `score` reads at the same instant.
    return addUint32(this.#persistent, this.#transient);
  }

  /** Sets both parts to zero. */
  reset(): void {
    this.#persistent = 0;
    this.#transient = 0;
    this.#lastUnix = 0;
  }

  /**
   * Describes the parts, as btcd's `String`.
   *
   * @returns `"persistent P + transient T at S = N as of now"`.
   */
  toString(): string {
    return `persistent ${this.#persistent} + transient ${this.#transient} at ${this.#lastUnix} = ${this.score} as of now`;
  }

  #nowUnix(): number {
    return Math.floor(this.#clock.now() / 1000);
  }

  /**
   * btcd precomputes the first 64 factors with this same expression; the table is only a cache.
   * Go's `math.Exp` is not correctly rounded (its amd64 assembly and its pure-Go version each
   * differ from the nearest double by one ulp for some t), so the doubles can differ from
   * btcd's in the last bit; the truncated scores agreed over 67,536 replayed btcd operations.
   */
  #decayFactor(seconds: number): number {
    return Math.exp(-1.0 * seconds * this.#lambda);
  }
}

/** Go's `p + uint32(t)`: truncation toward zero, then uint32 wrap-around. */
function addUint32(persistent: number, transient: number): number {
  // Go's float-to-uint32 conversion of a value past 2^32 is implementation-specific; the
  // transient part only gets there after more than 2^32 of increases, so wrap it like an int.
  return (persistent + (Math.trunc(transient) % 2 ** 32)) >>> 0;
}

function checkUint32(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0 || value > UINT32_MAX) {
    throw new RangeError(`Cannot increase a ban score: ${name} ${value} is not a uint32`);
  }
}
