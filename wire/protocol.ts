// Protocol constants: versions, limits, service flags, networks, inventory types and reject
// codes, as btcd's wire/protocol.go and Bitcoin Core's protocol.h define them.

/** Protocol version spoken by default (BIP 155 addrv2, wtxid relay). */
export const PROTOCOL_VERSION = 70016;
/** BIP 434 `feature` negotiation (Bitcoin Core PR 35221): known, not the default. */
export const FEATURE_VERSION = 70017;
/** Oldest version that sends more than one address per `addr`. */
export const MULTIPLE_ADDRESS_VERSION = 209;
/** Bitcoin Core's minimum accepted peer version. */
export const MIN_PEER_PROTO_VERSION = 31800;
/** Addresses in `addr` carry a timestamp from this version on. */
export const NET_ADDRESS_TIME_VERSION = 31402;
/** BIP 31: `ping` carries a nonce and is answered by `pong` *after* this version. */
export const BIP0031_VERSION = 60000;
/** BIP 35: `mempool`. */
export const BIP0035_VERSION = 60002;
/** BIP 37: bloom filters, and the `relay` flag in `version`. */
export const BIP0037_VERSION = 70001;
/** BIP 61: `reject`. */
export const REJECT_VERSION = 70002;
/** BIP 111: NODE_BLOOM enforced. */
export const BIP0111_VERSION = 70011;
/** BIP 130: `sendheaders`. */
export const SEND_HEADERS_VERSION = 70012;
/** BIP 133: `feefilter`. */
export const FEE_FILTER_VERSION = 70013;
/** BIP 152: compact blocks. */
export const SHORT_IDS_BLOCKS_VERSION = 70014;
/** Invalid compact blocks are not punished from this version on. */
export const INVALID_CB_NO_BAN_VERSION = 70015;
/** BIP 339: `wtxidrelay`. */
export const WTXID_RELAY_VERSION = 70016;
/** BIP 155: `addrv2` and `sendaddrv2`. */
export const ADDR_V2_VERSION = 70016;

/** Bytes in a v1 message header. */
export const MESSAGE_HEADER_SIZE = 24;
/** Bytes in a header's command field. */
export const COMMAND_SIZE = 12;
/** Largest message the network accepts (Bitcoin Core `MAX_PROTOCOL_MESSAGE_LENGTH`). */
export const MAX_PROTOCOL_MESSAGE_LENGTH = 4_000_000;
/** Largest serialized block: BIP 141's 4,000,000 weight units bound its size in bytes. */
export const MAX_BLOCK_PAYLOAD = 4_000_000;
/** Generic serialization bound (btcd `MaxMessagePayload`), kept apart from the network limit. */
export const MAX_MESSAGE_PAYLOAD = 32 * 1024 * 1024;
/** Largest user agent in `version`. */
export const MAX_USER_AGENT_LEN = 256;
/** Most addresses in one `addr` / `addrv2`. */
export const MAX_ADDR_PER_MSG = 1000;
/** Most inventory vectors in `inv`, `getdata`, `notfound`. */
export const MAX_INV_PER_MSG = 50_000;
/** Most block locator hashes in `getblocks` / `getheaders` (btcd; Bitcoin Core uses 101). */
export const MAX_BLOCK_LOCATORS_PER_MSG = 500;
/** Most headers in one `headers`. */
export const MAX_BLOCK_HEADERS_PER_MSG = 2000;
/** Largest bloom filter in `filterload` (BIP 37). */
export const MAX_FILTER_LOAD_FILTER_SIZE = 36_000;
/** Most hash functions in `filterload` (BIP 37). */
export const MAX_FILTER_LOAD_HASH_FUNCS = 50;
/** Largest element in `filteradd` (BIP 37). */
export const MAX_FILTER_ADD_DATA_SIZE = 520;
/** Largest filter in `cfilter` (BIP 157). */
export const MAX_CFILTER_DATA_SIZE = 256 * 1024;
/** Most filter hashes in `cfheaders` (BIP 157). */
export const MAX_CF_HEADERS_PER_MSG = 2000;
/** Most filter headers in `cfcheckpt` (btcd's bound). */
export const MAX_CF_CHECKPTS_PER_MSG = 100_000;
/** Widest `getcfilters` range (BIP 157). */
export const MAX_GET_CFILTERS_REQ_RANGE = 1000;
/** Filter header checkpoint interval (BIP 157). */
export const CF_CHECKPT_INTERVAL = 1000;
/** Largest BIP 155 address. */
export const MAX_ADDR_V2_SIZE = 512;

/**
 * Service flags advertised in `version` and addresses (a 64-bit field).
 *
 * @example
 * ```ts
 * import { ServiceFlag } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const services = ServiceFlag.NETWORK | ServiceFlag.WITNESS;
 * assertEquals(services, 9n);
 * assertEquals(services & ServiceFlag.WITNESS, ServiceFlag.WITNESS);
 * ```
 */
