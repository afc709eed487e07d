// Headers from peers into a shared HeaderChain: Bitcoin Core's header sync
// (`net_processing.cpp`: `SendMessages`' initial getheaders, `ProcessHeadersMessage`,
// `HandleUnconnectingHeaders`, the headers download timeout) on top of HeaderFeed (one per
// peer, with its presync) and the peer's messages() stream.
//
// Who is asked. While the chain is behind, at most `maxDownloadPeers` peers (one, as Core's
// single initial-sync peer) are sent `getheaders`: asking everyone would download every header
// once per peer. Once one of them answers with fewer than 2,000 headers (it has no more), every
// peer is asked from our tip, so that a peer with more work (another branch, a longer chain)
// is heard, and from then on each peer's announcements (`headers` after `sendheaders`, block
// `inv`s) are followed. The chain keeps the most work, whoever brought it.
//
// Stalls. A peer's own stall detector ends it when a `getheaders` goes 90 s unanswered; the
// sync then hands its place to the next peer. On top of that, a peer we expect headers from
// must make progress (show us a block of ours beyond what it had shown, or advance its
// presync) every `progressTimeoutMs`: one that answers on time with nothing useful (the same
// headers again, headers that never connect) is disconnected, as Core disconnects a headers
// sync peer that runs past its timeout.
import { getLogger, type Logger } from "@logtape/logtape";
import type { ChainEvent, HeaderChain, HeaderError } from "../headers/mod.ts";
import { type Clock, SYSTEM_CLOCK, type Timer } from "../peer/clock.ts";
import type { Peer } from "../peer/peer.ts";
import type { Server } from "../server/server.ts";
import {
  blockHash,
  type BlockHeader,
  InvType,
  PROTOCOL_VERSION,
  SEND_HEADERS_VERSION,
} from "../wire/mod.ts";
import { Discipline } from "./_discipline.ts";
import {
  DEFAULT_HEADER_EVENTS_HIGH_WATER_MARK,
  HEADERS_PROGRESS_TIMEOUT_MS,
  type HeaderSyncEventsOptions,
  type HeaderSyncOptions,
  type HeaderSyncPeer,
} from "./header_sync_options.ts";
import { SyncPeer } from "./_sync_peer.ts";
import { holdPeer, releasePeer } from "./_hold.ts";
import { PacedStreams } from "./_paced.ts";
import { followServerPeers } from "./_peer_source.ts";
import { Turn } from "./_yield.ts";

/**
 * Bitcoin Core (to v26) `MAX_NUM_UNCONNECTING_HEADERS_MSGS`: every 10th `headers` message in a
 * row whose first header's parent we don't know costs the peer 20 points.
 */
const MAX_UNCONNECTING_HEADERS = 10;

/** How often the progress of the peers we expect headers from is checked. */
const PROGRESS_CHECK_INTERVAL_MS = 15_000;

/** Headers a sync's own chain events reader may fall behind before it fails (never, in practice). */
const CHAIN_EVENTS_QUEUE = 1_000_000;

const ZERO_HASH = new Uint8Array(32);

/**
 * Core's misbehaviour scores for refused headers (`ProcessHeadersMessage`, v24-v27): 20 for a
 * badly formed message (too many headers, a broken sequence), 100 for an invalid header.
 */
function scoreFor(error: HeaderError): number {
  return error.code === "non-continuous" || error.code === "too-many-headers" ? 20 : 100;
}

/** What a FilterSync needs of the header sync it runs on (internal to `sync/`). */
export interface SyncContext {
  readonly chain: HeaderChain;
  readonly clock: Clock;
  readonly discipline: Discipline;
  readonly logCategory: readonly string[];
  /** The peers, with the height each has shown. */
  peers(): HeaderSyncPeer[];
  /** Calls `listener` whenever a peer comes, goes or shows a new block; returns an unsubscribe. */
  subscribe(listener: () => void): () => void;
}

