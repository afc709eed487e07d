// What a HeaderChain reports when its best chain changes, and the streams that carry it.
import type { BlockHeader } from "../wire/mod.ts";

/**
 * A header of the chain with its place in it.
 *
 * @example
 * ```ts
 * import { type ChainEntry, HeaderChain } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const tip: ChainEntry = new HeaderChain({ network: "regtest" }).tip;
 * assertEquals(tip.height, 0);
 * ```
 */
export interface ChainEntry {
  /** Its height (genesis is 0). */
  readonly height: number;
  /** Its hash, 32 bytes in wire order. */
  readonly hash: Uint8Array;
  /** The header. */
  readonly header: BlockHeader;
}

/**
 * The best chain grew: `added` extends the previous tip, in height order.
 *
 * @example
 * ```ts
 * import type { TipEvent } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const isTip = (e: { type: string }): e is TipEvent => e.type === "tip";
 * assertEquals(isTip({ type: "tip" }), true);
 * ```
 */
export interface TipEvent {
  /** Discriminant. */
  readonly type: "tip";
  /** The headers added on top of the previous tip, lowest first. */
  readonly added: readonly ChainEntry[];
  /** The new tip (the last of `added`). */
  readonly tip: ChainEntry;
  /** The new tip's cumulative work. */
  readonly work: bigint;
}

/**
 * The best chain switched to a branch with more work: the headers above `fork` were replaced.
 * Applying `removed` (undo, highest first) then `added` (lowest first) to a copy of the chain
 * gives the new chain.
 *
 * @example
 * ```ts
 * import type { ChainEvent } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const heights: number[] = [0, 1, 2];
 * const apply = (e: ChainEvent) => {
 *   if (e.type === "reorg") heights.length -= e.removed.length;
 *   heights.push(...e.added.map((a) => a.height));
 * };
 * apply({ type: "reorg", fork: { height: 1 }, removed: [{ height: 2 }], added: [{ height: 2 }, { height: 3 }] } as never);
 * assertEquals(heights, [0, 1, 2, 3]);
 * ```
 */
export interface ReorgEvent {
  /** Discriminant. */
  readonly type: "reorg";
  /** The last header both branches share. */
  readonly fork: ChainEntry;
  /** The headers that left the best chain, lowest first. */
  readonly removed: readonly ChainEntry[];
  /** The headers that joined it, lowest first. */
  readonly added: readonly ChainEntry[];
  /** The new tip (the last of `added`). */
  readonly tip: ChainEntry;
  /** The new tip's cumulative work. */
  readonly work: bigint;
}

/**
 * A change of the best chain.
 *
 * @example
 * ```ts
 * import { type ChainEvent, HeaderChain } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const chain = new HeaderChain({ network: "regtest" });
 * const events: ReadableStream<ChainEvent> = chain.events();
 * await chain.close();
 * assertEquals(await Array.fromAsync(events), []);
 * ```
 */
export type ChainEvent = TipEvent | ReorgEvent;

/** Options for {@linkcode HeaderChain.events}. */
export interface ChainEventsOptions {
  /**
   * Headers (in `added` and `removed`) the stream may hold unread before it fails with a
   * `RangeError` (default 100,000): a reader that stopped reading must not grow memory
   * without bound. A reader that falls behind can re-read the chain from its last height.
   */
  readonly maxQueuedHeaders?: number;
}
