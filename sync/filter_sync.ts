// A wallet's view of the chain through BIP 157/158 filters: for each block from a start height
// on, whether the wallet's scripts may be in it, from filters checked against a filter header
// chain that was checked across peers (_cf_client.ts), and the matching blocks themselves when
// asked. Pull-driven: nothing is fetched until the stream's reader wants more.
import { getLogger, type Logger } from "@logtape/logtape";
import { type Block, MAX_GET_CFILTERS_REQ_RANGE } from "../wire/mod.ts";
import { CFClient } from "./_cf_client.ts";
import { type HeaderSync, type SyncContext, syncContext } from "./header_sync.ts";
import { Turn } from "./_yield.ts";

/** Default of {@linkcode FilterSyncOptions.responseTimeoutMs}: 30 s, a peer's stall deadline. */
export const FILTER_RESPONSE_TIMEOUT_MS = 30_000;

/** Default of {@linkcode FilterSyncOptions.maxFilterPeers}. */
export const DEFAULT_MAX_FILTER_PEERS = 8;

/** Default of {@linkcode FilterSyncOptions.highWaterMark}: one `getcfilters` worth of events. */
export const DEFAULT_FILTER_EVENTS_HIGH_WATER_MARK = 1_000;

/**
 * Options for {@linkcode FilterSync}.
 *
 * @example
 * ```ts
 * import type { FilterSyncOptions } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 * const p2wpkh = new Uint8Array([0x00, 0x14, ...new Uint8Array(20).fill(7)]);
 * const options: FilterSyncOptions = { scripts: [p2wpkh], startHeight: 800_000, fetchBlocks: true };
 * assertEquals(options.scripts?.length, 1);
 * ```
 */
export interface FilterSyncOptions {
  /** The output scripts to look for (a wallet's). Default: none (every block unmatched). */
  readonly scripts?: readonly Uint8Array[];
  /** The first block to report (default 0): a wallet's birthday. */
  readonly startHeight?: number;
  /**
   * Fetch each matched block (with `getdata`, checked against its header's merkle root) and
   * put it in its event (default false; {@linkcode FilterSync.getBlock} fetches one).
   */
  readonly fetchBlocks?: boolean;
  /** Peers asked and compared for checkpoints and new filter headers (default 8). */
  readonly maxFilterPeers?: number;
  /**
   * How long a peer has to answer a `getcfcheckpt`, `getcfheaders`, `getcfilters` (each
   * filter restarts it) or `getdata` before it is disconnected (default 30 s).
   */
  readonly responseTimeoutMs?: number;
  /** Events the stream may hold unread before the sync stops fetching (default 1,000). */
  readonly highWaterMark?: number;
}

/**
 * A block of the best chain and whether the watched scripts may be in it (filters match a
 * script that is not there about once in 784,931 tries; they never miss one that is).
 *
 * @example
 * ```ts
 * import type { FilterBlockEvent } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 * const event: FilterBlockEvent = { type: "block", height: 7, blockHash: new Uint8Array(32), matched: false };
 * assertEquals(event.block, undefined);
 * ```
 */
export interface FilterBlockEvent {
  /** Discriminant. */
  readonly type: "block";
  /** Its height. */
  readonly height: number;
  /** Its hash, in wire order. */
  readonly blockHash: Uint8Array;
  /** Whether its filter matched any watched script. */
  readonly matched: boolean;
  /** The block, when matched and `fetchBlocks` is set. */
  readonly block?: Block;
}

/**
 * The chain reorganized: blocks reported above `fork` are no longer on it (undo them, highest
 * first); the new branch's blocks follow as `block` events.
 *
 * @example
 * ```ts
 * import type { FilterReorgEvent } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 * const event: FilterReorgEvent = { type: "reorg", fork: 5, removed: [{ height: 6, blockHash: new Uint8Array(32) }] };
 * assertEquals(event.removed[0].height, event.fork + 1);
 * ```
 */