let contextOf: (sync: HeaderSync) => SyncContext;

/**
 * The context a FilterSync runs on (internal to `sync/`).
 *
 * @param sync The header sync.
 * @returns Its context.
 */
export function syncContext(sync: HeaderSync): SyncContext {
  return contextOf(sync);
}

/**
 * Keeps a {@linkcode HeaderChain} in sync with the network: asks peers for headers with
 * `getheaders` and block locators (2,000 headers a message), checks them through a
 * {@linkcode HeaderFeed} per peer (so Bitcoin Core's headers presync keeps low-work chains out of
 * memory), follows `headers` announcements after `sendheaders`, and replaces peers that stall or
 * stop making progress. Several peers feed one chain; the one with the most work wins. A peer
 * whose headers do not connect, fail proof of work or break a rule is reported as misbehaving.
 *
 * The validated headers come out of {@linkcode HeaderSync.events} as the chain's `tip` and
 * `reorg` events, read at the reader's pace: while a reader leaves its high-water mark's worth
 * unread, the sync stops reading its peers' messages, and they stop reading their sockets.
 *
 * @example
 * ```ts
 * import { HeaderChain } from "@btcstream/p2p/headers";
 * import { memoryConnectionPair, Peer, SentNonces } from "@btcstream/p2p/peer";
 * import { HeaderSync } from "@btcstream/p2p/sync";
 * import { blockHash, type BlockHeader } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 *
 * // A remote node with three regtest blocks that answers getheaders.
 * const chain = new HeaderChain({ network: "regtest" });
 * const blocks: BlockHeader[] = [];
 * let prev = chain.tip.hash, time = chain.tip.header.timestamp;
 * for (let i = 0; i < 3; i++) {
 *   const header = { version: 4, prevBlock: prev, merkleRoot: new Uint8Array(32), timestamp: time += 600, bits: 0x207fffff, nonce: 0 };
 *   while (blockHash(header)[31] >= 0x80) header.nonce++;
 *   blocks.push(header);
 *   prev = blockHash(header);
 * }
 * const [a, b] = memoryConnectionPair();
 * const remote = new Peer(b, {
 *   network: "regtest", inbound: true, sentNonces: new SentNonces(),
 *   listeners: { onGetHeaders: (peer) => void peer.queueMessage({ command: "headers", headers: blocks }) },
 * });
 * const peer = new Peer(a, { network: "regtest" });
 *
 * const sync = new HeaderSync(chain, { peers: [peer] });
 * const events = sync.events();
 * assertEquals(await sync.synced, true);
 * const { value } = await events.getReader().read();
 * assertEquals([value?.type, value?.tip.height], ["tip", 3]);
 * await sync.close();
 * peer.disconnect();
 * await remote.closed;
 * ```
 */
