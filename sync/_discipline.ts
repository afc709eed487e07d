// Misbehaviour found by a sync: reported to the server when there is one (its score, its
// discouragement, its exemptions), and tallied here too, so that the sync stops using a peer
// the server keeps connected (a manual peer) once it has shown itself to be lying.
import type { Logger } from "@logtape/logtape";
import type { Peer } from "../peer/peer.ts";
import type { Server } from "../server/server.ts";

/** Bitcoin Core's threshold: at 100 points a peer is disconnected (and discouraged). */
const THRESHOLD = 100;

/** Scores misbehaving peers for the syncs. */
export class Discipline {
  readonly #server: Server | undefined;
  readonly #log: Logger;
  readonly #scores = new WeakMap<Peer, number>();

  constructor(server: Server | undefined, log: Logger) {
    this.#server = server;
    this.#log = log;
  }

  /** Whether the syncs stopped using `peer` for misbehaving. */
  dropped(peer: Peer): boolean {
    return (this.#scores.get(peer) ?? 0) >= THRESHOLD;
  }

  /**
   * Adds `score` points for `reason`. Returns true when the peer is to be dropped: the server
   * disconnected it, or (without a server, or for a peer the server keeps) it reached 100.
   */
  misbehaving(peer: Peer, score: number, reason: string): boolean {
    const total = (this.#scores.get(peer) ?? 0) + score;
    this.#scores.set(peer, total);
    this.#log.warn("Peer {peer} misbehaving (+{score}, {total}): {reason}", {
      peer: peer.address,
      score,
      total,
      reason,
    });
    if (this.#server !== undefined) {
      const disconnected = this.#server.misbehaving(peer, { persistent: score, reason });
      if (disconnected) return true;
    }
    if (total < THRESHOLD) return false;
    if (this.#server === undefined) peer.disconnect(`Misbehaving: ${reason}`);
    return true;
  }

  /** Credits a peer that extended the best chain (eviction protects it). */
  novelBlock(peer: Peer): void {
    this.#server?.noteNovelBlock(peer);
  }
}
