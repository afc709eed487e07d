// Bitcoin Core's per-peer limit on gossiped addresses (net_processing.cpp, `m_addr_token_bucket`):
// a token bucket that fills at 0.1 address per second up to 1000, starts at 1 so a peer can
// announce itself, and is credited 1000 when we ask the peer for addresses with `getaddr`.
// btcd has no such limit; a peer flooding `addr` would otherwise churn our address manager.
import { type Clock, SYSTEM_CLOCK } from "../peer/clock.ts";

/**
 * Tokens gained per second (Core's `MAX_ADDR_RATE_PER_SECOND`).
 *
 * @example
 * ```ts
 * import { MAX_ADDR_RATE_PER_SECOND } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const perDay = Math.round(MAX_ADDR_RATE_PER_SECOND * 24 * 60 * 60);
 * assertEquals(perDay, 8640); // addresses a peer may send a day, once its bucket is empty
 * ```
 */
export const MAX_ADDR_RATE_PER_SECOND = 0.1;
/**
 * The cap of time-based refills (Core's `MAX_ADDR_PROCESSING_TOKEN_BUCKET`); a
 * {@linkcode AddrRateLimiter.credit} may go past it.
 *
 * @example
 * ```ts
 * import { AddrRateLimiter, MAX_ADDR_PROCESSING_TOKEN_BUCKET } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock();
 * const limiter = new AddrRateLimiter({ clock });
 * await clock.tick(365 * 24 * 60 * 60 * 1000);
 * assertEquals(limiter.tokens, MAX_ADDR_PROCESSING_TOKEN_BUCKET); // a year fills it, no more
 * ```
 */
export const MAX_ADDR_PROCESSING_TOKEN_BUCKET = 1000;
/**
 * The credit for a `getaddr` we send (Core adds `MAX_ADDR_TO_SEND`), so the reply is processed.
 *
 * @example
 * ```ts
 * import { AddrRateLimiter, GETADDR_TOKEN_CREDIT } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const limiter = new AddrRateLimiter();
 * limiter.credit(GETADDR_TOKEN_CREDIT);
 * assertEquals(limiter.take(1000), 1000);
 * assertEquals(limiter.rateLimited, 0);
 * ```
 */
export const GETADDR_TOKEN_CREDIT = 1000;

/**
 * Options for {@linkcode AddrRateLimiter}.
 *
 * @example
 * ```ts
 * import { AddrRateLimiter, type AddrRateLimiterOptions } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const options: AddrRateLimiterOptions = {
 *   clock: new FakeClock(),
 *   ratePerSecond: 1,
 *   maxTokens: 10,
 *   initialTokens: 5,
 * };
 * assertEquals(new AddrRateLimiter(options).take(8), 5);
 * ```
 */
export interface AddrRateLimiterOptions {
  /** The clock (default {@linkcode SYSTEM_CLOCK}); the bucket's age starts at construction. */
  clock?: Clock;
  /** Tokens gained per second (default {@linkcode MAX_ADDR_RATE_PER_SECOND}). */
  ratePerSecond?: number;
  /** The refill cap (default {@linkcode MAX_ADDR_PROCESSING_TOKEN_BUCKET}). */
  maxTokens?: number;
  /** Tokens at the start (default 1: Core lets a new peer announce itself). */
  initialTokens?: number;
}

/**
 * A peer's budget of addresses to process, as Bitcoin Core's address token bucket.
 *
 * On each `addr`/`addrv2`, {@linkcode AddrRateLimiter.take} first refills the bucket by the
 * time since the previous one (only while it is below the cap, and not past it), then spends
 * one token per address; addresses beyond the tokens are dropped and counted.
 *
 * @example
 * ```ts
 * import { AddrRateLimiter, GETADDR_TOKEN_CREDIT } from "@btcstream/p2p/server";
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock();
 * const limiter = new AddrRateLimiter({ clock });
 * assertEquals(limiter.take(10), 1); // the self-announcement
 * await clock.tick(100_000); // 100 s at 0.1/s
 * assertEquals(limiter.take(50), 10);
 * assertEquals(limiter.rateLimited, 49);
 * limiter.credit(GETADDR_TOKEN_CREDIT); // we sent `getaddr`
 * assertEquals(limiter.take(1000), 1000);
 * ```
 */
export class AddrRateLimiter {
  readonly #clock: Clock;
  readonly #ratePerSecond: number;
  readonly #maxTokens: number;
  #tokens: number;
  #lastMs: number;
  #rateLimited = 0;

  /**
   * Creates a bucket holding `initialTokens`.
   *
   * @param options Clock, rate, cap and starting tokens.
   * @throws {RangeError} When a number is negative or not finite.
   */
  constructor(options: AddrRateLimiterOptions = {}) {
    const rate = options.ratePerSecond ?? MAX_ADDR_RATE_PER_SECOND;
    const max = options.maxTokens ?? MAX_ADDR_PROCESSING_TOKEN_BUCKET;
    const initial = options.initialTokens ?? 1;
    checkAmount("ratePerSecond", rate);
    checkAmount("maxTokens", max);
    checkAmount("initialTokens", initial);
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#ratePerSecond = rate;
    this.#maxTokens = max;
    this.#tokens = initial;
    this.#lastMs = this.#clock.now();
  }

  /** Tokens available now, counting the refill due since the last {@linkcode take}. */
  get tokens(): number {
    return this.#refilled(this.#clock.now());
  }

  /** Addresses dropped so far (Core's `m_addr_rate_limited`). */
  get rateLimited(): number {
    return this.#rateLimited;
  }

  /**
   * Refills the bucket, then spends a token per address while there are whole tokens.
   *
   * @param count Addresses received in one message.
   * @returns How many of them to process; the rest are dropped and counted.
   * @throws {RangeError} When `count` is not a non-negative integer.
   */
  take(count: number): number {
    if (!Number.isSafeInteger(count) || count < 0) {
      throw new RangeError(
        `Cannot take address tokens: count ${count} is not a non-negative integer`,
      );
    }
    const now = this.#clock.now();
    this.#tokens = this.#refilled(now);
    // As Core, even when full: time spent at the cap is not banked.
    this.#lastMs = now;
    // Core spends 1.0 per address while the bucket holds at least 1.0; subtracting 1 from a
    // double ≥ 1 is exact, so taking floor(tokens) at once leaves the same remainder.
    const allowed = Math.min(count, Math.floor(this.#tokens));
    this.#tokens -= allowed;
    this.#rateLimited += count - allowed;
    return allowed;
  }

  /**
   * Adds tokens outside the time-based refill, which may take the bucket past its cap (Core
   * adds {@linkcode GETADDR_TOKEN_CREDIT} when it sends `getaddr`).
   *
   * @param tokens Tokens to add.
   * @throws {RangeError} When `tokens` is negative or not finite.
   */
  credit(tokens: number): void {
    checkAmount("tokens", tokens);
    this.#tokens += tokens;
  }

  #refilled(now: number): number {
    if (this.#tokens >= this.#maxTokens) return this.#tokens;
    // Core's order of operations (seconds as a double, times the rate), so the sums agree.
    const elapsedSeconds = Math.max(now - this.#lastMs, 0) / 1000;
    return Math.min(this.#tokens + elapsedSeconds * this.#ratePerSecond, this.#maxTokens);
  }
}

function checkAmount(name: string, value: number): void {
  if (!Number.isFinite(value) || value < 0) {
    throw new RangeError(
      `Cannot use address tokens: ${name} ${value} is not a finite non-negative number`,
    );
  }
}
