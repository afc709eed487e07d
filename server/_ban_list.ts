// Banned addresses and ranges, and until when (btcd's `banPeers`, Bitcoin Core's `setban`):
// refused inbound, never dialed. A ban names an address (`203.0.113.5`), a CIDR range
// (`10.0.0.0/8`, `2001:db8::/32`) or, for peers that are not IP literals (onion names), the
// host name itself.
import type { Clock } from "../peer/clock.ts";
import { parseSubnet, type Subnet, SubnetSet } from "./subnet.ts";

/** One ban: what it covers and when it ends (ms on the server's clock). */
export interface Ban {
  /** The range in CIDR notation, or a host name. */
  readonly target: string;
  /** When the ban ends. */
  readonly until: number;
}

export class BanList {
  /** Bans by range, keyed by the range's CIDR text. */
  readonly #ranges = new Map<string, { subnet: Subnet; until: number }>();
  readonly #subnets = new SubnetSet();
  /** Bans of hosts that are not IP literals, by lower-case name. */
  readonly #names = new Map<string, number>();
  readonly #clock: Clock;
  readonly #defaultMs: number;

  constructor(clock: Clock, defaultMs: number) {
    this.#clock = clock;
    this.#defaultMs = defaultMs;
  }

  /**
   * Bans an address, a range or a host name for `durationMs` (default: the list's).
   *
   * @returns The ban (the range normalised: `10.1.2.3/8` is `10.0.0.0/8`).
   * @throws {RangeError} For a prefix longer than the address.
   */
  ban(target: string, durationMs: number = this.#defaultMs): Ban {
    const until = this.#clock.now() + durationMs;
    const subnet = subnetOf(target);
    if (subnet === undefined) {
      const name = target.toLowerCase();
      this.#names.set(name, until);
      return { target: name, until };
    }
    const key = subnet.toString();
    this.#ranges.set(key, { subnet, until });
    this.#subnets.add(subnet);
    return { target: key, until };
  }

  /** Lifts the ban on exactly this address, range or name; whether there was one. */
  unban(target: string): boolean {
    const subnet = subnetOf(target);
    if (subnet === undefined) return this.#names.delete(target.toLowerCase());
    const key = subnet.toString();
    this.#subnets.delete(subnet);
    return this.#ranges.delete(key);
  }

  /** Whether `host` is covered by a ban now; expired bans are forgotten on the way. */
  has(host: string): boolean {
    const now = this.#clock.now();
    const nameUntil = this.#names.get(host.toLowerCase());
    if (nameUntil !== undefined) {
      if (nameUntil > now) return true;
      this.#names.delete(host.toLowerCase());
    }
    for (;;) {
      const subnet = this.#subnets.match(host);
      if (subnet === undefined) return false;
      const key = subnet.toString();
      const entry = this.#ranges.get(key);
      if (entry !== undefined && entry.until > now) return true;
      // The most specific range's ban expired: drop it and look at the wider ones.
      this.#ranges.delete(key);
      this.#subnets.delete(subnet);
    }
  }

  /** The bans in force, ranges then names. */
  list(): Ban[] {
    const now = this.#clock.now();
    const out: Ban[] = [];
    for (const [target, { until }] of this.#ranges) if (until > now) out.push({ target, until });
    for (const [target, until] of this.#names) if (until > now) out.push({ target, until });
    return out;
  }
}

/** The range `text` names (an address is its own /32 or /128), or undefined for a name. */
function subnetOf(text: string): Subnet | undefined {
  try {
    return parseSubnet(text);
  } catch (error) {
    if (error instanceof TypeError) return undefined;
    throw error;
  }
}