export interface FilterReorgEvent {
  /** Discriminant. */
  readonly type: "reorg";
  /** The last height both branches share. */
  readonly fork: number;
  /** The blocks reported before that left the chain, lowest first. */
  readonly removed: readonly { readonly height: number; readonly blockHash: Uint8Array }[];
}

/**
 * Every block up to the header chain's tip has been reported (sent once per tip).
 *
 * @example
 * ```ts
 * import type { FilterSyncedEvent } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 * const event: FilterSyncedEvent = { type: "synced", height: 100, blockHash: new Uint8Array(32) };
 * assertEquals(event.type, "synced");
 * ```
 */
export interface FilterSyncedEvent {
  /** Discriminant. */
  readonly type: "synced";
  /** The tip's height. */
  readonly height: number;
  /** The tip's hash. */
  readonly blockHash: Uint8Array;
}

/**
 * What a {@linkcode FilterSync} reports.
 *
 * @example
 * ```ts
 * import type { FilterEvent } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 * const describe = (e: FilterEvent) => e.type === "block" ? `${e.height} ${e.matched}` : e.type;
 * assertEquals(describe({ type: "block", height: 3, blockHash: new Uint8Array(32), matched: true }), "3 true");
 * ```
 */
export type FilterEvent = FilterBlockEvent | FilterReorgEvent | FilterSyncedEvent;

/**
 * Compact block filters for a wallet (BIP 157/158), on top of a {@linkcode HeaderSync}: the
 * filter header chain from `getcfcheckpt` and `getcfheaders`, compared across peers serving
 * filters (`NODE_COMPACT_FILTERS`) and checked against the block header chain, with a peer
 * whose filter headers disagree found out by fetching the block and the disputed filters and
 * testing them (`checkBlockFilter`), as BIP 157 describes; then `getcfilters` (up to 1,000 a
 * request), each filter checked against its filter header and matched against the watched
 * scripts in one pass. Peers that lie are reported as misbehaving. Every filter peer of the
 * header sync is compared: nothing is taken while one it has yet to hear from may still show
 * the blocks (so filters wait for the headers to catch up), and one that comes later has its
 * checkpoints compared with the agreed ones before the next range is taken.
 *
 * {@linkcode FilterSync.readable} yields `{ height, blockHash, matched }` for each block from
 * `startHeight` to the tip and on as the chain grows, `reorg` events when blocks it reported
 * leave the chain, and a `synced` event each time it reaches the tip. It fetches as its reader
 * reads. Memory: 64 bytes per block from the checkpoint before `startHeight` (its block hash
 * and filter header), and one request's answer at a time per peer.
 *
 * @example
 * ```ts
 * import { HeaderChain } from "@btcstream/p2p/headers";
 * import { FilterSync, HeaderSync } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 *
 * // Usually: new HeaderSync(chain, { server }), and filters from the server's filter peers.
 * await using headers = new HeaderSync(new HeaderChain({ network: "regtest" }));
 * const wallet = new Uint8Array([0x00, 0x14, ...new Uint8Array(20).fill(7)]);
 * await using filters = new FilterSync(headers, { scripts: [wallet], startHeight: 1, fetchBlocks: true });
 * const reader = filters.readable.getReader();
 * // Nothing to look at yet: every block up to the tip (genesis) is done.
 * const { value } = await reader.read();
 * assertEquals([value?.type, filters.height], ["synced", 0]);
 * reader.releaseLock();
 * ```
 */
export class FilterSync {
  /** The events, fetched as they are read. */
  readonly readable: ReadableStream<FilterEvent>;
  readonly #ctx: SyncContext;
  readonly #client: CFClient;
  readonly #log: Logger;
  readonly #scripts: readonly Uint8Array[];
  readonly #start: number;
  readonly #fetchBlocks: boolean;
  readonly #unsubscribe: () => void;
  readonly #chainEvents: ReadableStreamDefaultReader<unknown>;
  readonly #pump: Promise<void>;
  /** The next height to report. */
  #next: number;
  /** The tip the last `synced` event was for. */
  #syncedHash: Uint8Array | undefined;
  /** Bumped on every change of peers or chain; waits compare against it. */
  #version = 0;
  #wake: (() => void) | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;
  readonly #turn = new Turn();

