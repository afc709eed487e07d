// The server's side of each message (btcd's `serverPeer.On*`): one listeners object shared
// by every peer, which finds the peer's server record and then calls the application's
// listener for the same message.
import type { Listener, MessageListeners } from "../peer/listeners.ts";
import type { Peer } from "../peer/peer.ts";
import {
  BIP0111_VERSION,
  netAddressToV2,
  RejectCode,
  type RejectMessage,
  ServiceFlag,
  type VersionMessage,
} from "../wire/mod.ts";
import type { ServerPeer } from "./_server_peer.ts";
import type { AddrGossip } from "./addr_gossip.ts";
import type { MisbehavingScore } from "./server_options.ts";
import {
  BLOOM_WITHOUT_SERVICE_BAN_SCORE,
  GETDATA_BAN_SCORE_PER_MAX_INV,
  MEMPOOL_BAN_SCORE,
} from "./ban_score.ts";

/** btcd's `MaxInvPerMsg`, the unit of the `getdata` score. */
const MAX_INV_PER_MSG = 50_000;
/** `addr` is understood from this version (btcd). */
const ADDR_TIME_VERSION = 31402;

/** What the listeners need of the server. */
export interface ServerHooks {
  lookup(peer: Peer): ServerPeer | undefined;
  readonly gossip: AddrGossip;
  readonly simnet: boolean;
  readonly ourServices: bigint;
  /** The `version` policy: a reason to reject the peer (`nonstandard`), or undefined. */
  onVersion(sp: ServerPeer, version: VersionMessage): string | undefined;
  misbehaving(sp: ServerPeer, score: MisbehavingScore): boolean;
}

export function serverListeners(user: MessageListeners, hooks: ServerHooks): MessageListeners {
  const bloom = (hooks.ourServices & ServiceFlag.BLOOM) !== 0n;
  /** Runs the server's handling, then the application's unless the peer was dropped. */
  function chain<M>(
    own: (sp: ServerPeer, message: M) => boolean | void,
    theirs: Listener<M> | undefined,
  ): Listener<M> {
    return (peer, message) => {
      const sp = hooks.lookup(peer);
      if (sp !== undefined && own(sp, message) === false) return;
      if (theirs !== undefined && peer.connected) return theirs(peer, message);
    };
  }
  // BIP 111: bloom messages from a peer we didn't offer NODE_BLOOM disconnect it (btcd's
  // `enforceNodeBloomFlag`), with a ban score from the version that knows the flag.
  const enforceBloom = (sp: ServerPeer, command: string): boolean => {
    if (bloom) {
      // Eviction sorts bloom-filter peers behind transaction relayers (Core).
      if (command === "filterload") sp.bloomFilter = true;
      if (command === "filterclear") sp.bloomFilter = false;
      return true;
    }
    if (sp.peer.protocolVersion >= BIP0111_VERSION) {
      hooks.misbehaving(sp, { persistent: BLOOM_WITHOUT_SERVICE_BAN_SCORE, reason: command });
    }
    sp.peer.disconnect(`"${command}" without NODE_BLOOM offered`);
    return false;
  };
  return {
    ...user,
    onVersion: (peer, version) => {
      const sp = hooks.lookup(peer);
      const reason = sp === undefined ? undefined : hooks.onVersion(sp, version);
      if (reason !== undefined) {
        const reject: RejectMessage = {
          command: "reject",
          message: "version",
          code: RejectCode.NONSTANDARD,
          reason,
        };
        return reject;
      }
      return user.onVersion?.(peer, version);
    },
    onGetAddr: chain((sp) => {
      if (!hooks.simnet) hooks.gossip.onGetAddr(sp);
    }, user.onGetAddr),
    onAddr: chain((sp, message) => {
      if (hooks.simnet || sp.peer.protocolVersion < ADDR_TIME_VERSION) return;
      hooks.gossip.onAddresses(sp, message.addresses.map(netAddressToV2));
    }, user.onAddr),
    onAddrV2: chain((sp, message) => {
      if (!hooks.simnet) hooks.gossip.onAddresses(sp, message.addresses);
    }, user.onAddrV2),
    onMemPool: chain((sp) => {
      if (!bloom) {
        sp.peer.disconnect("mempool request with bloom filtering disabled");
        return false;
      }
      // A decaying score keeps a peer from flooding us with them (btcd).
      return !hooks.misbehaving(sp, { transient: MEMPOOL_BAN_SCORE, reason: "mempool" });
    }, user.onMemPool),
    onGetData: chain((sp, message) => {
      const score = Math.floor(
        message.inventory.length * GETDATA_BAN_SCORE_PER_MAX_INV / MAX_INV_PER_MSG,
      );
      return score === 0 || !hooks.misbehaving(sp, { transient: score, reason: "getdata" });
    }, user.onGetData),
    onFilterLoad: chain((sp) => enforceBloom(sp, "filterload"), user.onFilterLoad),
    onFilterAdd: chain((sp) => enforceBloom(sp, "filteradd"), user.onFilterAdd),
    onFilterClear: chain((sp) => enforceBloom(sp, "filterclear"), user.onFilterClear),
  };
}
