// Making room for a new inbound connection when the slots are full: every inbound connection
// (unfinished handshakes included) described as Bitcoin Core's eviction candidates, then
// Core's choice (`_eviction.ts`). What the server cannot know itself (whether a block or a
// transaction a peer sent was new and valid) the application reports through
// `Server.noteNovelBlock`/`noteNovelTransaction`; until it does, those protections fall back
// to uptime.
import { groupKey } from "../addrmgr/group_key.ts";
import { isLocal } from "../addrmgr/network.ts";
import type { ServerPeer } from "./_server_peer.ts";
import { type EvictionCandidate, type NetGroupKeys, selectNodeToEvict } from "./_eviction.ts";
import type { MisbehaviorPolicy } from "./_misbehavior.ts";
import { networkName } from "./peer_info.ts";

/** What the choice needs of the server. */
export interface EvictionContext {
  readonly now: number;
  readonly keys: NetGroupKeys;
  readonly policy: MisbehaviorPolicy;
  readonly requiredServices: bigint;
  /** Whether the peer completed its handshake and was accepted. */
  readonly accepted: (sp: ServerPeer) => boolean;
}

/** The inbound connection to evict, or undefined when every one is protected. */
export function chooseEviction(
  peers: Iterable<ServerPeer>,
  context: EvictionContext,
): ServerPeer | undefined {
  const bySequence = new Map<number, ServerPeer>();
  const candidates: EvictionCandidate[] = [];
  for (const sp of peers) {
    if (!sp.inbound || sp.peer.ended) continue;
    bySequence.set(sp.sequence, sp);
    candidates.push(candidateOf(sp, context));
  }
  const id = selectNodeToEvict(candidates, { now: context.now });
  return id === undefined ? undefined : bySequence.get(id);
}

function candidateOf(sp: ServerPeer, context: EvictionContext): EvictionCandidate {
  const peer = sp.peer;
  const na = sp.netAddress;
  const complete = context.accepted(sp);
  const services = peer.services;
  return {
    id: sp.sequence,
    connectedAt: sp.connectedAt,
    minPingMs: peer.minPingMicros / 1000,
    lastBlockAt: sp.lastBlockAt,
    lastTxAt: sp.lastTxAt,
    relevantServices: complete &&
      (services & context.requiredServices) === context.requiredServices,
    relayTxs: complete && (peer.remoteVersion?.relay ?? false),
    bloomFilter: sp.bloomFilter,
    keyedNetGroup: context.keys.keyOf(na === undefined ? sp.host : groupKey(na)),
    preferEvict: context.policy.isDiscouraged(sp.host),
    isLocal: na !== undefined && isLocal(na),
    network: networkName(na),
    noban: context.policy.isWhitelisted(sp.host),
    inbound: true,
    handshakeComplete: complete,
  };
}
