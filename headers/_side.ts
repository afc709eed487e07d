// Headers off the best chain: competing branches within reach of the tip, and the headers a
// reorganization moved off the best chain. They are few (an attacker needs the current
// difficulty's work per header, and the count is capped), so each is a small object keyed by
// its hash's hex.
import { bytesToHex } from "../wire/mod.ts";
import type { AncestorView } from "./rules.ts";
import { type HeaderStore, u32le } from "./_store.ts";

/** A header off the best chain. */
export interface SideEntry {
  /** `bytesToHex` of its hash (wire order). */
  readonly key: string;
  /** Its hash. */
  readonly hash: Uint8Array;
  /** Its 80 bytes. */
  readonly bytes: Uint8Array;
  /** Its height. */
  readonly height: number;
  /** Cumulative work up to and including it. */
  readonly work: bigint;
}

/** The map key of the parent of a side entry (its prevBlock's hex). */
export function parentKey(entry: SideEntry): string {
  return bytesToHex(entry.bytes.subarray(4, 36));
}

/**
 * The ancestors of a header on a branch: main-chain headers up to `fork`, then the branch's
 * side entries (`entries[i]` at height `fork + 1 + i`).
 */
export class BranchView implements AncestorView {
  readonly #store: HeaderStore;
  readonly fork: number;
  readonly entries: SideEntry[];

  constructor(store: HeaderStore, fork: number, entries: SideEntry[]) {
    this.#store = store;
    this.fork = fork;
    this.entries = entries;
  }

  time(height: number): number {
    return height <= this.fork
      ? this.#store.time(height)
      : u32le(this.entries[height - this.fork - 1].bytes, 68);
  }

  bits(height: number): number {
    return height <= this.fork
      ? this.#store.bits(height)
      : u32le(this.entries[height - this.fork - 1].bytes, 72);
  }

  /** The hash at a height of this branch. */
  hash(height: number): Uint8Array {
    return height <= this.fork
      ? this.#store.hash(height)
      : this.entries[height - this.fork - 1].hash;
  }
}

/**
 * The branch ending at a side entry: its side ancestors back to where it leaves the best
 * chain.
 */
export function branchOf(
  store: HeaderStore,
  side: ReadonlyMap<string, SideEntry>,
  entry: SideEntry,
): BranchView {
  const entries: SideEntry[] = [entry];
  for (let e = side.get(parentKey(entry)); e !== undefined; e = side.get(parentKey(e))) {
    entries.push(e);
  }
  entries.reverse();
  return new BranchView(store, entries[0].height - 1, entries);
}

/**
 * Removes the lowest-work branches until at most `max` side entries remain: repeatedly the
 * leaf with the least work, so that no kept entry loses its parent.
 *
 * @returns How many were removed.
 */
export function pruneSide(side: Map<string, SideEntry>, max: number): number {
  if (side.size <= max) return 0;
  const children = new Map<string, number>();
  for (const e of side.values()) {
    const p = parentKey(e);
    if (side.has(p)) children.set(p, (children.get(p) ?? 0) + 1);
  }
  const leaves = [...side.values()].filter((e) => !children.has(e.key));
  // Highest work first, so that pop() takes the least.
  leaves.sort((a, b) => (a.work < b.work ? 1 : a.work > b.work ? -1 : 0));
  let removed = 0;
  while (side.size > max && leaves.length > 0) {
    const leaf = leaves.pop()!;
    side.delete(leaf.key);
    removed++;
    const p = parentKey(leaf);
    const left = (children.get(p) ?? 0) - 1;
    if (left > 0) {
      children.set(p, left);
      continue;
    }
    children.delete(p);
    const parent = side.get(p);
    if (parent === undefined) continue;
    // The parent is now a leaf with less work than any of its descendants had: insert it in
    // order.
    let i = leaves.length;
    while (i > 0 && leaves[i - 1].work < parent.work) i--;
    leaves.splice(i, 0, parent);
  }
  return removed;
}
