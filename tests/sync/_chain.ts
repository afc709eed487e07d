// A regtest chain the tests build themselves: real blocks (a coinbase paying a per-block script
// and any scripts a test asks for, and transactions spending earlier outputs), mined for real
// (regtest's target takes about two hashes), with their BIP 158 filters and BIP 157 filter
// headers, so that a served node can answer every request a light client makes.
import {
  buildBasicFilter,
  CHAIN_PARAMS,
  checkProofOfWork,
  filterHash,
  filterHeader,
} from "../../mod.ts";
import {
  type Block,
  blockHash,
  type BlockHeader,
  bytesToHex,
  merkleRoot,
  sha256,
  type Tx,
  txid,
} from "../../wire/mod.ts";

const REGTEST = CHAIN_PARAMS.regtest;

/** One block of a test chain with what a filter server keeps for it. */
export interface TestBlock {
  readonly height: number;
  readonly hash: Uint8Array;
  readonly block: Block;
  /** The scripts its inputs spend, in block order (for BIP 158). */
  readonly spent: readonly Uint8Array[];
  readonly filter: Uint8Array;
  readonly filterHeader: Uint8Array;
}

/** An output a later block may spend. */
export interface Coin {
  readonly txid: Uint8Array;
  readonly index: number;
  readonly script: Uint8Array;
}

/** What goes into the next blocks. */
export interface ExtendOptions {
  /** Extra outputs of a block's coinbase, by height. */
  readonly payTo?: (height: number) => readonly Uint8Array[] | undefined;
  /** Coins a block's second transaction spends, by height. */
  readonly spend?: (height: number) => readonly Coin[] | undefined;
  /** Makes a branch's blocks differ from another's at the same heights. */
  readonly salt?: number;
}

/** A P2WPKH script whose key hash is derived from `seed`. */
export function p2wpkh(seed: string): Uint8Array {
  return Uint8Array.of(0x00, 0x14, ...sha256(new TextEncoder().encode(seed)).subarray(0, 20));
}

/** A regtest chain of real blocks, with their filters and filter headers. */
export class TestChain {
  readonly blocks: TestBlock[];
  readonly #index: Map<string, number>;

  private constructor(blocks: TestBlock[]) {
    this.blocks = blocks;
    this.#index = new Map(blocks.map((b) => [bytesToHex(b.hash), b.height]));
  }

  /**
   * Regtest's genesis alone. Its filter is the empty one: the client never sees it checked
   * against a block (nobody fetches block 0), only chained from 32 zero bytes.
   */
  static genesis(): TestChain {
    const filter = Uint8Array.of(0);
    return new TestChain([{
      height: 0,
      hash: REGTEST.genesisHash,
      block: { header: REGTEST.genesis, transactions: [] },
      spent: [],
      filter,
      filterHeader: filterHeader(filterHash(filter), new Uint8Array(32)),
    }]);
  }

  get height(): number {
    return this.blocks.length - 1;
  }

  get tip(): TestBlock {
    return this.blocks[this.blocks.length - 1];
  }

  /** The block's height on this chain, or undefined. */
  heightOf(hash: Uint8Array): number | undefined {
    return this.#index.get(bytesToHex(hash));
  }

  /** The headers of heights `from` to `to`. */
  headers(from: number, to: number): BlockHeader[] {
    return this.blocks.slice(from, to + 1).map((b) => b.block.header);
  }

  /** A copy of this chain up to `height`, to build another branch on. */
  fork(height: number): TestChain {
    return new TestChain(this.blocks.slice(0, height + 1));
  }

  /** Mines `count` more blocks on this chain. */
  extend(count: number, options: ExtendOptions = {}): this {
    for (let i = 0; i < count; i++) this.#mine(options);
    return this;
  }

  /** The coinbase output `index` of the block at `height`, as a coin to spend. */
  coin(height: number, index: number): Coin {
    const coinbase = this.blocks[height].block.transactions[0];
    return { txid: txid(coinbase), index, script: coinbase.outputs[index].pkScript };
  }

  #mine(options: ExtendOptions): void {
    const parent = this.tip;
    const height = parent.height + 1;
    const salt = options.salt ?? 0;
    const coinbase: Tx = {
      version: 1,
      inputs: [{
        previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
        // BIP 34: the height first; the salt keeps branches' coinbases apart.
        signatureScript: Uint8Array.of(
          4,
          height & 0xff,
          (height >> 8) & 0xff,
          (height >> 16) & 0xff,
          height >>> 24,
          4,
          salt & 0xff,
          (salt >> 8) & 0xff,
          (salt >> 16) & 0xff,
          salt >>> 24,
        ),
        sequence: 0xffffffff,
        witness: [],
      }],
      outputs: [
        { value: 50_0000_0000n, pkScript: p2wpkh(`miner ${height} ${salt}`) },
        ...(options.payTo?.(height) ?? []).map((pkScript) => ({ value: 1_0000n, pkScript })),
      ],
      lockTime: 0,
    };
    const transactions: Tx[] = [coinbase];
    const spent: Uint8Array[] = [];
    const coins = options.spend?.(height) ?? [];
    if (coins.length > 0) {
      transactions.push({
        version: 2,
        inputs: coins.map((c) => ({
          previousOutput: { hash: c.txid, index: c.index },
          signatureScript: new Uint8Array(0),
          sequence: 0xfffffffd,
          witness: [new Uint8Array(64), new Uint8Array(33).fill(2)],
        })),
        outputs: [{ value: 5_000n, pkScript: p2wpkh(`change ${height} ${salt}`) }],
        lockTime: 0,
      });
      spent.push(...coins.map((c) => c.script));
    }
    const header = {
      version: 0x20000000,
      prevBlock: parent.hash,
      merkleRoot: merkleRoot(transactions.map((tx) => txid(tx))),
      timestamp: parent.block.header.timestamp + 600,
      bits: 0x207fffff,
      nonce: 0,
    };
    let hash = blockHash(header);
    while (!checkProofOfWork(hash, header.bits, REGTEST.powLimit)) {
      header.nonce++;
      hash = blockHash(header);
    }
    const block: Block = { header, transactions };
    const filter = buildBasicFilter(block, spent);
    const entry: TestBlock = {
      height,
      hash,
      block,
      spent,
      filter,
      filterHeader: filterHeader(filterHash(filter), parent.filterHeader),
    };
    this.blocks.push(entry);
    this.#index.set(bytesToHex(hash), height);
  }
}
