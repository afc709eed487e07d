// Consensus parameters of each network, as far as headers go: genesis, proof-of-work limit and
// retarget schedule, the testnet rules, buried deployment heights (block version minimums),
// checkpoints, minimum chain work and assumed-valid block. Values are Bitcoin Core's
// (`src/kernel/chainparams.cpp`, v30) unless a comment says otherwise; simnet is btcd's.
import {
  type BlockHeader,
  hexToHash,
  type Network,
  type NetworkName,
  NETWORKS,
} from "../wire/mod.ts";

/**
 * A block the chain must contain at a height: a header at that height with another hash is
 * refused, and so is any fork below the last checkpoint the chain has reached.
 *
 * @example
 * ```ts
 * import { type Checkpoint, CHAIN_PARAMS } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const last: Checkpoint = CHAIN_PARAMS.mainnet.checkpoints.at(-1)!;
 * assertEquals(last.height, 295000);
 * ```
 */
export interface Checkpoint {
  /** Height of the block. */
  readonly height: number;
  /** Its hash, 32 bytes in wire order. */
  readonly hash: Uint8Array;
}

/** Bitcoin Core's headers presync tuning (`HeadersSyncParams`), per network. */
export interface HeadersSyncParams {
  /** One commitment bit is kept per this many headers during presync. */
  readonly commitmentPeriod: number;
  /** Headers redownloaded and checked against commitments before any is stored. */
  readonly redownloadBufferSize: number;
}

/**
 * What a {@linkcode HeaderChain} needs to know about a network. Build test networks by
 * spreading a known one and changing what the test needs (a pow limit it can hit, a short
 * retarget interval); the rules applied are the same code.
 *
 * @example
 * ```ts
 * import { type ChainParams, CHAIN_PARAMS } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * // A regtest-like chain that retargets every 20 blocks.
 * const quick: ChainParams = {
 *   ...CHAIN_PARAMS.regtest,
 *   name: "quick",
 *   noRetargeting: false,
 *   allowMinDifficultyBlocks: false,
 *   targetTimespanMs: 20 * 600_000,
 * };
 * assertEquals(quick.targetTimespanMs / quick.targetSpacingMs, 20);
 * ```
 */
export interface ChainParams {
  /** The network's name (`mainnet`, `testnet3`...; anything for a custom one). */
  readonly name: string;
  /** Magic and port, for the file header and for the peers that serve this chain. */
  readonly network: Network;
  /** The genesis block's header (height 0, trusted as is). */
  readonly genesis: BlockHeader;
  /** Its hash, 32 bytes in wire order; the chain checks that `genesis` hashes to it. */
  readonly genesisHash: Uint8Array;
  /** The easiest target a header may claim (`consensus.powLimit`). */
  readonly powLimit: bigint;
  /** Target time between blocks, in milliseconds (`nPowTargetSpacing`, 10 minutes). */
  readonly targetSpacingMs: number;
  /** Target time per difficulty period, in milliseconds (`nPowTargetTimespan`, two weeks). */
  readonly targetTimespanMs: number;
  /**
   * Testnet's rule (`fPowAllowMinDifficultyBlocks`): a header more than two spacings after its
   * parent may use the pow limit, and others take the difficulty of the last block that did
   * not use that exception.
   */
  readonly allowMinDifficultyBlocks: boolean;
  /** Regtest's rule (`fPowNoRetargeting`): the difficulty never changes. */
  readonly noRetargeting: boolean;
  /**
   * BIP 94 (testnet4): a retarget scales the first block's target of the period, not the
   * last's, and a period's first block may not be timestamped more than 600 seconds before
   * its parent (the time-warp fix).
   */
  readonly enforceBip94: boolean;
  /** From this height, a header's version must be at least 2 (BIP 34). */
  readonly bip34Height: number;
  /** From this height, at least 3 (BIP 66). */
  readonly bip66Height: number;
  /** From this height, at least 4 (BIP 65). */
  readonly bip65Height: number;
  /** Checkpoints in height order. */
  readonly checkpoints: readonly Checkpoint[];
  /**
   * The work the real chain is known to have (`nMinimumChainWork`): headers are only stored
   * from a peer whose chain reaches it (see {@linkcode HeaderFeed}).
   */
  readonly minimumChainWork: bigint;
  /**
   * The block Bitcoin Core assumes has valid scripts (`defaultAssumeValid`). Headers alone say
   * nothing about scripts: this is informative ({@linkcode HeaderChain.assumeValidReached}).
   */
  readonly assumeValid: Checkpoint | undefined;
  /** The headers presync's tuning. */
  readonly headersSync: HeadersSyncParams;
}

const TEN_MINUTES_MS = 10 * 60 * 1000;
const TWO_WEEKS_MS = 14 * 24 * 60 * 60 * 1000;

/** The Times 03/Jan/2009 coinbase's txid: the merkle root of every genesis but testnet4's. */
const SATOSHI_MERKLE_ROOT = hexToHash(
  "4a5e1e4baab89f3a32518a88c31bc87f618f76673e2cc77ab2127b7afdeda33b",
);

