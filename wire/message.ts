// The message table: every command this codec knows, its typed shape, and its codec.
import type { MessageCodec } from "./_codec.ts";
import { addrCodec, type AddrMessage } from "./msg_addr.ts";
import { addrV2Codec, type AddrV2Message } from "./msg_addrv2.ts";
import { alertCodec, type AlertMessage } from "./msg_alert.ts";
import { blockCodec, type BlockMessage } from "./msg_block.ts";
import { blockTxnCodec, type BlockTxnMessage } from "./msg_blocktxn.ts";
import { cfCheckptCodec, type CFCheckptMessage } from "./msg_cfcheckpt.ts";
import { cfHeadersCodec, type CFHeadersMessage } from "./msg_cfheaders.ts";
import { cfilterCodec, type CFilterMessage } from "./msg_cfilter.ts";
import { cmpctBlockCodec, type CmpctBlockMessage } from "./msg_cmpctblock.ts";
import { feeFilterCodec, type FeeFilterMessage } from "./msg_feefilter.ts";
import { filterAddCodec, type FilterAddMessage } from "./msg_filteradd.ts";
import { filterClearCodec, type FilterClearMessage } from "./msg_filterclear.ts";
import { filterLoadCodec, type FilterLoadMessage } from "./msg_filterload.ts";
import { getAddrCodec, type GetAddrMessage } from "./msg_getaddr.ts";
import { getBlocksCodec, type GetBlocksMessage } from "./msg_getblocks.ts";
import { getBlockTxnCodec, type GetBlockTxnMessage } from "./msg_getblocktxn.ts";
import { getCFCheckptCodec, type GetCFCheckptMessage } from "./msg_getcfcheckpt.ts";
import { getCFHeadersCodec, type GetCFHeadersMessage } from "./msg_getcfheaders.ts";
import { getCFiltersCodec, type GetCFiltersMessage } from "./msg_getcfilters.ts";
import { getDataCodec, type GetDataMessage } from "./msg_getdata.ts";
import { getHeadersCodec, type GetHeadersMessage } from "./msg_getheaders.ts";
import { headersCodec, type HeadersMessage } from "./msg_headers.ts";
import { invCodec, type InvMessage } from "./msg_inv.ts";
import { memPoolCodec, type MemPoolMessage } from "./msg_mempool.ts";
import { merkleBlockCodec, type MerkleBlockMessage } from "./msg_merkleblock.ts";
import { notFoundCodec, type NotFoundMessage } from "./msg_notfound.ts";
import { pingCodec, type PingMessage } from "./msg_ping.ts";
import { pongCodec, type PongMessage } from "./msg_pong.ts";
import { rejectCodec, type RejectMessage } from "./msg_reject.ts";
import { sendAddrV2Codec, type SendAddrV2Message } from "./msg_sendaddrv2.ts";
import { sendCmpctCodec, type SendCmpctMessage } from "./msg_sendcmpct.ts";
import { sendHeadersCodec, type SendHeadersMessage } from "./msg_sendheaders.ts";
import { sendTxRcnclCodec, type SendTxRcnclMessage } from "./msg_sendtxrcncl.ts";
import { txCodec, type TxMessage } from "./msg_tx.ts";
import { verAckCodec, type VerAckMessage } from "./msg_verack.ts";
import { versionCodec, type VersionMessage } from "./msg_version.ts";
import { wtxidRelayCodec, type WtxidRelayMessage } from "./msg_wtxidrelay.ts";

/**
 * Every message this library encodes and decodes, discriminated by `command`.
 *
 * @example
 * ```ts
 * import type { Message } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * function describe(m: Message): string {
 *   return m.command === "ping" ? `ping ${m.nonce}` : m.command;
 * }
 * assertEquals(describe({ command: "ping", nonce: 1n }), "ping 1");
 * assertEquals(describe({ command: "verack" }), "verack");
 * ```
 */
export type Message =
  | AddrMessage
  | AddrV2Message
  | AlertMessage
  | BlockMessage
  | BlockTxnMessage
  | CFCheckptMessage
  | CFHeadersMessage
  | CFilterMessage
  | CmpctBlockMessage
  | FeeFilterMessage
  | FilterAddMessage
  | FilterClearMessage
  | FilterLoadMessage
  | GetAddrMessage
  | GetBlocksMessage
  | GetBlockTxnMessage
  | GetCFCheckptMessage
  | GetCFHeadersMessage
  | GetCFiltersMessage
  | GetDataMessage
  | GetHeadersMessage
  | HeadersMessage
  | InvMessage
  | MemPoolMessage
  | MerkleBlockMessage
  | NotFoundMessage
  | PingMessage
  | PongMessage
  | RejectMessage
  | SendAddrV2Message
  | SendCmpctMessage
  | SendHeadersMessage
  | SendTxRcnclMessage
  | TxMessage
  | VerAckMessage
  | VersionMessage
  | WtxidRelayMessage;

/** A command this library knows. */
export type Command = Message["command"];

/**
 * A well-formed frame whose command this library does not know. The decoder stream passes
 * these on rather than failing, as Bitcoin Core and btcd ignore unknown commands.
 */
export interface UnknownMessage {
  /** Marks a frame with a command this library does not know. */
  readonly command: "unknown";
  /** The command named in the header. */
  readonly name: string;
  /** The payload, checksum verified. */
  readonly payload: Uint8Array;
}

/**
 * A message as a transport carries it: its command and its payload, checked (checksum, or
 * BIP 324's authentication tag) but not decoded. v1 framing and the v2 transport both hand
 * these up; payloads are decoded when the protocol version they depend on is known.
 */
export interface RawMessage {
  /** The command (message type), known to this library or not. */
  readonly command: string;
  /** The payload bytes. */
  readonly payload: Uint8Array;
}

// deno-lint-ignore no-explicit-any
type AnyCodec = MessageCodec<any>;

const CODECS: ReadonlyMap<string, AnyCodec> = new Map<string, AnyCodec>(
  [
    addrCodec,
    addrV2Codec,
    alertCodec,
    blockCodec,
    blockTxnCodec,
    cfCheckptCodec,
    cfHeadersCodec,
    cfilterCodec,
    cmpctBlockCodec,
    feeFilterCodec,
    filterAddCodec,
    filterClearCodec,
    filterLoadCodec,
    getAddrCodec,
    getBlocksCodec,
    getBlockTxnCodec,
    getCFCheckptCodec,
    getCFHeadersCodec,
    getCFiltersCodec,
    getDataCodec,
    getHeadersCodec,
    headersCodec,
    invCodec,
    memPoolCodec,
    merkleBlockCodec,
    notFoundCodec,
    pingCodec,
    pongCodec,
    rejectCodec,
    sendAddrV2Codec,
    sendCmpctCodec,
    sendHeadersCodec,
    sendTxRcnclCodec,
    txCodec,
    verAckCodec,
    versionCodec,
    wtxidRelayCodec,
  ].map((c) => [c.command, c]),
);

/** The codec for `command`, or undefined when the command is unknown. */
export function codecFor(command: string): AnyCodec | undefined {
  return CODECS.get(command);
}

/** Every known command. */
export const COMMANDS: readonly Command[] = [...CODECS.keys()] as Command[];
