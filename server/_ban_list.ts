// Banned hosts and until when (btcd's `banPeers`): refused inbound, never dialed.
import type { Clock } from "../peer/clock.ts";

export class BanList {
  readonly #until = new Map<string, number>();
  readonly #clock: Clock;
  readonly #defaultMs: number;

  constructor(clock: Clock, defaultMs: number) {
    this.#clock = clock;
    this.#defaultMs = defaultMs;
  }

  /** Bans `host` for `durationMs` (default: the list's); returns when the ban ends. */
  ban(host: string, durationMs: number = this.#defaultMs): number {
    const until = this.#clock.now() + durationMs;
    this.#until.set(host, until);
    return until;
  }

  unban(host: string): boolean {
    return this.#until.delete(host);
  }

  /** Whether `host` is banned now; an expired ban is forgotten. */
  has(host: string): boolean {
    const until = this.#until.get(host);
    if (until === undefined) return false;
    if (until > this.#clock.now()) return true;
    this.#until.delete(host);
    return false;
  }
}