export class HeaderSync {
  /** The chain the sync fills. */
  readonly chain: HeaderChain;
  readonly #server: Server | undefined;
  readonly #clock: Clock;
  readonly #log: Logger;
  readonly #logCategory: readonly string[];
  readonly #discipline: Discipline;
  readonly #progressTimeoutMs: number;
  readonly #maxDownload: number;
  readonly #peers = new Map<Peer, SyncPeer>();
  readonly #paced = new PacedStreams<ChainEvent>(
    (e) => e.added.length + (e.type === "reorg" ? e.removed.length : 0),
  );
  readonly #listeners = new Set<() => void>();
  readonly #tasks = new Set<Promise<void>>();
  readonly #stopped = Promise.withResolvers<void>();
  readonly #synced = Promise.withResolvers<boolean>();
  #chainEvents: ReadableStreamDefaultReader<ChainEvent> | undefined;
  #progressTimer: Timer | undefined;
  /** A peer has said it had nothing more: every peer may be asked from now on. */
  #caughtUp = false;
  #closed = false;

  /**
   * Starts syncing `chain` from the server's peers and the peers given.
   *
   * @param chain The chain to fill (shared with whatever else reads it).
   * @param options The server or peers, the clock and the timeouts.
   * @throws {RangeError} For a timeout or peer count that is not positive.
   */
  constructor(chain: HeaderChain, options: HeaderSyncOptions = {}) {
    this.chain = chain;
    this.#server = options.server;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#logCategory = options.logCategory ?? ["btcstream", "sync"];
    this.#log = getLogger([...this.#logCategory, "headers"]);
    this.#discipline = new Discipline(options.server, this.#log);
    this.#progressTimeoutMs = options.progressTimeoutMs ?? HEADERS_PROGRESS_TIMEOUT_MS;
    this.#maxDownload = options.maxDownloadPeers ?? 1;
    if (!(this.#progressTimeoutMs > 0) || !(this.#maxDownload >= 1)) {
      throw new RangeError(
        `Cannot sync headers: progressTimeoutMs ${this.#progressTimeoutMs} and ` +
          `maxDownloadPeers ${this.#maxDownload} must be positive`,
      );
    }
    for (const peer of options.peers ?? []) this.addPeer(peer);
    if (this.#server !== undefined) {
      this.#track(followServerPeers(this.#server, (p) => this.addPeer(p), this.#stopped.promise));
    }
  }

  /**
   * The chain's changes from now on, paced by the reader: a `tip` event when it grows, a
   * `reorg` event when a heavier branch replaces its top. While this stream holds
   * `highWaterMark` headers unread, the sync takes no more headers from its peers. Cancel it
   * (or leave its `for await` loop) when done, or the sync stays paused. Ends when the sync
   * closes.
   *
   * @param options How many headers it may hold unread.
   * @returns A stream of validated headers as chain events.
   * @throws {RangeError} For a high-water mark below 1.
   */
  events(options: HeaderSyncEventsOptions = {}): ReadableStream<ChainEvent> {
    const hwm = options.highWaterMark ?? DEFAULT_HEADER_EVENTS_HIGH_WATER_MARK;
    if (!(hwm >= 1)) throw new RangeError(`Cannot open sync events: highWaterMark ${hwm} < 1`);
    const stream = this.#paced.stream(hwm);
    if (this.#chainEvents === undefined && !this.#closed) {
      this.#chainEvents = this.chain.events({ maxQueuedHeaders: CHAIN_EVENTS_QUEUE }).getReader();
      this.#track(this.#pump(this.#chainEvents));
    }
    return stream;
  }

  /**
   * Adds a peer to sync from (a server's peers are added by themselves). Ignored when the
   * sync has it, closed, or dropped it for misbehaving.
   *
   * @param peer A peer, connected or still in its handshake.
   */
  addPeer(peer: Peer): void {
    if (this.#closed || this.#peers.has(peer) || peer.ended) return;
    if (this.#discipline.dropped(peer)) return;
    const sp = new SyncPeer(peer, this.chain);
    this.#peers.set(peer, sp);
    this.#track(this.#run(sp));
  }

  /** The peers the sync uses now. */
  get peers(): HeaderSyncPeer[] {
    return [...this.#peers.values()].map((sp) => ({
      peer: sp.peer,
      bestHeight: this.#bestHeight(sp),
      downloading: sp.active,
      atTip: sp.atTip,
    }));
  }

  /**
   * Whether the chain is at its peers' tip: a peer has said it has nothing more, and every
   * peer has answered its last `getheaders` with nothing more.
   */
  get atTip(): boolean {
    if (!this.#caughtUp) return false;
    let any = false;
    for (const sp of this.#peers.values()) {
      if (!sp.peer.connected) continue;
      if (!sp.atTip) return false;
      any = true;
    }
    return any;
  }

  /**
   * Resolves `true` the first time the chain reaches its peers' tip ({@linkcode HeaderSync.atTip}),
   * or `false` if the sync is closed before.
   */
  get synced(): Promise<boolean> {
    return this.#synced.promise;
  }

  /**
   * The height the chain is heading for: its own, or the highest a peer announced
   * (`startingHeight` in its `version`, then the blocks it showed), whichever is higher. For
   * progress bars; a peer can claim any height.
   */
  get targetHeight(): number {
    let target = this.chain.height;
    for (const sp of this.#peers.values()) target = Math.max(target, sp.peer.lastBlock);
    return target;
  }

  /**
   * Stops: no more requests, every stream ends, `synced` resolves `false` if it had not
   * resolved. The chain, the server and the peers stay as they are.
   */
  async close(): Promise<void> {
    if (!this.#closed) {
      this.#closed = true;
      this.#stopped.resolve();
      this.#synced.resolve(false);
      this.#progressTimer?.cancel();
      this.#progressTimer = undefined;
      for (const sp of this.#peers.values()) sp.reader?.cancel().catch(() => {});
      this.#chainEvents?.cancel().catch(() => {});
      this.#paced.close();
      this.#notify();
    }
    while (this.#tasks.size > 0) await Promise.all(this.#tasks);
  }

  /** Same as {@linkcode HeaderSync.close}. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  static {
    contextOf = (sync) => ({
      chain: sync.chain,
      clock: sync.#clock,
      discipline: sync.#discipline,
      logCategory: sync.#logCategory,
      peers: () => sync.peers,
      subscribe: (listener) => {
        sync.#listeners.add(listener);
        return () => sync.#listeners.delete(listener);
      },
    });
  }

  // ─── Per peer ──────────────────────────────────────────────────────────────────────────

  async #run(sp: SyncPeer): Promise<void> {
    const peer = sp.peer;
    try {
      if (!await Promise.race([peer.ready, this.#stopped.promise.then(() => false)])) return;
      if (this.#closed || sp.dropped) return;
      const reader = sp.reader = peer.messages().getReader();
      this.#log.debug("Syncing headers with {peer} (height {height})", {
        peer: peer.address,
        height: peer.startingHeight,
      });
      // BIP 130: announce new blocks to us with headers.
      if (peer.protocolVersion >= SEND_HEADERS_VERSION) {
        void peer.queueMessage({ command: "sendheaders" });
      }
      this.#notify();
      this.#schedule();
      const turn = new Turn();
      for (;;) {
        await turn.pass();
        if (this.#paced.full) {
          // Backpressure: leave the peer's next message unread until the readers catch up.
          holdPeer(peer, this.#clock.now());
          try {
            await this.#paced.room();
          } finally {
            releasePeer(peer, this.#clock.now());
          }
        }
        if (this.#closed || sp.dropped) return;
        const { done, value } = await reader.read();
        if (done || this.#closed || sp.dropped) return;
        if (value.command === "headers") this.#onHeaders(sp, value.headers);
        else if (value.command === "inv") this.#onInv(sp, value.inventory);
      }
    } finally {
      sp.reader?.cancel().catch(() => {});
      this.#remove(sp);
    }
  }

  #onHeaders(sp: SyncPeer, headers: readonly BlockHeader[]): void {
    const answered = sp.inFlight;
    sp.inFlight = false;
    // An announcement in the middle of a presync is not part of the chain being measured.
    if (!answered && sp.feed.phase !== "normal") return;
    const before = this.#bestHeight(sp) ?? -1;
    const result = sp.feed.receive(headers);
    const error = result.error;
    if (error !== undefined) {
      if (error.misbehaving) {
        if (this.#discipline.misbehaving(sp.peer, scoreFor(error), error.message)) {
          this.#drop(sp, undefined);
          return;
        }
      } else if (error.code === "bad-prevblk") {
        // Core's HandleUnconnectingHeaders: ask again from our tip, and count them.
        if (++sp.unconnecting % MAX_UNCONNECTING_HEADERS === 0) {
          const why = `${sp.unconnecting} headers messages in a row that do not connect`;
          if (this.#discipline.misbehaving(sp.peer, 20, why)) {
            this.#drop(sp, undefined);
            return;
          }
        }
      } else {
        this.#log.debug("Headers from {peer} not stored ({code}): {message}", {
          peer: sp.peer.address,
          code: error.code,
          message: error.message,
        });
      }
    }
    if (error?.code !== "bad-prevblk" && headers.length > 0) sp.unconnecting = 0;
    if (headers.length > 0 && (error === undefined || error.index !== 0)) {
      this.#sawBlock(sp, blockHash(headers[headers.length - 1]));
    } else if (answered && headers.length === 0 && sp.askedFrom !== undefined) {
      // Nothing after our locator: its tip is one of the locator's blocks; when it announced a
      // height at least ours, that is our tip.
      if (sp.peer.lastBlock >= sp.askedFrom.height) this.#setBest(sp, sp.askedFrom);
    }
    if (result.accepted > 0 && result.tipChanged) this.#discipline.novelBlock(sp.peer);
    const after = this.#bestHeight(sp) ?? -1;
    if (after > before || (result.requestMore && result.phase !== "normal")) {
      sp.progressAt = this.#clock.now();
    }
    if (result.requestMore) {
      this.#request(sp, !answered);
    } else if (answered || error === undefined) {
      sp.atTip = true;
      if (!this.#caughtUp && sp.active) {
        this.#caughtUp = true;
        this.#log.info("Headers caught up with {peer} at height {height}", {
          peer: sp.peer.address,
          height: this.chain.height,
        });
        this.#schedule();
      }
    }
    this.#notify();
    this.#checkSynced();
  }

  #onInv(sp: SyncPeer, inventory: readonly { type: number; hash: Uint8Array }[]): void {
    let unknown = false;
    for (const inv of inventory) {
      if ((inv.type & ~InvType.WITNESS_FLAG) !== InvType.BLOCK) continue;
      if (this.chain.has(inv.hash)) this.#sawBlock(sp, inv.hash);
      else unknown = true;
    }
    // As Core: a block we don't know is asked for by its header, from our tip.
    if (unknown && (this.#caughtUp || sp.active)) this.#request(sp, true);
    this.#notify();
  }

  /** Records that the peer has block `hash`, if the chain holds it. */
  #sawBlock(sp: SyncPeer, hash: Uint8Array): void {
    const info = this.chain.lookup(hash);
    if (info === undefined) return;
    this.#setBest(sp, { height: info.height, hash: info.hash });
  }

  #setBest(sp: SyncPeer, best: { height: number; hash: Uint8Array }): void {
    sp.best = best;
    sp.peer.updateLastBlockHeight(best.height);
  }

  /** The height on our best chain of the peer's best block: its fork point if it is off it. */
  #bestHeight(sp: SyncPeer): number | undefined {
    let best = sp.best;
    // Walk a side branch down to the best chain (side branches are short and capped).
    for (let steps = 0; best !== undefined && steps < 2_100; steps++) {
      const onChain = this.chain.hashAt(best.height);
      if (onChain !== undefined && equal(onChain, best.hash)) return best.height;
      const info = this.chain.lookup(best.hash);
      if (info === undefined || info.height === 0) return undefined;
      const parent = this.chain.lookup(info.header.prevBlock);
      best = parent === undefined ? undefined : { height: parent.height, hash: parent.hash };
    }
    return undefined;
  }

  /**
   * Sends `getheaders` from the peer's feed's locator, unless one is unanswered. `fresh`: a new
   * exchange (not the next round of one), from which its progress is measured.
   */
  #request(sp: SyncPeer, fresh: boolean): void {
    if (sp.inFlight || sp.dropped || this.#closed || !sp.peer.connected) return;
    if (!sp.active) {
      if (!this.#caughtUp && this.#downloading() >= this.#maxDownload) return;
      sp.active = true;
    }
    if (fresh || sp.progressAt === 0) sp.progressAt = this.#clock.now();
    sp.inFlight = true;
    sp.atTip = false;
    const tip = this.chain.tip;
    sp.askedFrom = { height: tip.height, hash: tip.hash };
    // Sent with queueMessage, not pushGetHeadersMsg: btcd's rule there skips a getheaders that
    // repeats the previous one, and after an unconnecting announcement the same locator is
    // exactly what has to be sent again. One unanswered getheaders per peer, as Core.
    void sp.peer.queueMessage({
      command: "getheaders",
      protocolVersion: PROTOCOL_VERSION,
      locator: sp.feed.locator(),
      hashStop: ZERO_HASH,
    });
    this.#armProgressCheck();
  }

  /** Peers holding a download slot. */
  #downloading(): number {
    let n = 0;
    for (const sp of this.#peers.values()) if (sp.active && !sp.dropped) n++;
    return n;
  }

  /** Asks the peers that may be asked and have not been. */
  #schedule(): void {
    if (this.#closed) return;
    for (const sp of this.#peers.values()) {
      if (sp.dropped || sp.active || !sp.peer.connected || sp.reader === undefined) continue;
      if (!this.#caughtUp && this.#downloading() >= this.#maxDownload) return;
      this.#request(sp, true);
    }
  }

  #armProgressCheck(): void {
    if (this.#progressTimer !== undefined || this.#closed) return;
    const interval = Math.min(PROGRESS_CHECK_INTERVAL_MS, this.#progressTimeoutMs);
    this.#progressTimer = this.#clock.setInterval(() => this.#checkProgress(), interval);
  }

  /** Disconnects the peers we expect headers from that made no progress in time. */
  #checkProgress(): void {
    const now = this.#clock.now();
    let waiting = false;
    for (const sp of [...this.#peers.values()]) {
      if (sp.dropped || sp.atTip || !sp.active) continue;
      if (now - sp.progressAt < this.#progressTimeoutMs) {
        waiting = true;
        continue;
      }
      const why = `No headers progress in ${this.#progressTimeoutMs / 1000} s`;
      this.#log.info("{why} from {peer}: disconnecting it", { why, peer: sp.peer.address });
      this.#drop(sp, why);
    }
    if (!waiting) {
      this.#progressTimer?.cancel();
      this.#progressTimer = undefined;
    }
  }

  /** Stops using a peer; disconnects it when `why` is given. */
  #drop(sp: SyncPeer, why: string | undefined): void {
    if (sp.dropped) return;
    sp.dropped = true;
    sp.reader?.cancel().catch(() => {});
    if (why !== undefined) sp.peer.disconnect(why);
    this.#remove(sp);
  }

  #remove(sp: SyncPeer): void {
    if (this.#peers.get(sp.peer) !== sp) return;
    this.#peers.delete(sp.peer);
    sp.dropped = true;
    this.#schedule();
    this.#notify();
    this.#checkSynced();
  }

  #checkSynced(): void {
    if (this.atTip) this.#synced.resolve(true);
  }

  #notify(): void {
    for (const listener of this.#listeners) listener();
  }

  async #pump(reader: ReadableStreamDefaultReader<ChainEvent>): Promise<void> {
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        this.#paced.emit(value);
      }
    } catch (error) {
      this.#log.error("Chain events failed: {error}", { error: String(error) });
    } finally {
      // The chain closed (or the sync did): the streams end with it.
      this.#paced.close();
    }
  }

  #track(task: Promise<void>): void {
    const tracked = task.catch((error) => {
      this.#log.error("Header sync task failed: {error}", { error: String(error) });
    }).finally(() => this.#tasks.delete(tracked));
    this.#tasks.add(tracked);
  }
}

function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
