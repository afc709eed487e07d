// Inventory announcements as btcd sends them: transactions are batched and trickled out on a
// timer (which hides who first announced what, and saves messages), blocks go out at once,
// and a per-peer cache of what the peer already knows suppresses repeats.
import { InvType, type InvVect, MAX_INV_PER_MSG } from "../wire/mod.ts";
import type { Clock, Timer } from "./clock.ts";

/** The default period of the transaction trickle (btcd's `DefaultTrickleInterval`). */
export const DEFAULT_TRICKLE_INTERVAL_MS = 10_000;
/** Most entries in one trickled `inv` (btcd's `maxInvTrickleSize`). */
export const MAX_INV_TRICKLE_SIZE = 1000;
/** Entries the known-inventory cache holds (btcd's `maxKnownInventory`). */
export const MAX_KNOWN_INVENTORY = 1000;

/**
 * A bounded set of inventory the peer is known to have, evicting the least recently added.
 *
 * @example
 * ```ts
 * import { KnownInventory } from "./inventory_trickle.ts";
 * import { assert, assertEquals, assertFalse } from "@std/assert";
 * const known = new KnownInventory(2);
 * const iv = (n: number) => ({ type: 1, hash: new Uint8Array(32).fill(n) });
 * known.add(iv(1));
 * known.add(iv(2));
 * known.add(iv(3)); // evicts the oldest
 * assertFalse(known.has(iv(1)));
 * assert(known.has(iv(3)));
 * assertEquals(known.size, 2);
 * ```
 */
export class KnownInventory {
  readonly #limit: number;
  /** Made on the first add: an idle peer's cache stays empty. */
  #entries: Set<string> | undefined;

  /**
   * Creates an empty cache.
   *
   * @param limit Entries kept (default {@linkcode MAX_KNOWN_INVENTORY}).
   */
  constructor(limit: number = MAX_KNOWN_INVENTORY) {
    this.#limit = limit;
  }

  /** Entries held. */
  get size(): number {
    return this.#entries?.size ?? 0;
  }

  /**
   * Whether `inv` is in the cache.
   *
   * @param inv The inventory vector.
   * @returns `true` when known.
   */
  has(inv: InvVect): boolean {
    return this.#entries?.has(keyOf(inv)) ?? false;
  }

  /**
   * Adds `inv` (or refreshes it), evicting the oldest entry when full.
   *
   * @param inv The inventory vector.
   */
  add(inv: InvVect): void {
    const key = keyOf(inv);
    const entries = this.#entries ??= new Set();
    if (entries.delete(key)) {
      entries.add(key);
      return;
    }
    if (entries.size >= this.#limit) {
      const oldest = entries.values().next().value;
      if (oldest !== undefined) entries.delete(oldest);
    }
    entries.add(key);
  }
}

/** A compact string key: the type, then the hash bytes as UTF-16 code units. */
function keyOf(inv: InvVect): string {
  return String.fromCharCode(inv.type & 0xffff, inv.type >>> 16, ...inv.hash);
}

/** Options for {@linkcode InventoryTrickle}. */
export interface InventoryTrickleOptions {
  /** The clock of the trickle timer. */
  clock: Clock;
  /** Sends one `inv` with the given entries (at most {@linkcode MAX_INV_TRICKLE_SIZE}). */
  send: (inventory: InvVect[]) => void;
  /** The trickle period (default {@linkcode DEFAULT_TRICKLE_INTERVAL_MS}; 0 or less: default). */
  intervalMs?: number;
  /** The known-inventory cache to consult and fill (default: a new one). */
  known?: KnownInventory;
}

