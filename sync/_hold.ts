// How long each peer has been held by a sync that stopped reading its messages (a paced
// reader fell behind). A peer's own stall detector counts that time as ours, not the remote's;
// requests of our own that time out (the BIP 157 ones the peer does not track) add it back
// through here, so that our slowness never gets a peer dropped.
import type { Peer } from "../peer/peer.ts";

interface HoldState {
  depth: number;
  since: number;
  totalMs: number;
}

const holds = new WeakMap<Peer, HoldState>();

/** Marks the start of a hold on `peer` (holds nest). */
export function holdPeer(peer: Peer, now: number): void {
  let state = holds.get(peer);
  if (state === undefined) holds.set(peer, state = { depth: 0, since: now, totalMs: 0 });
  if (state.depth++ === 0) state.since = now;
}

/** Marks the end of a hold on `peer`. */
export function releasePeer(peer: Peer, now: number): void {
  const state = holds.get(peer);
  if (state === undefined || state.depth === 0) return;
  if (--state.depth === 0) state.totalMs += Math.max(0, now - state.since);
}

/** Milliseconds `peer` has been held in all, up to `now`. */
export function heldMs(peer: Peer, now: number): number {
  const state = holds.get(peer);
  if (state === undefined) return 0;
  return state.totalMs + (state.depth > 0 ? Math.max(0, now - state.since) : 0);
}
