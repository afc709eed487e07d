// One peer of a HeaderSync: its HeaderFeed and where its exchange of headers stands.
import { type HeaderChain, HeaderFeed } from "../headers/mod.ts";
import type { Peer } from "../peer/peer.ts";
import type { Message, UnknownMessage } from "../wire/mod.ts";

/** A peer's sync state. */
export class SyncPeer {
  readonly peer: Peer;
  readonly feed: HeaderFeed;
  reader: ReadableStreamDefaultReader<Message | UnknownMessage> | undefined;
  /** May be asked (holds a download slot while the chain is behind). */
  active = false;
  /** A `getheaders` is unanswered. */
  inFlight = false;
  /** Its last answer had nothing more. */
  atTip = false;
  dropped = false;
  /** The last block of ours it has shown it has. */
  best: { height: number; hash: Uint8Array } | undefined;
  /** Our tip when the unanswered `getheaders` was sent. */
  askedFrom: { height: number; hash: Uint8Array } | undefined;
  /** When it last made progress (or was first asked since it was at its tip). */
  progressAt = 0;
  /** `headers` messages in a row that did not connect. */
  unconnecting = 0;

  constructor(peer: Peer, chain: HeaderChain) {
    this.peer = peer;
    this.feed = new HeaderFeed(chain);
  }
}
