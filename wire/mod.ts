/**
 * The Bitcoin P2P wire protocol: every message as typed data, encoded and decoded
 * byte-for-byte as Bitcoin Core does, framed and unframed by web streams.
 *
 * Messages are plain objects discriminated by `command`. {@linkcode encodeMessage} and
 * {@linkcode decodeMessage} work on whole frames; {@linkcode MessageDecoderStream} and
 * {@linkcode MessageEncoderStream} sit between a socket and the rest of a program. Defaults
 * are mainnet, protocol version 70016 and BIP 144 witness encoding.
 *
 * Bad input never throws anything but {@linkcode MessageError}, whose `code` says what was
 * wrong, and nothing is allocated from a length the input merely claims.
 *
 * @example
 * ```ts
 * import { decodeMessage, encodeMessage, InvType, type Message } from "@btcstream/p2p/wire";
 * import { assert, assertEquals } from "@std/assert";
 *
 * const inv: Message = {
 *   command: "inv",
 *   inventory: [{ type: InvType.TX, hash: new Uint8Array(32) }],
 * };
 * const frame = encodeMessage(inv);
 * assertEquals(frame.length, 61); // a 24-byte header, a count and one 36-byte entry
 * const back = decodeMessage(frame);
 * assert(back.command === "inv");
 * assertEquals(back.inventory[0].type, InvType.TX);
 * ```
 *
 * @module
 */

export { MessageError, type MessageErrorCode } from "./errors.ts";
export * from "./protocol.ts";
export {
  bytesToHex,
  doubleSha256,
  doubleSha256Parts,
  hashToHex,
  hexToBytes,
  hexToHash,
  sha256,
} from "./hash.ts";
export { decodeVarInt, encodeVarInt, varIntSize } from "./var_int.ts";
export {
  decodeMessage,
  decodePayload,
  decodeRawMessage,
  encodeMessage,
  encodePayload,
  frameMessage,
  type WireOptions,
} from "./frame.ts";
export { FrameDecoder, type FrameDecoderOptions, FrameDecoderStream } from "./frame_decoder.ts";
export { MessageDecoderStream, type MessageDecoderStreamOptions } from "./decoder_stream.ts";
export { MessageEncoderStream } from "./encoder_stream.ts";
export {
  type Command,
  COMMANDS,
  type Message,
  type RawMessage,
  type UnknownMessage,
} from "./message.ts";

export {
  ipToString,
  type NetAddress,
  netAddressFromHost,
  type NetAddressOptions,
  parseIp,
} from "./net_address.ts";
export {
  BIP155_ADDRESS_SIZES,
  BIP155Network,
  netAddressToV2,
  type NetAddressV2,
  netAddressV2FromString,
  type NetAddressV2Options,
  netAddressV2ToLegacy,
  netAddressV2ToString,
} from "./net_address_v2.ts";
export type { InvVect } from "./inv_vect.ts";
export type { OutPoint } from "./outpoint.ts";
export {
  BLOCK_HEADER_SIZE,
  blockHash,
  type BlockHeader,
  decodeBlockHeader,
  encodeBlockHeader,
} from "./block_header.ts";
export {
  decodeTx,
  encodeTx,
  hasWitness,
  serializeSize,
  type Tx,
  type TxEncodingOptions,
  txid,
  type TxIn,
  type TxOut,
  txWeight,
  wtxid,
} from "./tx.ts";
export { type Block, checkMerkleRoot, decodeBlock, encodeBlock, merkleRoot } from "./block.ts";
export { formatUserAgent } from "./msg_version.ts";
export { bytesToWireString, wireStringToBytes } from "./wire_string.ts";

// Message shapes.
export type { AddrMessage } from "./msg_addr.ts";
export type { AddrV2Message } from "./msg_addrv2.ts";
export type { AlertMessage } from "./msg_alert.ts";
export type { BlockMessage } from "./msg_block.ts";
export type { BlockTxnMessage } from "./msg_blocktxn.ts";
export type { CFCheckptMessage } from "./msg_cfcheckpt.ts";
export type { CFHeadersMessage } from "./msg_cfheaders.ts";
export type { CFilterMessage } from "./msg_cfilter.ts";
export type { CmpctBlockMessage, PrefilledTx } from "./msg_cmpctblock.ts";
export type { FeeFilterMessage } from "./msg_feefilter.ts";
export type { FilterAddMessage } from "./msg_filteradd.ts";
export type { FilterClearMessage } from "./msg_filterclear.ts";
export type { FilterLoadMessage } from "./msg_filterload.ts";
export type { GetAddrMessage } from "./msg_getaddr.ts";
export type { GetBlocksMessage } from "./msg_getblocks.ts";
export type { GetBlockTxnMessage } from "./msg_getblocktxn.ts";
export type { GetCFCheckptMessage } from "./msg_getcfcheckpt.ts";
export type { GetCFHeadersMessage } from "./msg_getcfheaders.ts";
export type { GetCFiltersMessage } from "./msg_getcfilters.ts";
export type { GetDataMessage } from "./msg_getdata.ts";
export type { GetHeadersMessage } from "./msg_getheaders.ts";
export type { HeadersMessage } from "./msg_headers.ts";
export type { InvMessage } from "./msg_inv.ts";
export type { MemPoolMessage } from "./msg_mempool.ts";
export type { MerkleBlockMessage } from "./msg_merkleblock.ts";
export type { NotFoundMessage } from "./msg_notfound.ts";
export type { PingMessage } from "./msg_ping.ts";
export type { PongMessage } from "./msg_pong.ts";
export type { RejectMessage } from "./msg_reject.ts";
export type { SendAddrV2Message } from "./msg_sendaddrv2.ts";
export type { SendCmpctMessage } from "./msg_sendcmpct.ts";
export type { SendHeadersMessage } from "./msg_sendheaders.ts";
export type { SendTxRcnclMessage } from "./msg_sendtxrcncl.ts";
export type { TxMessage } from "./msg_tx.ts";
export type { VerAckMessage } from "./msg_verack.ts";
export type { UserAgentPart, VersionField, VersionMessage } from "./msg_version.ts";
export type { WtxidRelayMessage } from "./msg_wtxidrelay.ts";