export const ServiceFlag = {
  /** A full node that serves the whole chain. */
  NETWORK: 1n << 0n,
  /** BIP 64 `getutxos` (obsolete). */
  GETUTXO: 1n << 1n,
  /** BIP 111 bloom filters. */
  BLOOM: 1n << 2n,
  /** BIP 144 segregated witness. */
  WITNESS: 1n << 3n,
  /** Xtreme thin blocks (never on Bitcoin Core). */
  XTHIN: 1n << 4n,
  /** Reserved bit 5 (Bitcoin Cash). */
  BIT5: 1n << 5n,
  /** BIP 157 compact filters. */
  COMPACT_FILTERS: 1n << 6n,
  /** SegWit2x (never activated). */
  NODE_2X: 1n << 7n,
  /** BIP 159: serves the last 288 blocks. */
  NETWORK_LIMITED: 1n << 10n,
  /** BIP 324 v2 encrypted transport. */
  P2P_V2: 1n << 11n,
} as const;

/**
 * Names the set bits of a services field, as btcd prints them (`NETWORK|WITNESS|0x1000`).
 *
 * @param services The 64-bit services field.
 * @returns The flag names joined by `|`, with unknown bits as hex; `0x0` when empty.
 *
 * @example
 * ```ts
 * import { serviceFlagsToString } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(serviceFlagsToString(1033n), "NETWORK|WITNESS|NETWORK_LIMITED");
 * ```
 */
export function serviceFlagsToString(services: bigint): string {
  const names: string[] = [];
  let rest = BigInt.asUintN(64, services);
  for (const [name, bit] of Object.entries(ServiceFlag)) {
    if ((rest & bit) !== 0n) {
      names.push(name);
      rest &= ~bit;
    }
  }
  if (rest !== 0n) names.push(`0x${rest.toString(16)}`);
  return names.length === 0 ? "0x0" : names.join("|");
}

/** A Bitcoin network: its magic (as a little-endian uint32) and default port. */
export interface Network {
  /** Name, as used on the command line. */
  readonly name: string;
  /** Magic as a uint32; the header carries it little-endian. */
  readonly magic: number;
  /** Default P2P port. */
  readonly defaultPort: number;
}

/**
 * The networks this library knows, keyed by name.
 *
 * @example
 * ```ts
 * import { NETWORKS } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(NETWORKS.mainnet.defaultPort, 8333);
 * ```
 */
export const NETWORKS: {
  readonly mainnet: Network;
  readonly testnet3: Network;
  readonly testnet4: Network;
  readonly regtest: Network;
  readonly signet: Network;
  readonly simnet: Network;
} = {
  mainnet: { name: "mainnet", magic: 0xd9b4bef9, defaultPort: 8333 },
  testnet3: { name: "testnet3", magic: 0x0709110b, defaultPort: 18333 },
  testnet4: { name: "testnet4", magic: 0x283f161c, defaultPort: 48333 },
  regtest: { name: "regtest", magic: 0xdab5bffa, defaultPort: 18444 },
  // The default signet; custom signets derive their magic from the challenge script.
  signet: { name: "signet", magic: 0x40cf030a, defaultPort: 38333 },
  simnet: { name: "simnet", magic: 0x12141c16, defaultPort: 18555 },
};

/** The name of a known network. */
export type NetworkName = keyof typeof NETWORKS;

/**
 * Inventory vector types (`inv`, `getdata`, `notfound`).
 *
 * @example
 * ```ts
 * import { InvType } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(InvType.WITNESS_BLOCK, InvType.BLOCK | InvType.WITNESS_FLAG);
 * ```
 */
export const InvType = {
  ERROR: 0,
  TX: 1,
  BLOCK: 2,
  FILTERED_BLOCK: 3,
  /** BIP 152. */
  CMPCT_BLOCK: 4,
  /** BIP 339: a transaction by wtxid. */
  WTX: 5,
  /** BIP 144: set on a type to ask for witness data. */
  WITNESS_FLAG: 0x40000000,
  WITNESS_TX: 0x40000001,
  WITNESS_BLOCK: 0x40000002,
  FILTERED_WITNESS_BLOCK: 0x40000003,
} as const;

/**
 * BIP 61 reject codes.
 *
 * @example
 * ```ts
 * import { RejectCode } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(RejectCode.OBSOLETE, 0x11);
 * ```
 */
export const RejectCode = {
  MALFORMED: 0x01,
  INVALID: 0x10,
  OBSOLETE: 0x11,
  DUPLICATE: 0x12,
  NONSTANDARD: 0x40,
  DUST: 0x41,
  INSUFFICIENT_FEE: 0x42,
  CHECKPOINT: 0x43,
} as const;
