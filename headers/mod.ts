/**
 * A verified chain of block headers, the building block of a light client: proof of work,
 * difficulty retargets (with testnet's minimum-difficulty rule and BIP 94), median time past,
 * the future limit, version minimums, checkpoints and minimum chain work, as Bitcoin Core
 * checks them; the most-work chain kept and its changes reported as a stream; Core's headers
 * presync per peer so that low-work chains are never stored; and a compact file (80 bytes a
 * header) that survives a crash mid-write.
 *
 * {@linkcode HeaderChain} holds the chain; a {@linkcode HeaderFeed} per peer turns that
 * peer's `headers` messages into verdicts (with a `misbehaving` flag) and the next
 * `getheaders` locator. The proof-of-work arithmetic ({@linkcode compactToTarget},
 * {@linkcode calculateNextWorkRequired}...) and the rules ({@linkcode nextWorkRequired},
 * {@linkcode checkHeaderContext}) are exported for tools and tests.
 *
 * @example
 * ```ts
 * import { HeaderChain, MemoryHeaderStorage } from "@btcstream/p2p/headers";
 * import { blockHash } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 *
 * const storage = new MemoryHeaderStorage();
 * const chain = await HeaderChain.open(storage, { network: "regtest" });
 * const headers = [];
 * let prev = chain.tip;
 * for (let i = 1; i <= 3; i++) {
 *   const header = {
 *     version: 0x20000000,
 *     prevBlock: prev.hash,
 *     merkleRoot: new Uint8Array(32),
 *     timestamp: prev.header.timestamp + 600,
 *     bits: 0x207fffff,
 *     nonce: 0,
 *   };
 *   while (blockHash(header)[31] >= 0x80) header.nonce++; // regtest: ~2 tries
 *   headers.push(header);
 *   prev = { height: i, hash: blockHash(header), header };
 * }
 * assertEquals(chain.connect(headers).accepted, 3);
 * await chain.close();
 *
 * const reopened = await HeaderChain.open(storage, { network: "regtest" });
 * assertEquals(reopened.height, 3);
 * await reopened.close();
 * ```
 *
 * @module
 */

export {
  blockProof,
  calculateNextWorkRequired,
  checkProofOfWork,
  type CompactTarget,
  compactToTarget,
  difficultyAdjustmentInterval,
  hashToBigInt,
  permittedDifficultyTransition,
  type RetargetParams,
  targetToCompact,
  type TransitionParams,
  validTarget,
} from "./pow.ts";
export {
  CHAIN_PARAMS,
  type ChainParams,
  chainParams,
  type Checkpoint,
  type HeadersSyncParams,
} from "./params.ts";
export {
  type AncestorView,
  checkHeaderContext,
  type ContextualHeader,
  MAX_FUTURE_BLOCK_TIME_MS,
  MAX_TIMEWARP_MS,
  MEDIAN_TIME_SPAN,
  medianTimePast,
  type MinDifficultyWalkCache,
  nextWorkRequired,
  powLimitBits,
} from "./rules.ts";
export { HeaderError, type HeaderErrorCode, type HeaderErrorDetails } from "./errors.ts";
export type { ChainEntry, ChainEvent, ChainEventsOptions, ReorgEvent, TipEvent } from "./events.ts";
export {
  type ConnectResult,
  DEFAULT_MAX_SIDE_HEADERS,
  HeaderChain,
  type HeaderChainOptions,
  type HeaderInfo,
} from "./chain.ts";
export { HeaderFeed, type HeaderFeedPhase, type HeaderFeedResult } from "./feed.ts";
export {
  FileHeaderStorage,
  type HeaderStorage,
  type HeaderStorageWriteOptions,
  MemoryHeaderStorage,
} from "./storage.ts";
