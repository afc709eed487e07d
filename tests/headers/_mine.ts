// Mining headers for tests: regtest-like targets are met in a couple of hashes, so tests
// build real chains (every header passes the real proof-of-work check) instead of faking
// them. Timestamps come from the caller, so time is whatever the test says.
import { blockHash, type BlockHeader } from "../../wire/mod.ts";
import {
  CHAIN_PARAMS,
  type ChainParams,
  checkProofOfWork,
  validTarget,
} from "../../headers/mod.ts";

/** A mined header with its hash. */
export interface Mined {
  readonly header: BlockHeader;
  readonly hash: Uint8Array;
}

/** What to put in a mined header (defaults: regtest bits, version 0x20000000, parent + 600 s). */
export interface MineOptions {
  readonly bits?: number;
  readonly time?: number;
  readonly version?: number;
  /** Varies the merkle root, so that siblings differ. */
  readonly salt?: number;
  /** Mine a header whose hash does NOT meet its target. */
  readonly invalidPow?: boolean;
}

/** Mines one header on `parent`. */
export function mine(
  params: ChainParams,
  parent: Mined,
  options: MineOptions = {},
): Mined {
  const merkleRoot = new Uint8Array(32);
  const salt = options.salt ?? 0;
  merkleRoot[0] = salt & 0xff;
  merkleRoot[1] = (salt >>> 8) & 0xff;
  merkleRoot[2] = (salt >>> 16) & 0xff;
  merkleRoot[3] = (salt >>> 24) & 0xff;
  const bits = options.bits ?? parent.header.bits;
  if (validTarget(bits, params.powLimit) === undefined && !options.invalidPow) {
    throw new RangeError(`Cannot mine bits 0x${bits.toString(16)}: no hash meets it`);
  }
  const header = {
    version: options.version ?? 0x20000000,
    prevBlock: parent.hash,
    merkleRoot,
    timestamp: options.time ?? parent.header.timestamp + 600,
    bits,
    nonce: 0,
  };
  for (;;) {
    const hash = blockHash(header);
    const ok = checkProofOfWork(hash, header.bits, params.powLimit);
    if (ok !== (options.invalidPow ?? false)) return { header: { ...header }, hash };
    header.nonce++;
  }
}

/** Mines `count` headers in a row on `parent`, `spacing` seconds apart. */
export function mineChain(
  params: ChainParams,
  parent: Mined,
  count: number,
  options: MineOptions & { readonly spacing?: number } = {},
): Mined[] {
  const out: Mined[] = [];
  let prev = parent;
  for (let i = 0; i < count; i++) {
    prev = mine(params, prev, {
      ...options,
      time: prev.header.timestamp + (options.spacing ?? 600),
    });
    out.push(prev);
  }
  return out;
}

/** The genesis of `params` as a Mined. */
export function genesisOf(params: ChainParams): Mined {
  return { header: params.genesis, hash: params.genesisHash };
}

/** The headers of a list of mined blocks. */
export function headersOf(mined: readonly Mined[]): BlockHeader[] {
  return mined.map((m) => m.header);
}

/** Regtest's parameters. */
export const REGTEST: ChainParams = CHAIN_PARAMS.regtest;

/** A time far enough ahead that no mined header is "too new" (ms). */
export const FAR_FUTURE_MS = 4_000_000_000_000;

/**
 * Test-only parameters on which real retargets can be mined: regtest's genesis and pow
 * limit, retargeting on, `interval` blocks per period.
 */
export function retargetParams(
  interval: number,
  overrides: Partial<ChainParams> = {},
): ChainParams {
  return {
    ...CHAIN_PARAMS.regtest,
    name: `retarget-${interval}`,
    noRetargeting: false,
    allowMinDifficultyBlocks: false,
    targetTimespanMs: interval * 600_000,
    ...overrides,
  };
}
