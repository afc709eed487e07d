// One optional listener per message type, as btcd's `MessageListeners`. They run one at a
// time, in arrival order, after the peer's built-in handling; the peer awaits each (so a
// slow listener slows reading from the socket, instead of letting messages pile up).
import type {
  AddrMessage,
  AddrV2Message,
  AlertMessage,
  BlockMessage,
  BlockTxnMessage,
  CFCheckptMessage,
  CFHeadersMessage,
  CFilterMessage,
  CmpctBlockMessage,
  FeeFilterMessage,
  FilterAddMessage,
  FilterClearMessage,
  FilterLoadMessage,
  GetAddrMessage,
  GetBlocksMessage,
  GetBlockTxnMessage,
  GetCFCheckptMessage,
  GetCFHeadersMessage,
  GetCFiltersMessage,
  GetDataMessage,
  GetHeadersMessage,
  HeadersMessage,
  InvMessage,
  MemPoolMessage,
  MerkleBlockMessage,
  Message,
  NotFoundMessage,
  PingMessage,
  PongMessage,
  RejectMessage,
  SendAddrV2Message,
  SendCmpctMessage,
  SendHeadersMessage,
  SendTxRcnclMessage,
  TxMessage,
  UnknownMessage,
  VerAckMessage,
  VersionMessage,
  WtxidRelayMessage,
} from "../wire/mod.ts";
import type { Peer } from "./peer.ts";

/** A listener for one message type; the peer awaits what it returns. */
export type Listener<M> = (peer: Peer, message: M) => void | Promise<void>;

/**
 * Listeners, all optional. Each runs after the peer's own handling of the message.
 *
 * @example
 * ```ts
 * import {
 *   memoryConnectionPair,
 *   type MessageListeners,
 *   Peer,
 *   SentNonces,
 * } from "@btcstream/p2p/peer";
 * import { InvType } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const announced = Promise.withResolvers<number>();
 * const listeners: MessageListeners = {
 *   onInv: (_peer, inv) => announced.resolve(inv.inventory.length),
 * };
 * const [a, b] = memoryConnectionPair();
 * const alice = new Peer(a, { network: "regtest" });
 * const bob = new Peer(b, {
 *   network: "regtest",
 *   inbound: true,
 *   sentNonces: new SentNonces(),
 *   listeners,
 * });
 * await alice.ready;
 * await alice.queueMessage({
 *   command: "inv",
 *   inventory: [{ type: InvType.BLOCK, hash: new Uint8Array(32).fill(1) }],
 * });
 * assertEquals(await announced.promise, 1);
 * alice.disconnect();
 * await bob.closed;
 * ```
 */
