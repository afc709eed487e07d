/**
 * One Bitcoin peer connection on web streams: the handshake, an inbound pipeline
 * (decoder → receive tap → dispatcher), a pull-based outbound multiplexer with a byte cap,
 * stall and ping taps, statistics and listeners, with every timer behind an injectable clock.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@btcstream/p2p/peer";
 * const clock = new FakeClock();
 * clock.setTimeout(() => console.log("fired"), 30_000);
 * await clock.tick(30_000); // "fired"
 * ```
 *
 * @module
 */

export { type Clock, SYSTEM_CLOCK, type Timer } from "./clock.ts";
export { FakeClock } from "./fake_clock.ts";
