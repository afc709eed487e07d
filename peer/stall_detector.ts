// Stall detection as btcd does it: sending a request registers a deadline for its response,
// receiving the response clears it, time spent in our own message handlers extends every
// deadline (a slow handler is not the remote's fault), and a periodic check disconnects a
// peer that let a deadline pass. Pings are deliberately not tracked: the keepalive handles
// them.
import type { Clock, Timer } from "./clock.ts";
import { tap } from "./tap.ts";

/** How long a peer has to answer a request (btcd's `stallResponseTimeout`). */
export const STALL_RESPONSE_TIMEOUT_MS = 30_000;
/** How often deadlines are checked (btcd's `stallTickInterval`). */
export const STALL_TICK_INTERVAL_MS = 15_000;

/** Responses a sent command waits for; `getheaders` gets three times the time. */
const EXPECTED: Readonly<Record<string, readonly string[]>> = {
  version: ["verack"],
  mempool: ["inv"],
  getblocks: ["inv"],
  getdata: ["block", "merkleblock", "tx", "notfound"],
  getheaders: ["headers"],
};

/** Any of these answers a `getdata`, so receiving one clears all four. */
const DATA_RESPONSES = new Set(["block", "merkleblock", "tx", "notfound"]);

/** Options for {@linkcode StallDetector}. */
export interface StallDetectorOptions {
  /** The clock that times deadlines and the check. */
  clock: Clock;
  /** Called once when a deadline passed, with the command that was not received in time. */
  onStall: (command: string) => void;
  /** Base response time (default {@linkcode STALL_RESPONSE_TIMEOUT_MS}). */
  responseTimeoutMs?: number;
  /** Check period (default {@linkcode STALL_TICK_INTERVAL_MS}). */
  tickIntervalMs?: number;
}

/**
 * Tracks the responses a peer owes us and reports the first one overdue.
 *
 * Feed it through its taps ({@linkcode StallDetector.outbound} on messages sent,
 * {@linkcode StallDetector.inbound} on messages received) or the methods behind them.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { StallDetector } from "./stall_detector.ts";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock();
 * const stalls: string[] = [];
 * const stall = new StallDetector({ clock, onStall: (command) => stalls.push(command) });
 * stall.start();
 * stall.sent("getheaders");
 * await clock.tick(75_000);
 * assertEquals(stalls, []); // getheaders has 90 s
 * await clock.tick(30_000);
 * assertEquals(stalls, ["headers"]);
 * stall.stop();
 * ```
 */
export class StallDetector {
  readonly #clock: Clock;
  readonly #onStall: (command: string) => void;
  readonly #responseTimeoutMs: number;
  readonly #tickIntervalMs: number;
  readonly #deadlines = new Map<string, number>();
  #handlerStart: number | undefined;
  #timer: Timer | undefined;
  #started = false;
  #stalled = false;

  /**
   * Creates a detector; it checks nothing until {@linkcode StallDetector.start}.
   *
   * @param options Clock, stall callback and timings.
   */
  constructor(options: StallDetectorOptions) {
    this.#clock = options.clock;
    this.#onStall = options.onStall;
    this.#responseTimeoutMs = options.responseTimeoutMs ?? STALL_RESPONSE_TIMEOUT_MS;
    this.#tickIntervalMs = options.tickIntervalMs ?? STALL_TICK_INTERVAL_MS;
  }

  /**
   * Starts checking. The check timer runs only while a response is awaited: an idle peer
   * costs no timer.
   */
  start(): void {
    this.#started = true;
    if (this.#deadlines.size > 0) this.#arm();
  }

  /** Stops checking; idempotent. */
  stop(): void {
    this.#started = false;
    this.#disarm();
  }

  #arm(): void {
    if (!this.#started || this.#stalled) return;
    this.#timer ??= this.#clock.setInterval(() => this.check(), this.#tickIntervalMs);
  }

  #disarm(): void {
    this.#timer?.cancel();
    this.#timer = undefined;
  }

  /** Commands awaited, with their deadlines (ms since the epoch), for tests and statistics. */
  get pending(): ReadonlyMap<string, number> {
    return this.#deadlines;
  }

  /**
   * Records a sent command: registers deadlines for the responses it calls for.
   *
   * @param command The command sent.
   */
  sent(command: string): void {
    // Own keys only: "constructor" or "__proto__" must not reach Object.prototype.
    if (!Object.hasOwn(EXPECTED, command)) return;
    const expected = EXPECTED[command];
    const factor = command === "getheaders" ? 3 : 1;
    const deadline = this.#clock.now() + this.#responseTimeoutMs * factor;
    for (const response of expected) this.#deadlines.set(response, deadline);
    this.#arm();
  }

  /**
   * Records a received command: clears the deadline it answers.
   *
   * @param command The command received.
   */
  received(command: string): void {
    if (this.#deadlines.size === 0) return;
    if (DATA_RESPONSES.has(command)) {
      for (const response of DATA_RESPONSES) this.#deadlines.delete(response);
    } else {
      this.#deadlines.delete(command);
    }
  }

  /** Marks the start of a message handler's run. */
  handlerStarted(): void {
    this.#handlerStart = this.#clock.now();
  }

  /** Marks its end: every deadline moves by the time it took, as btcd does. */
  handlerDone(): void {
    if (this.#handlerStart === undefined) return;
    const spent = this.#clock.now() - this.#handlerStart;
    this.#handlerStart = undefined;
    if (spent <= 0) return;
    for (const [command, deadline] of this.#deadlines) {
      this.#deadlines.set(command, deadline + spent);
    }
  }

  /** Checks the deadlines now (the timer calls it); reports the first one overdue, once. */
  check(): void {
    if (this.#stalled) return;
    if (this.#deadlines.size === 0) {
      this.#disarm();
      return;
    }
    const now = this.#clock.now();
    // A handler still running extends the deadlines by its time so far.
    const offset = this.#handlerStart === undefined ? 0 : now - this.#handlerStart;
    for (const [command, deadline] of this.#deadlines) {
      if (now < deadline + offset) continue;
      this.#stalled = true;
      this.stop();
      this.#onStall(command);
      return;
    }
  }

  /**
   * A tap for outbound messages: calls {@linkcode StallDetector.sent}.
   *
   * @returns An identity stream over anything with a `message.command`.
   */
  outbound<T extends { readonly message: { readonly command: string } }>(): TransformStream<T, T> {
    return tap((o) => this.sent(o.message.command));
  }

  /**
   * A tap for inbound messages: calls {@linkcode StallDetector.received}.
   *
   * @returns An identity stream over messages.
   */
  inbound<T extends { readonly command: string }>(): TransformStream<T, T> {
    return tap((m) => this.received(m.command));
  }
}
