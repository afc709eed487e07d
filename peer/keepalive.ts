// Keeping a connection honest in both directions: a ping every two minutes (BIP 31), the
// round-trip time of the pong that echoes its nonce, and a disconnect when nothing at all
// has arrived for five minutes.
import type { Message } from "../wire/mod.ts";
import type { Clock, Timer } from "./clock.ts";
import { tap } from "./tap.ts";

/** How often a ping is sent (btcd's `pingInterval`). */
export const PING_INTERVAL_MS = 2 * 60_000;
/** How long without any message before a peer is dropped (btcd's `idleTimeout`). */
export const IDLE_TIMEOUT_MS = 5 * 60_000;

/** Options for {@linkcode Keepalive}. */
export interface KeepaliveOptions {
  /** The clock that times pings and idleness. */
  clock: Clock;
  /** Sends a ping; called every `pingIntervalMs`, with a fresh random nonce. */
  sendPing: (nonce: bigint) => void;
  /** Called once when nothing was received for `idleTimeoutMs`. */
  onIdle: () => void;
  /** Ping period (default {@linkcode PING_INTERVAL_MS}). */
  pingIntervalMs?: number;
  /** Idle limit (default {@linkcode IDLE_TIMEOUT_MS}). */
  idleTimeoutMs?: number;
}

/**
 * Ping timer, pong round-trip times and the idle timeout of one peer.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { Keepalive } from "./keepalive.ts";
 * import { assert, assertEquals } from "@std/assert";
 * const clock = new FakeClock();
 * const pings: bigint[] = [];
 * let idle = false;
 * const keepalive = new Keepalive({
 *   clock,
 *   sendPing: (nonce) => {
 *     pings.push(nonce);
 *     keepalive.pingSent(nonce);
 *   },
 *   onIdle: () => idle = true,
 * });
 * keepalive.start();
 * await clock.tick(120_000); // a ping goes out every two minutes
 * assertEquals(pings.length, 1);
 * await clock.tick(250);
 * keepalive.received({ command: "pong", nonce: pings[0] });
 * assertEquals(keepalive.lastPingMicros, 250_000);
 * await clock.tick(300_000); // five minutes without a message
 * assert(idle);
 * keepalive.stop();
 * ```
 */
export class Keepalive {
  readonly #clock: Clock;
  readonly #sendPing: (nonce: bigint) => void;
  readonly #onIdle: () => void;
  readonly #pingIntervalMs: number;
  readonly #idleTimeoutMs: number;
  #timer: Timer | undefined;
  #nextPing = 0;
  #lastReceived = 0;
  #lastPingNonce = 0n;
  #lastPingTime = 0;
  /** When the ping went, on the monotonic clock where there is one. */
  #pingStart = 0;
  #lastPingMicros = 0;
  #minPingMicros = Infinity;
  #stopped = false;

  /**
   * Creates a keepalive; no timer runs until {@linkcode Keepalive.start}.
   *
   * @param options Clock, callbacks and timings.
   */
  constructor(options: KeepaliveOptions) {
    this.#clock = options.clock;
    this.#sendPing = options.sendPing;
    this.#onIdle = options.onIdle;
    this.#pingIntervalMs = options.pingIntervalMs ?? PING_INTERVAL_MS;
    this.#idleTimeoutMs = options.idleTimeoutMs ?? IDLE_TIMEOUT_MS;
  }

  /** The nonce of the ping awaiting its pong, or 0n. */
  get lastPingNonce(): bigint {
    return this.#lastPingNonce;
  }

  /** When that ping was sent (ms since the epoch), or 0. */
  get lastPingTime(): number {
    return this.#lastPingTime;
  }

  /**
   * The last measured round trip, in microseconds (0 until a pong matched): sub-millisecond
   * with a clock that has `monotonicNow` (the system clock), whole milliseconds otherwise.
   */
  get lastPingMicros(): number {
    return this.#lastPingMicros;
  }

  /** The fastest round trip measured, in microseconds (`Infinity` before the first). */
  get minPingMicros(): number {
    return this.#minPingMicros;
  }

  /** Starts pinging and watching for idleness (one timer does both). */
  start(): void {
    if (this.#stopped || this.#timer !== undefined) return;
    const now = this.#clock.now();
    this.#lastReceived = now;
    this.#nextPing = now + this.#pingIntervalMs;
    this.#arm(now);
  }

  /** Stops both; idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /**
   * Records a ping as sent: its pong will be timed.
   *
   * @param nonce The ping's nonce.
   */
  pingSent(nonce: bigint): void {
    this.#lastPingNonce = nonce;
    this.#lastPingTime = this.#clock.now();
    this.#pingStart = this.#monotonicNow();
  }

  /**
   * Records a sent message: a ping's nonce and time, so its pong can be timed (what the
   * outbound tap calls).
   *
   * @param message The message sent.
   */
  sent(message: Message): void {
    if (message.command === "ping") this.pingSent(message.nonce);
  }

  /**
   * Records a received message: it resets idleness, and a pong with the awaited nonce gives
   * the round-trip time.
   *
   * @param message The message received.
   */
  received(message: { readonly command: string; readonly nonce?: bigint }): void {
    this.#lastReceived = this.#clock.now();
    if (
      message.command === "pong" && this.#lastPingNonce !== 0n &&
      message.nonce === this.#lastPingNonce
    ) {
      this.#lastPingMicros = Math.round((this.#monotonicNow() - this.#pingStart) * 1000);
      this.#minPingMicros = Math.min(this.#minPingMicros, this.#lastPingMicros);
      this.#lastPingNonce = 0n;
    }
  }

  #monotonicNow(): number {
    return this.#clock.monotonicNow?.() ?? this.#clock.now();
  }

  /**
   * A tap for outbound messages: records pings as they are sent.
   *
   * @returns An identity stream over anything with a `message`.
   */
  outbound<T extends { readonly message: Message }>(): TransformStream<T, T> {
    return tap((o) => this.sent(o.message));
  }

  /**
   * A tap for inbound messages: calls {@linkcode Keepalive.received}.
   *
   * @returns An identity stream over messages.
   */
  inbound<T extends { readonly command: string }>(): TransformStream<T, T> {
    return tap((m) => this.received(m));
  }

  /**
   * One timer, due at the next ping or at the idle deadline, whichever comes first. A message
   * received only updates a timestamp; the timer notices when it fires and re-arms for the
   * later deadline.
   */
  #arm(now: number): void {
    const due = Math.min(this.#nextPing, this.#lastReceived + this.#idleTimeoutMs);
    this.#timer = this.#clock.setTimeout(() => this.#fire(), Math.max(0, due - now));
  }

  #fire(): void {
    this.#timer = undefined;
    if (this.#stopped) return;
    const now = this.#clock.now();
    if (now - this.#lastReceived >= this.#idleTimeoutMs) {
      this.stop();
      this.#onIdle();
      return;
    }
    if (now >= this.#nextPing) {
      this.#nextPing = Math.max(this.#nextPing + this.#pingIntervalMs, now + 1);
      this.#sendPing(randomNonce());
      if (this.#stopped) return;
    }
    this.#arm(now);
  }
}

/** A random non-zero 64-bit nonce. */
export function randomNonce(): bigint {
  const words = crypto.getRandomValues(new Uint32Array(2));
  const nonce = (BigInt(words[0]) << 32n) | BigInt(words[1]);
  return nonce === 0n ? 1n : nonce;
}