/**
 * Batches transaction announcements and sends blocks at once, skipping what the peer knows.
 * Transactions wait at most one interval from the first of their batch.
 *
 * @example
 * ```ts
 * import { FakeClock } from "@btcstream/p2p/peer";
 * import { InventoryTrickle } from "./inventory_trickle.ts";
 * import { assertEquals } from "@std/assert";
 * const clock = new FakeClock();
 * const sent: number[] = [];
 * const trickle = new InventoryTrickle({
 *   clock,
 *   send: (inventory) => sent.push(inventory.length),
 * });
 * trickle.start();
 * for (let i = 0; i < 3; i++) trickle.queue({ type: 1, hash: new Uint8Array(32).fill(i) });
 * trickle.queue({ type: 1, hash: new Uint8Array(32).fill(0) }); // a repeat: skipped at the tick
 * assertEquals(sent, []); // transactions wait for the tick
 * await clock.tick(10_000);
 * assertEquals(sent, [3]); // one inv of 3 entries
 * trickle.stop();
 * ```
 */
export class InventoryTrickle {
  readonly #clock: Clock;
  readonly #send: (inventory: InvVect[]) => void;
  readonly #intervalMs: number;
  readonly #known: KnownInventory;
  #pending: InvVect[] = [];
  #timer: Timer | undefined;
  #started = false;
  #stopped = false;

  /**
   * Creates a trickle; nothing is sent on a timer until {@linkcode InventoryTrickle.start}.
   *
   * @param options Clock, sender, period and cache.
   */
  constructor(options: InventoryTrickleOptions) {
    this.#clock = options.clock;
    this.#send = options.send;
    const interval = options.intervalMs ?? 0;
    this.#intervalMs = interval > 0 ? interval : DEFAULT_TRICKLE_INTERVAL_MS;
    this.#known = options.known ?? new KnownInventory();
  }

  /** The known-inventory cache. */
  get known(): KnownInventory {
    return this.#known;
  }

  /** Transaction entries waiting for the next tick. */
  get pending(): number {
    return this.#pending.length;
  }

  /**
   * Starts trickling: from now on, the first transaction queued into an empty batch arms a
   * one-shot timer that sends the batch an interval later (so an idle peer costs no timer).
   */
  start(): void {
    if (this.#stopped) return;
    this.#started = true;
    if (this.#pending.length > 0) this.#arm();
  }

  #arm(): void {
    this.#timer ??= this.#clock.setTimeout(() => {
      this.#timer = undefined;
      this.flush();
    }, this.#intervalMs);
  }

  /** Stops the timer and drops what waits; idempotent. */
  stop(): void {
    this.#stopped = true;
    this.#timer?.cancel();
    this.#timer = undefined;
    this.#pending = [];
  }

  /**
   * Queues one entry: dropped if known; a block (plain or witness) goes out at once in an
   * `inv` of its own; anything else waits for the next tick.
   *
   * @param inv The inventory vector to announce.
   */
  queue(inv: InvVect): void {
    if (this.#stopped || this.#known.has(inv)) return;
    const base = inv.type & ~InvType.WITNESS_FLAG;
    if (base === InvType.BLOCK) {
      this.#known.add(inv);
      this.#send([inv]);
      return;
    }
    // Bounded by the protocol's own limit: a caller queueing faster than the trickle drains
    // loses the oldest, not our memory.
    if (this.#pending.length >= MAX_INV_PER_MSG) this.#pending.shift();
    this.#pending.push(inv);
    if (this.#started) this.#arm();
  }

  /** Sends what waits now, in `inv`s of at most {@linkcode MAX_INV_TRICKLE_SIZE}. */
  flush(): void {
    if (this.#pending.length === 0) return;
    const pending = this.#pending;
    this.#pending = [];
    let batch: InvVect[] = [];
    for (const inv of pending) {
      // Re-checked: the peer may have announced it to us since it was queued.
      if (this.#known.has(inv)) continue;
      this.#known.add(inv);
      batch.push(inv);
      if (batch.length === MAX_INV_TRICKLE_SIZE) {
        this.#send(batch);
        batch = [];
      }
    }
    if (batch.length > 0) this.#send(batch);
  }
}
