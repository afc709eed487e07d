/**
 * A verified chain of block headers, the building block of a light client: proof of work,
 * difficulty retargets (with testnet's minimum-difficulty rule and BIP 94), median time past,
 * the future limit, version minimums, checkpoints and minimum chain work, as Bitcoin Core
 * checks them; the most-work chain kept and its changes reported as a stream; Core's headers
 * presync per peer so that low-work chains are never stored; and a compact file (80 bytes a
 * header) that survives a crash mid-write.
 *
 * This first part holds the proof-of-work arithmetic ({@linkcode compactToTarget},
 * {@linkcode calculateNextWorkRequired}...), each network's parameters and the rules
 * ({@linkcode nextWorkRequired}, {@linkcode checkHeaderContext}).
 *
 * @example
 * ```ts
 * import { CHAIN_PARAMS, checkProofOfWork } from "@btcstream/p2p/headers";
 * import { assert } from "@std/assert";
 * const { genesis, genesisHash, powLimit } = CHAIN_PARAMS.mainnet;
 * assert(checkProofOfWork(genesisHash, genesis.bits, powLimit));
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
