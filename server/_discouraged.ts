// Discouraged addresses, as Bitcoin Core's `BanMan::Discourage` / `IsDiscouraged` (since
// 0.20.1): a misbehaving peer is disconnected and its address remembered in a rolling bloom
// filter of about the latest 50,000, instead of a ban. A discouraged address is not dialed,
// and is accepted inbound only while slots are free, as the first to be evicted
// (`EvictionCandidate.preferEvict`). Being a bloom filter, it may discourage an innocent
// address with probability 1e-6, and it forgets: nothing is persisted or listed, unlike bans.
//
// Which peers to discourage is the caller's decision (Core's `MaybeDiscourageAndDisconnect`):
// never `noban` (whitelisted) peers, and never loopback peers, which are only disconnected
// (every local client shares the address).
import { readIp } from "./_ip_literal.ts";
import { RollingBloomFilter } from "./_rolling_bloom.ts";

/** Addresses remembered (Core's `m_discouraged{50000, 0.000001}`). */
export const DISCOURAGED_ENTRIES = 50_000;
/** Chance that an address never discouraged reads as discouraged (Core's). */
export const DISCOURAGED_FP_RATE = 0.000001;

/** Options for {@linkcode Discouraged}. */
export interface DiscouragedOptions {
  /** Latest addresses remembered (default {@linkcode DISCOURAGED_ENTRIES}). */
  readonly entries?: number;
  /** False-positive rate (default {@linkcode DISCOURAGED_FP_RATE}). */
  readonly fpRate?: number;
}

const TAG_IPV4 = 4;
const TAG_IPV6 = 6;
const TAG_NAME = 0xff;
const encoder = new TextEncoder();

/**
 * The set of discouraged hosts: a rolling bloom filter keyed by the address bytes, so that
 * every text form of one address (`1.2.3.4`, `::ffff:1.2.3.4`; `[2001:DB8::1]`,
 * `2001:db8:0::1`) is the same entry. Hosts that are not IP literals (onion names, host
 * names of outbound peers) are keyed by their lower-case text. Memory: 539,168 bytes with the
 * defaults (see `RollingBloomFilter`).
 *
 * @example
 * ```ts
 * import { Discouraged } from "./_discouraged.ts";
 * import { assert } from "@std/assert";
 *
 * const discouraged = new Discouraged();
 * discouraged.discourage("203.0.113.5");
 * assert(discouraged.isDiscouraged("::ffff:203.0.113.5"));
 * assert(!discouraged.isDiscouraged("203.0.113.6"));
 * discouraged.clear();
 * assert(!discouraged.isDiscouraged("203.0.113.5"));
 * ```
 */
export class Discouraged {
  readonly #filter: RollingBloomFilter;
  /** The key of an IP host: a tag byte (4 or 6) and the address bytes. */
  readonly #key = new Uint8Array(17);
  readonly #keyView = new DataView(this.#key.buffer);
  readonly #key4 = this.#key.subarray(0, 5);
  readonly #words = new Uint32Array(4);

  /**
   * Makes an empty set.
   *
   * @param options Size and false-positive rate.
   * @throws {RangeError} When they are out of range.
   */
  constructor(options: DiscouragedOptions = {}) {
    this.#filter = new RollingBloomFilter(
      options.entries ?? DISCOURAGED_ENTRIES,
      options.fpRate ?? DISCOURAGED_FP_RATE,
    );
  }

  /**
   * Discourages `host`.
   *
   * @param host An IP literal (IPv6 with or without brackets) or another host name.
   */
  discourage(host: string): void {
    this.#filter.insert(this.#keyOf(host));
  }

  /**
   * Whether `host` was discouraged (among about the latest 50,000).
   *
   * @param host An IP literal (IPv6 with or without brackets) or another host name.
   * @returns True when it was, or, with probability 1e-6, when it was not.
   */
  isDiscouraged(host: string): boolean {
    return this.#filter.contains(this.#keyOf(host));
  }

  /** Forgets every discouraged host. */
  clear(): void {
    this.#filter.reset();
  }

  /** The filter key of `host`; for an IP literal, a view of a buffer reused by the next call. */
  #keyOf(host: string): Uint8Array {
    const words = this.#words;
    const family = readIp(host, words);
    if (family === 4) {
      this.#key[0] = TAG_IPV4;
      this.#keyView.setUint32(1, words[0]);
      return this.#key4;
    }
    if (family === 6) {
      this.#key[0] = TAG_IPV6;
      for (let i = 0; i < 4; i++) this.#keyView.setUint32(1 + 4 * i, words[i]);
      return this.#key;
    }
    const lower = host.toLowerCase();
    const name = lower.startsWith("[") && lower.endsWith("]") ? lower.slice(1, -1) : lower;
    const bytes = encoder.encode(name);
    const key = new Uint8Array(bytes.length + 1);
    key[0] = TAG_NAME;
    key.set(bytes, 1);
    return key;
  }
}
