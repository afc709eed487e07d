// The report the interop session prints and the test asserts on, and the constants both use.
import { ipToString, type NetAddress } from "../../wire/mod.ts";

/** Blocks mined before the checks. */
export const BLOCKS_MINED = 5;
/** Blocks mined afterwards, for our HeaderSync to sync from bcoin. */
export const HEADER_SYNC_BLOCKS = 300;
/** The regtest genesis block (bcoin's is Bitcoin Core's). */
export const REGTEST_GENESIS_HASH =
  "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206";
/**
 * Where the coinbases pay: P2WPKH of twenty 0x01 bytes, in bcoin 1.0.2's regtest bech32
 * prefix `rb` (Bitcoin Core's is `bcrt`).
 */
export const MINING_ADDRESS = "rb1qqyqszqgpqyqszqgpqyqszqgpqyqszqgpefl3jh";
/** That address's output script. */
export const MINING_SCRIPT_HEX = `0014${"01".repeat(20)}`;

/** An address as the report carries it. */
export interface ReportedAddress {
  host: string;
  port: number;
  services: string;
  timestamp: number | undefined;
}

/** What the session saw; every section is missing if the session failed before it. */
export interface InteropReport {
  bcoin?: { subversion: string; protocolVersion: number; p2pPort: number };
  mined?: { hashes: string[]; bestBlockHash: string; blockCount: number };
  handshake?: {
    ready: boolean;
    userAgent: string;
    remoteProtocolVersion: number;
    negotiatedProtocolVersion: number;
    services: string;
    startingHeight: number;
    commandsDuringHandshake: string[];
  };
  ping?: { nonce: string; pongNonce: string; rttMs: number; lastPingMicros: number };
  headers?: { count: number; rawHex: string[]; hashes: string[] };
  blocks?: {
    requested: string;
    hash: string;
    merkleRootInHeader: string;
    merkleRootComputed: string;
    merkleRootOk: boolean;
    txCount: number;
    coinbaseScripts: string[];
    coinbaseHasWitness: boolean;
  }[];
  addr?: {
    sent: ReportedAddress[];
    /** Sent, and bcoin should drop (non-routable, port 0, missing services). */
    sentUnfit: ReportedAddress[];
    /** Our first getaddr, on the connection that sent the addr. */
    replyToSender: ReportedAddress[] | null;
    /** Our first getaddr on a second connection. */
    replyToOther: ReportedAddress[] | null;
    /** A second getaddr on that connection. */
    secondReplyToOther: ReportedAddress[] | null;
    /** Our getaddr on the connection bcoin made to our listener. */
    replyOnBcoinsOutbound: ReportedAddress[] | null;
    /** Whether bcoin sent `getaddr` on each connection. */
    getaddrFromBcoin: { outbound: boolean; second: boolean; inbound: boolean };
  };
  inbound?: {
    ready: boolean;
    remoteAddress: string;
    userAgent: string;
    protocolVersion: number;
    services: string;
    startingHeight: number;
    commands: string[];
  };
  peerInfo?: { addr: string; subver: string; inbound: boolean; version: number }[];
  /** Our HeaderSync, from bcoin, after HEADER_SYNC_BLOCKS more blocks. */
  headerSync?: {
    synced: boolean;
    height: number;
    tipHash: string;
    /** Headers that came out of the sync's stream. */
    streamed: number;
    bestBlockHash: string;
    blockCount: number;
  };
  /** Our Server: dials bcoin (a manual peer) and is dialed by it. */
  server?: {
    /** Its peers, from `server.peerInfo()`. */
    peers: { addr: string; subver: string; inbound: boolean; version: number; type: string }[];
    /** Addresses in its book after bcoin answered its getaddr, as `host:port`. */
    book: string[];
    /** Whether bcoin's answer was processed (Core's addr_processed) on the outbound peer. */
    addrProcessed: number;
  };
  error?: { step: string; message: string };
  bcoinLogTail?: string[];
}

/**
 * An address as the report carries it.
 *
 * @param a The address.
 * @returns Its text form, services as a decimal string.
 */
export function reported(a: NetAddress): ReportedAddress {
  return {
    host: ipToString(a.ip),
    port: a.port,
    services: a.services.toString(),
    timestamp: a.timestamp,
  };
}