function genesis(
  timestamp: number,
  nonce: number,
  bits: number,
  merkleRoot = SATOSHI_MERKLE_ROOT,
): BlockHeader {
  return { version: 1, prevBlock: new Uint8Array(32), merkleRoot, timestamp, bits, nonce };
}

function checkpoints(list: readonly [number, string][]): readonly Checkpoint[] {
  return list.map(([height, hash]) => ({ height, hash: hexToHash(hash) }));
}

function work(hex: string): bigint {
  return BigInt("0x" + hex);
}

// Bitcoin Core removed checkpoints in v30: its headers presync and minimum chain work already
// keep low-work forks out of memory. This library keeps Core's final list (v29), for two
// reasons: a light client never validates the blocks behind its headers, so a cheap, early
// refusal of forks below 295,000 (before any work arithmetic) is worth its 13 entries; and
// they are immutable facts of the chain, so they cannot go stale. btcd ships a longer list;
// the protection that matters against a low-difficulty fork is the minimum chain work (far
// above any checkpoint), so the longer list would add nothing. Pass your own in the params
// to change it.
const MAINNET_CHECKPOINTS = checkpoints([
  [11111, "0000000069e244f73d78e8fd29ba2fd2ed618bd6fa2ee92559f542fdb26e7c1d"],
  [33333, "000000002dd5588a74784eaa7ab0507a18ad16a236e7b1ce69f00d7ddfb5d0a6"],
  [74000, "0000000000573993a3c9e41ce34471c079dcf5f52a0e824a81e7f953b8661a20"],
  [105000, "00000000000291ce28027faea320c8d2b054b2e0fe44a773f3eefb151d6bdc97"],
  [134444, "00000000000005b12ffd4cd315cd34ffd4a594f430ac814c91184a0d42d2b0fe"],
  [168000, "000000000000099e61ea72015e79632f216fe6cb33d7899acb35b75c8303b763"],
  [193000, "000000000000059f452a5f7340de6682a977387c17010ff6e6c3bd83ca8b1317"],
  [210000, "000000000000048b95347e83192f69cf0366076336c639f9b7228e9ba171342e"],
  [216116, "00000000000001b4f4b433e81ee46494af945cf96014816a4e2370f11b23df4e"],
  [225430, "00000000000001c108384350f74090433e7fcf79a606b8e797f065b130575932"],
  [250000, "000000000000003887df1f29024b06fc2200b55f8af8f35453d7be294df2d214"],
  [279000, "0000000000000001ae8c72a0b0c301f67e3afca10e819efa9041e458e9bd7e40"],
  [295000, "00000000000000004d9b4ef50f0f9d686fd69db2e03af35a100370c64632a983"],
]);

const mainnet: ChainParams = {
  name: "mainnet",
  network: NETWORKS.mainnet,
  genesis: genesis(1231006505, 2083236893, 0x1d00ffff),
  genesisHash: hexToHash("000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f"),
  powLimit: (1n << 224n) - 1n,
  targetSpacingMs: TEN_MINUTES_MS,
  targetTimespanMs: TWO_WEEKS_MS,
  allowMinDifficultyBlocks: false,
  noRetargeting: false,
  enforceBip94: false,
  bip34Height: 227931,
  bip66Height: 363725,
  bip65Height: 388381,
  checkpoints: MAINNET_CHECKPOINTS,
  minimumChainWork: work("0000000000000000000000000000000000000000dee8e2a309ad8a9820433c68"),
  assumeValid: {
    height: 912683,
    hash: hexToHash("00000000000000000000611fd22f2df7c8fbd0688745c3a6c3bb5109cc2a12cb"),
  },
  headersSync: { commitmentPeriod: 632, redownloadBufferSize: 15009 },
};

const testnet3: ChainParams = {
  name: "testnet3",
  network: NETWORKS.testnet3,
  genesis: genesis(1296688602, 414098458, 0x1d00ffff),
  genesisHash: hexToHash("000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943"),
  powLimit: (1n << 224n) - 1n,
  targetSpacingMs: TEN_MINUTES_MS,
  targetTimespanMs: TWO_WEEKS_MS,
  allowMinDifficultyBlocks: true,
  noRetargeting: false,
  enforceBip94: false,
  bip34Height: 21111,
  bip66Height: 330776,
  bip65Height: 581885,
  checkpoints: checkpoints([
    [546, "000000002a936ca763904c3c35fce2f3556c559c0214345d31b1bcebf76acb70"],
  ]),
  minimumChainWork: work("0000000000000000000000000000000000000000000016dd270dd94fac1d7632"),
  assumeValid: {
    height: 4550000,
    hash: hexToHash("0000000000000065c6c38258e201971a3fdfcc2ceee0dd6e85a6c022d45dee34"),
  },
  headersSync: { commitmentPeriod: 628, redownloadBufferSize: 13460 },
};

