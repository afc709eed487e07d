// Traffic counters of one peer: totals and times as btcd keeps them, plus per-command message
// and byte counts in each direction, as Bitcoin Core's `getpeerinfo` reports them.
import { COMMANDS } from "../wire/mod.ts";
import type { Clock } from "./clock.ts";

/**
 * The counter key for commands this library does not know, as Bitcoin Core's `*other*`: a
 * remote could otherwise name a new command per frame and grow the table without bound.
 */
export const OTHER_COMMANDS = "*other*";

const KNOWN: ReadonlySet<string> = new Set(COMMANDS);

/** Messages and bytes (headers included) of one command in one direction. */
export interface CommandCounter {
  /** Messages. */
  messages: number;
  /** Bytes, 24-byte headers included. */
  bytes: number;
}

/**
 * Per-direction traffic counters.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { TrafficStats } from "./stats.ts";
 * import { assertEquals } from "@std/assert";
 * const stats = new TrafficStats(new FakeClock(5_000));
 * stats.recordReceived("ping", 32);
 * assertEquals(stats.bytesReceived, 32);
 * assertEquals(stats.lastReceived, 5_000);
 * assertEquals(stats.receivedByCommand.get("ping"), { messages: 1, bytes: 32 });
 * ```
 */
export class TrafficStats {
  readonly #clock: Clock;
  /** Bytes sent, frames whole. */
  bytesSent = 0;
  /** Bytes received, frames whole. */
  bytesReceived = 0;
  /** When the last frame was written (ms since the epoch), or 0. */
  lastSent = 0;
  /** When the last frame arrived (ms since the epoch), or 0. */
  lastReceived = 0;
  /** Counters of sent frames by command. */
  readonly sentByCommand: Map<string, CommandCounter> = new Map();
  /** Counters of received frames by command; unknown ones under {@linkcode OTHER_COMMANDS}. */
  readonly receivedByCommand: Map<string, CommandCounter> = new Map();

  /**
   * Creates zeroed counters.
   *
   * @param clock Where times come from.
   */
  constructor(clock: Clock) {
    this.#clock = clock;
  }

  /**
   * Counts a frame written to the connection.
   *
   * @param command Its command.
   * @param bytes Its size, header included.
   */
  recordSent(command: string, bytes: number): void {
    this.bytesSent += bytes;
    this.lastSent = this.#clock.now();
    count(this.sentByCommand, command, bytes);
  }

  /**
   * Counts a frame received.
   *
   * @param command Its command.
   * @param bytes Its size, header included.
   */
  recordReceived(command: string, bytes: number): void {
    this.bytesReceived += bytes;
    this.lastReceived = this.#clock.now();
    count(this.receivedByCommand, command, bytes);
  }
}

function count(table: Map<string, CommandCounter>, command: string, bytes: number): void {
  const key = KNOWN.has(command) ? command : OTHER_COMMANDS;
  const counter = table.get(key);
  if (counter === undefined) {
    table.set(key, { messages: 1, bytes });
  } else {
    counter.messages++;
    counter.bytes += bytes;
  }
}