export interface MessageListeners {
  /**
   * `version`, during the handshake, before our `verack`. Return a `reject` to refuse the
   * peer: it is sent, and the peer disconnects.
   */
  onVersion?: (
    peer: Peer,
    message: VersionMessage,
  ) => RejectMessage | undefined | void | Promise<RejectMessage | undefined | void>;
  /** `addr`: addresses (v1). */
  onAddr?: Listener<AddrMessage>;
  /** `addrv2`: BIP 155 addresses. */
  onAddrV2?: Listener<AddrV2Message>;
  /** `alert`: the retired alert system's messages. */
  onAlert?: Listener<AlertMessage>;
  /** `block`: a block. */
  onBlock?: Listener<BlockMessage>;
  /** `blocktxn` (BIP 152): transactions of a compact block. */
  onBlockTxn?: Listener<BlockTxnMessage>;
  /** `cfcheckpt` (BIP 157): filter header checkpoints. */
  onCFCheckpt?: Listener<CFCheckptMessage>;
  /** `cfheaders` (BIP 157): filter headers. */
  onCFHeaders?: Listener<CFHeadersMessage>;
  /** `cfilter` (BIP 157): a compact block filter. */
  onCFilter?: Listener<CFilterMessage>;
  /** `cmpctblock` (BIP 152): a compact block. */
  onCmpctBlock?: Listener<CmpctBlockMessage>;
  /** `feefilter` (BIP 133), after the peer recorded it. */
  onFeeFilter?: Listener<FeeFilterMessage>;
  /** `filteradd` (BIP 37). */
  onFilterAdd?: Listener<FilterAddMessage>;
  /** `filterclear` (BIP 37). */
  onFilterClear?: Listener<FilterClearMessage>;
  /** `filterload` (BIP 37). */
  onFilterLoad?: Listener<FilterLoadMessage>;
  /** `getaddr`: a request for addresses. */
  onGetAddr?: Listener<GetAddrMessage>;
  /** `getblocks`: a request for block inventory. */
  onGetBlocks?: Listener<GetBlocksMessage>;
  /** `getblocktxn` (BIP 152). */
  onGetBlockTxn?: Listener<GetBlockTxnMessage>;
  /** `getcfcheckpt` (BIP 157). */
  onGetCFCheckpt?: Listener<GetCFCheckptMessage>;
  /** `getcfheaders` (BIP 157). */
  onGetCFHeaders?: Listener<GetCFHeadersMessage>;
  /** `getcfilters` (BIP 157). */
  onGetCFilters?: Listener<GetCFiltersMessage>;
  /** `getdata`: a request for blocks or transactions. */
  onGetData?: Listener<GetDataMessage>;
  /** `getheaders`: a request for headers. */
  onGetHeaders?: Listener<GetHeadersMessage>;
  /** `headers`: block headers. */
  onHeaders?: Listener<HeadersMessage>;
  /** `inv`: announced inventory. */
  onInv?: Listener<InvMessage>;
  /** `mempool` (BIP 35). */
  onMemPool?: Listener<MemPoolMessage>;
  /** `merkleblock` (BIP 37). */
  onMerkleBlock?: Listener<MerkleBlockMessage>;
  /** `notfound`: requested inventory the peer lacks. */
  onNotFound?: Listener<NotFoundMessage>;
  /** `ping`, after the peer queued its `pong`. */
  onPing?: Listener<PingMessage>;
  /** `pong`, after the peer timed it. */
  onPong?: Listener<PongMessage>;
  /** `reject` (BIP 61). */
  onReject?: Listener<RejectMessage>;
  /** `sendaddrv2` (BIP 155); only during the handshake. */
  onSendAddrV2?: Listener<SendAddrV2Message>;
  /** `sendcmpct` (BIP 152). */
  onSendCmpct?: Listener<SendCmpctMessage>;
  /** `sendheaders` (BIP 130), after the peer recorded it. */
  onSendHeaders?: Listener<SendHeadersMessage>;
  /** `sendtxrcncl` (BIP 330); only during the handshake. */
  onSendTxRcncl?: Listener<SendTxRcnclMessage>;
  /** `tx`: a transaction. */
  onTx?: Listener<TxMessage>;
  /** `verack`: the handshake's end. */
  onVerAck?: Listener<VerAckMessage>;
  /** `wtxidrelay` (BIP 339); only during the handshake. */
  onWtxidRelay?: Listener<WtxidRelayMessage>;
  /** A message with a command this library does not know; ignored otherwise. */
  onUnknown?: Listener<UnknownMessage>;
  /**
   * Every frame read: its size (header included) and the message, or the error that ended
   * reading (then `bytes` is 0).
   */
  onRead?: (
    peer: Peer,
    bytes: number,
    message: Message | UnknownMessage | undefined,
    error?: unknown,
  ) => void;
  /** Every frame written: its size (header included) and the message. */
  onWrite?: (peer: Peer, bytes: number, message: Message) => void;
}

/** The listener property for each command. */
export const LISTENER_NAMES: Readonly<Record<string, keyof MessageListeners>> = {
  addr: "onAddr",
  addrv2: "onAddrV2",
  alert: "onAlert",
  block: "onBlock",
  blocktxn: "onBlockTxn",
  cfcheckpt: "onCFCheckpt",
  cfheaders: "onCFHeaders",
  cfilter: "onCFilter",
  cmpctblock: "onCmpctBlock",
  feefilter: "onFeeFilter",
  filteradd: "onFilterAdd",
  filterclear: "onFilterClear",
  filterload: "onFilterLoad",
  getaddr: "onGetAddr",
  getblocks: "onGetBlocks",
  getblocktxn: "onGetBlockTxn",
  getcfcheckpt: "onGetCFCheckpt",
  getcfheaders: "onGetCFHeaders",
  getcfilters: "onGetCFilters",
  getdata: "onGetData",
  getheaders: "onGetHeaders",
  headers: "onHeaders",
  inv: "onInv",
  mempool: "onMemPool",
  merkleblock: "onMerkleBlock",
  notfound: "onNotFound",
  ping: "onPing",
  pong: "onPong",
  reject: "onReject",
  sendaddrv2: "onSendAddrV2",
  sendcmpct: "onSendCmpct",
  sendheaders: "onSendHeaders",
  sendtxrcncl: "onSendTxRcncl",
  tx: "onTx",
  verack: "onVerAck",
  wtxidrelay: "onWtxidRelay",
  unknown: "onUnknown",
};