const testnet4: ChainParams = {
  name: "testnet4",
  network: NETWORKS.testnet4,
  genesis: genesis(
    1714777860,
    393743547,
    0x1d00ffff,
    hexToHash("7aa0a7ae1e223414cb807e40cd57e667b718e42aaf9306db9102fe28912b7b4e"),
  ),
  genesisHash: hexToHash("00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043"),
  powLimit: (1n << 224n) - 1n,
  targetSpacingMs: TEN_MINUTES_MS,
  targetTimespanMs: TWO_WEEKS_MS,
  allowMinDifficultyBlocks: true,
  noRetargeting: false,
  enforceBip94: true,
  bip34Height: 1,
  bip66Height: 1,
  bip65Height: 1,
  checkpoints: [],
  minimumChainWork: work("00000000000000000000000000000000000000000000034a4690fe592dc49c7c"),
  assumeValid: {
    height: 91000,
    hash: hexToHash("000000000000000180a58e7fa3b0db84b5ea76377524894f53660d93ac839d9b"),
  },
  headersSync: { commitmentPeriod: 275, redownloadBufferSize: 7017 },
};

// The default signet. Custom signets share its genesis and header rules; Core gives them no
// minimum chain work or assumed-valid block: spread this with those set to 0n and undefined.
// Signet's block signatures (BIP 325) live in the coinbase, not the header.
const signet: ChainParams = {
  name: "signet",
  network: NETWORKS.signet,
  genesis: genesis(1598918400, 52613770, 0x1e0377ae),
  genesisHash: hexToHash("00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6"),
  powLimit: 0x0377aen << 216n,
  targetSpacingMs: TEN_MINUTES_MS,
  targetTimespanMs: TWO_WEEKS_MS,
  allowMinDifficultyBlocks: false,
  noRetargeting: false,
  enforceBip94: false,
  bip34Height: 1,
  bip66Height: 1,
  bip65Height: 1,
  checkpoints: [],
  minimumChainWork: work("0000000000000000000000000000000000000000000000000000067d328e681a"),
  assumeValid: {
    height: 267665,
    hash: hexToHash("000000128586e26813922680309f04e1de713c7542fee86ed908f56368aefe2e"),
  },
  headersSync: { commitmentPeriod: 390, redownloadBufferSize: 9584 },
};

const regtest: ChainParams = {
  name: "regtest",
  network: NETWORKS.regtest,
  genesis: genesis(1296688602, 2, 0x207fffff),
  genesisHash: hexToHash("0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206"),
  powLimit: (1n << 255n) - 1n,
  targetSpacingMs: TEN_MINUTES_MS,
  // Core shortened regtest's timespan to one day in v29; with retargeting off it only sets
  // the 144-block period of the min-difficulty walk back.
  targetTimespanMs: 24 * 60 * 60 * 1000,
  allowMinDifficultyBlocks: true,
  noRetargeting: true,
  enforceBip94: false,
  bip34Height: 1,
  bip66Height: 1,
  bip65Height: 1,
  checkpoints: [],
  minimumChainWork: 0n,
  assumeValid: undefined,
  headersSync: { commitmentPeriod: 275, redownloadBufferSize: 7017 },
};

// btcd's simulation network: regtest's pow limit, real retargeting with testnet's 20-minute
// rule, every deployment active from genesis.
const simnet: ChainParams = {
  name: "simnet",
  network: NETWORKS.simnet,
  genesis: genesis(1401292357, 2, 0x207fffff),
  genesisHash: hexToHash("683e86bd5c6d110d91b94b97137ba6bfe02dbbdb8e3dff722a669b5d69d77af6"),
  powLimit: (1n << 255n) - 1n,
  targetSpacingMs: TEN_MINUTES_MS,
  targetTimespanMs: TWO_WEEKS_MS,
  allowMinDifficultyBlocks: true,
  noRetargeting: false,
  enforceBip94: false,
  bip34Height: 0,
  bip66Height: 0,
  bip65Height: 0,
  checkpoints: [],
  minimumChainWork: 0n,
  assumeValid: undefined,
  headersSync: { commitmentPeriod: 275, redownloadBufferSize: 7017 },
};

/**
 * The parameters of every network this library knows, keyed as `NETWORKS` is.
 *
 * @example
 * ```ts
 * import { CHAIN_PARAMS } from "@btcstream/p2p/headers";
 * import { blockHash } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const { genesis, genesisHash } = CHAIN_PARAMS.testnet4;
 * assertEquals(blockHash(genesis), genesisHash);
 * ```
 */
export const CHAIN_PARAMS: Readonly<Record<NetworkName, ChainParams>> = {
  mainnet,
  testnet3,
  testnet4,
  regtest,
  signet,
  simnet,
};

/**
 * The parameters of a known network by name, or the given parameters themselves.
 *
 * @param network A network name or parameters.
 * @returns The parameters.
 * @throws {RangeError} For an unknown name.
 *
 * @example
 * ```ts
 * import { chainParams } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * assertEquals(chainParams("signet").targetSpacingMs, 600_000);
 * ```
 */
export function chainParams(network: NetworkName | ChainParams): ChainParams {
  if (typeof network !== "string") return network;
  const params = (CHAIN_PARAMS as Record<string, ChainParams | undefined>)[network];
  if (params === undefined) {
    throw new RangeError(
      `Unknown network "${network}": expected one of ${Object.keys(CHAIN_PARAMS).join(", ")}`,
    );
  }
  return params;
}
