// What the server does about misbehaving peers. btcd's ban score measures misbehaviour; what
// happens at the threshold is Bitcoin Core's answer since 0.21 by default: the peer is
// disconnected and its address discouraged (not dialed, let in only while slots are free,
// evicted first), not banned, because an automatic ban lets an attacker behind a shared
// address (a NAT, a VPN exit, a Tor exit) lock innocent users out. btcd's 24-hour ban stays
// available (`misbehavingAction: "ban"`). Loopback peers are disconnected but never
// discouraged or banned automatically (Core's local exemption): a misbehaving local client
// would otherwise lock out every local client. Whitelisted ranges (btcd's `--whitelist`,
// Core's `noban`) are exempt from all of it, and from eviction.
import type { Clock } from "../peer/clock.ts";
import { type Ban, BanList } from "./_ban_list.ts";
import { Discouraged } from "./_discouraged.ts";
import { SubnetSet } from "./subnet.ts";

/** What happens to a peer whose score reaches the threshold. */
export type MisbehavingAction = "discourage" | "ban";

/** Options for {@linkcode MisbehaviorPolicy}. */
export interface MisbehaviorPolicyOptions {
  readonly clock: Clock;
  readonly action: MisbehavingAction;
  readonly banDurationMs: number;
  readonly whitelist: readonly string[];
}

export class MisbehaviorPolicy {
  readonly #action: MisbehavingAction;
  readonly #bans: BanList;
  readonly #discouraged = new Discouraged();
  readonly #whitelist: SubnetSet;

  /** @throws {TypeError | RangeError} For a whitelist entry that is not an address or range. */
  constructor(options: MisbehaviorPolicyOptions) {
    this.#action = options.action;
    this.#bans = new BanList(options.clock, options.banDurationMs);
    this.#whitelist = new SubnetSet(options.whitelist);
  }

  /** Whitelisted: never banned or discouraged automatically, never evicted. */
  isWhitelisted(host: string): boolean {
    return this.#whitelist.has(host);
  }

  /**
   * What to do with a peer that reached the threshold: `"disconnect"` only (loopback),
   * `"discourage"` or `"ban"` its address as well. The caller disconnects; this records.
   */
  punish(host: string, loopback: boolean): "disconnect" | MisbehavingAction {
    if (loopback) return "disconnect";
    if (this.#action === "ban") this.#bans.ban(host);
    else this.#discouraged.discourage(host);
    return this.#action;
  }

  ban(target: string, durationMs?: number): Ban {
    return this.#bans.ban(target, durationMs);
  }

  unban(target: string): boolean {
    return this.#bans.unban(target);
  }

  isBanned(host: string): boolean {
    return this.#bans.has(host);
  }

  get bans(): Ban[] {
    return this.#bans.list();
  }

  discourage(host: string): void {
    this.#discouraged.discourage(host);
  }

  isDiscouraged(host: string): boolean {
    return this.#discouraged.isDiscouraged(host);
  }

  clearDiscouraged(): void {
    this.#discouraged.clear();
  }
}