  /**
   * Starts a filter sync on a header sync's chain and peers (nothing is fetched until
   * {@linkcode FilterSync.readable} is read).
   *
   * @param headers The header sync whose chain and peers to use.
   * @param options The scripts, where to start, whether to fetch blocks, peers and timeouts.
   * @throws {RangeError} For a negative start height or a count or timeout that is not positive.
   */
  constructor(headers: HeaderSync, options: FilterSyncOptions = {}) {
    this.#ctx = syncContext(headers);
    this.#log = getLogger([...this.#ctx.logCategory, "filters"]);
    this.#scripts = [...(options.scripts ?? [])];
    this.#start = options.startHeight ?? 0;
    this.#fetchBlocks = options.fetchBlocks ?? false;
    const maxFilterPeers = options.maxFilterPeers ?? DEFAULT_MAX_FILTER_PEERS;
    const responseTimeoutMs = options.responseTimeoutMs ?? FILTER_RESPONSE_TIMEOUT_MS;
    const hwm = options.highWaterMark ?? DEFAULT_FILTER_EVENTS_HIGH_WATER_MARK;
    if (!Number.isSafeInteger(this.#start) || this.#start < 0) {
      throw new RangeError(`Cannot sync filters: startHeight ${this.#start} is not a height`);
    }
    if (!(maxFilterPeers >= 1) || !(responseTimeoutMs > 0) || !(hwm >= 1)) {
      throw new RangeError(
        `Cannot sync filters: maxFilterPeers ${maxFilterPeers}, responseTimeoutMs ` +
          `${responseTimeoutMs} and highWaterMark ${hwm} must be positive`,
      );
    }
    this.#next = this.#start;
    this.#client = new CFClient({
      context: this.#ctx,
      log: this.#log,
      maxFilterPeers,
      responseTimeoutMs,
    });
    this.#unsubscribe = this.#ctx.subscribe(() => this.#changed());
    this.#chainEvents = this.#ctx.chain.events({ maxQueuedHeaders: 1_000_000 }).getReader();
    this.#pump = this.#follow(this.#chainEvents);
    this.readable = new ReadableStream<FilterEvent>({
      pull: (controller) => this.#pull(controller),
      cancel: () => this.close(),
    }, new CountQueuingStrategy({ highWaterMark: hwm }));
  }

  /** The height of the last block reported (`startHeight - 1` before the first). */
  get height(): number {
    return this.#next - 1;
  }

  /**
   * Fetches a block of the best chain from a peer that has it (at random, as BIP 157
   * advises), checked against its hash and merkle root; waits for such a peer if none has it.
   *
   * @param hash The block's hash, in wire order.
   * @returns The block.
   * @throws {RangeError} When the block is not on the best chain.
   * @throws {Error} When the sync closes first.
   */
  async getBlock(hash: Uint8Array): Promise<Block> {
    for (;;) {
      if (this.#closed) throw new Error("Cannot fetch the block: the filter sync is closed");
      const height = this.#ctx.chain.heightOf(hash);
      if (height === undefined) {
        throw new RangeError("Cannot fetch the block: it is not on the best chain");
      }
      const version = this.#version;
      const block = await this.#client.fetchBlock(height, hash);
      if (block !== undefined) return block;
      await this.#until(version);
    }
  }

  /** Stops: the stream ends, links to peers close. The header sync and its peers stay. */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#closed = true;
      this.#unsubscribe();
      this.#changed();
      await this.#chainEvents.cancel().catch(() => {});
      await this.#pump;
      await this.#client.close();
    })();
    return this.#closing;
  }

  /** Same as {@linkcode FilterSync.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  /** Produces at least one event, or waits for a change that lets it. */
  async #pull(controller: ReadableStreamDefaultController<FilterEvent>): Promise<void> {
    const chain = this.#ctx.chain;
    for (;;) {
      await this.#turn.pass();
      if (this.#closed) {
        controller.close();
        return;
      }
      const version = this.#version;
      this.#client.prune();
      if (this.#rewind(controller)) return;
      const tip = chain.height;
      if (this.#next > tip) {
        const tipHash = chain.hashAt(tip)!;
        if (!sameBytes(this.#syncedHash, tipHash)) {
          this.#syncedHash = tipHash;
          controller.enqueue({ type: "synced", height: tip, blockHash: tipHash });
          return;
        }
        await this.#until(version);
        continue;
      }
      const upTo = Math.min(tip, this.#next + MAX_GET_CFILTERS_REQ_RANGE - 1);
      const outcome = await this.#client.ensureHeaders(this.#start, upTo);
      if (outcome === "retry") continue;
      if (outcome === "wait") {
        await this.#until(version);
        continue;
      }
      if (this.#rewind(controller)) return;
      const to = Math.min(upTo, this.#client.store.top, chain.height);
      if (to < this.#next) continue;
      const results = await this.#client.fetchFilters(this.#next, to, this.#scripts);
      if (results === "wait") {
        await this.#until(version);
        continue;
      }
      let reported = 0;
      for (const r of results) {
        if (this.#closed) break;
        let block: Block | undefined;
        if (r.matched && this.#fetchBlocks) {
          block = await this.#client.fetchBlock(r.height, r.blockHash);
          if (block === undefined) break; // no peer has it now: from this block on, later
        }
        controller.enqueue({
          type: "block",
          height: r.height,
          blockHash: r.blockHash,
          matched: r.matched,
          ...(block === undefined ? {} : { block }),
        });
        this.#next = r.height + 1;
        reported++;
      }
      if (reported > 0) return;
      if (results.length > 0) await this.#until(version);
    }
  }

  /**
   * Finds where the chain left the blocks the filter header chain holds; forgets those above
   * and reports the ones already reported in a `reorg` event (returns true then).
   */
  #rewind(controller: ReadableStreamDefaultController<FilterEvent>): boolean {
    const store = this.#client.store;
    const chain = this.#ctx.chain;
    if (store.empty || sameBytes(store.hashAt(store.top), chain.hashAt(store.top))) return false;
    let fork = store.top;
    while (fork >= store.base && !sameBytes(store.hashAt(fork), chain.hashAt(fork))) fork--;
    const removed: { height: number; blockHash: Uint8Array }[] = [];
    for (let h = Math.max(fork + 1, this.#start); h < this.#next; h++) {
      removed.push({ height: h, blockHash: store.hashAt(h)!.slice() });
    }
    this.#client.rewind(fork);
    this.#syncedHash = undefined;
    if (removed.length === 0) return false;
    this.#log.info("Chain reorganized: filters from height {height} again", { height: fork + 1 });
    this.#next = fork + 1;
    controller.enqueue({ type: "reorg", fork, removed });
    return true;
  }

  #changed(): void {
    this.#version++;
    const wake = this.#wake;
    this.#wake = undefined;
    wake?.();
  }

  /** Resolves once something changed since `version` (at once if it did), or on close. */
  #until(version: number): Promise<void> {
    if (this.#version !== version || this.#closed) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const previous = this.#wake;
      this.#wake = () => {
        previous?.();
        resolve();
      };
    });
  }

  async #follow(reader: ReadableStreamDefaultReader<unknown>): Promise<void> {
    try {
      while (!(await reader.read()).done) this.#changed();
    } catch {
      // The chain's events failed: the header sync's notifications still wake us.
    }
  }
}

function sameBytes(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (a === undefined || b === undefined || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
