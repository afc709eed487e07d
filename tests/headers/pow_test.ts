// Compact targets, work and proof of work against Bitcoin Core's own vectors
// (arith_uint256_tests `bignum_SetCompact`, pow_tests), the genesis blocks of every network
// rebuilt from their coinbase, and the headers of real mainnet blocks.
import { assert, assertEquals } from "@std/assert";
import {
  blockProof,
  calculateNextWorkRequired,
  CHAIN_PARAMS,
  checkProofOfWork,
  compactToTarget,
  difficultyAdjustmentInterval,
  hashToBigInt,
  permittedDifficultyTransition,
  powLimitBits,
  targetToCompact,
} from "../../headers/mod.ts";
import {
  blockHash,
  decodeBlockHeader,
  hashToHex,
  hexToBytes,
  hexToHash,
  type Tx,
  txid,
} from "../../wire/mod.ts";
import { dataTest, readShared } from "../_util/shared_data.ts";

const mainnet = CHAIN_PARAMS.mainnet;

Deno.test("SetCompact / GetCompact: Core's arith_uint256 vectors", async (t) => {
  // [compact, target hex, GetCompact (with the negative flag when set), negative, overflow]
  const vectors: [number, string, number, boolean, boolean][] = [
    [0, "0", 0, false, false],
    [0x00123456, "0", 0, false, false],
    [0x01003456, "0", 0, false, false],
    [0x02000056, "0", 0, false, false],
    [0x03000000, "0", 0, false, false],
    [0x04000000, "0", 0, false, false],
    [0x00923456, "0", 0, false, false],
    [0x01803456, "0", 0, false, false],
    [0x02800056, "0", 0, false, false],
    [0x03800000, "0", 0, false, false],
    [0x04800000, "0", 0, false, false],
    [0x01123456, "12", 0x01120000, false, false],
    [0x01fedcba, "7e", 0x01fe0000, true, false],
    [0x02123456, "1234", 0x02123400, false, false],
    [0x03123456, "123456", 0x03123456, false, false],
    [0x04123456, "12345600", 0x04123456, false, false],
    [0x04923456, "12345600", 0x04923456, true, false],
    [0x05009234, "92340000", 0x05009234, false, false],
    [0x20123456, "123456" + "0".repeat(58), 0x20123456, false, false],
  ];
  for (const [compact, hex, back, negative, overflow] of vectors) {
    await t.step(`0x${compact.toString(16).padStart(8, "0")}`, () => {
      const decoded = compactToTarget(compact);
      assertEquals(decoded.target, BigInt("0x" + hex));
      assertEquals(decoded.negative, negative);
      assertEquals(decoded.overflow, overflow);
      assertEquals(targetToCompact(decoded.target, negative), back);
    });
  }
  await t.step("0xff123456 overflows", () => {
    const decoded = compactToTarget(0xff123456);
    assertEquals([decoded.negative, decoded.overflow], [false, true]);
  });
  await t.step("a compact never carries the sign bit: 0x80 encodes as 0x02008000", () => {
    assertEquals(targetToCompact(0x80n), 0x02008000);
  });
  await t.step("every network's pow limit round-trips through its compact form", () => {
    const expected = {
      mainnet: 0x1d00ffff,
      testnet3: 0x1d00ffff,
      testnet4: 0x1d00ffff,
      signet: 0x1e0377ae,
      regtest: 0x207fffff,
      simnet: 0x207fffff,
    };
    for (const [name, params] of Object.entries(CHAIN_PARAMS)) {
      assertEquals(powLimitBits(params), expected[name as keyof typeof expected], name);
      // The compact limit decodes to at most the limit (it is what min-difficulty blocks carry).
      assert(compactToTarget(powLimitBits(params)).target <= params.powLimit, name);
    }
  });
});

Deno.test("blockProof: 2^256 / (target + 1), nothing for invalid targets", () => {
  assertEquals(blockProof(0x1d00ffff), (1n << 256n) / ((0xffffn << 208n) + 1n));
  assertEquals(blockProof(0x1d00ffff), 4295032833n);
  assertEquals(blockProof(0x207fffff), 2n);
  assertEquals(blockProof(0), 0n);
  assertEquals(blockProof(0x04923456), 0n, "negative");
  assertEquals(blockProof(0xff123456), 0n, "overflow");
  // A target of 1 (size 1, mantissa 1): half of all hashes... of 2^256.
  assertEquals(blockProof(0x01010000), 1n << 255n);
});

Deno.test("CheckProofOfWork: Core's pow_tests cases", async (t) => {
  const one = new Uint8Array(32);
  one[0] = 1;
  await t.step("negative target", () => {
    assert(!checkProofOfWork(one, targetToCompact(mainnet.powLimit, true), mainnet.powLimit));
  });
  await t.step("overflowing target", () => {
    assert(!checkProofOfWork(one, ~0x00800000 >>> 0, mainnet.powLimit));
  });
  await t.step("target easier than the pow limit", () => {
    assert(!checkProofOfWork(one, targetToCompact(mainnet.powLimit * 2n), mainnet.powLimit));
  });
  await t.step("hash bigger than the target", () => {
    const target = mainnet.powLimit >> 1n;
    const hash = hexToHash((target * 2n).toString(16).padStart(64, "0"));
    assertEquals(hashToBigInt(hash), target * 2n);
    assert(!checkProofOfWork(hash, targetToCompact(target), mainnet.powLimit));
  });
  await t.step("zero target", () => {
    assert(!checkProofOfWork(new Uint8Array(32), 0, mainnet.powLimit));
  });
  await t.step("a hash equal to the target passes", () => {
    const target = compactToTarget(0x1d00ffff).target;
    const hash = hexToHash(target.toString(16).padStart(64, "0"));
    assert(checkProofOfWork(hash, 0x1d00ffff, mainnet.powLimit));
    const above = hexToHash((target + 1n).toString(16).padStart(64, "0"));
    assert(!checkProofOfWork(above, 0x1d00ffff, mainnet.powLimit));
  });
});

Deno.test("CalculateNextWorkRequired and PermittedDifficultyTransition: Core's pow_tests", async (t) => {
  // [name, first block time, last block height, last time, last bits, expected]
  const vectors: [string, number, number, number, number, number][] = [
    // Block 32,255's period: the first retarget below difficulty 1, at height 32,256.
    ["get_next_work", 1261130161, 32255, 1262152739, 0x1d00ffff, 0x1d00d86a],
    // Blocks 0 to 2,015 took longer than two weeks: capped at the pow limit.
    ["get_next_work_pow_limit", 1231006505, 2015, 1233061996, 0x1d00ffff, 0x1d00ffff],
    // Blocks 66,528 to 68,543 took 3.35 days: clamped to a quarter.
    ["get_next_work_lower_limit_actual", 1279008237, 68543, 1279297671, 0x1c05a3f4, 0x1c0168fd],
    // Ten weeks (made up first time): clamped to four times.
    ["get_next_work_upper_limit_actual", 1263163443, 46367, 1269211443, 0x1c387f6f, 0x1d00e1fd],
  ];
  for (const [name, firstTime, height, lastTime, bits, expected] of vectors) {
    await t.step(name, () => {
      assertEquals(calculateNextWorkRequired(bits, lastTime, firstTime, mainnet), expected);
      assert(permittedDifficultyTransition(mainnet, height + 1, bits, expected));
    });
  }
  await t.step("one past the clamp is not a permitted transition", () => {
    assert(!permittedDifficultyTransition(mainnet, 46368, 0x1c387f6f, 0x1d00e1fd + 1));
    assert(!permittedDifficultyTransition(mainnet, 68544, 0x1c05a3f4, 0x1c0168fd - 1));
  });
  await t.step("between retargets bits may not change", () => {
    assert(permittedDifficultyTransition(mainnet, 32257, 0x1d00d86a, 0x1d00d86a));
    assert(!permittedDifficultyTransition(mainnet, 32257, 0x1d00d86a, 0x1d00d86b));
  });
  await t.step("testnet's rule permits anything", () => {
    assert(permittedDifficultyTransition(CHAIN_PARAMS.testnet3, 5, 0x1d00ffff, 0x1c00ffff));
  });
  await t.step("regtest never retargets", () => {
    assertEquals(
      calculateNextWorkRequired(0x207fffff, 2_000_000_000, 1_000_000_000, CHAIN_PARAMS.regtest),
      0x207fffff,
    );
  });
  await t.step("the largest target times four timespans does not overflow 256 bits", () => {
    // Core's chainparams sanity check, on which computing retargets exactly (rather than in
    // wrapping 256-bit arithmetic) relies; regtest does not retarget and simnet is btcd's.
    for (
      const params of [mainnet, CHAIN_PARAMS.testnet3, CHAIN_PARAMS.testnet4, CHAIN_PARAMS.signet]
    ) {
      const timespan = BigInt(params.targetTimespanMs / 1000);
      assert(params.powLimit * timespan * 4n < 1n << 256n, params.name);
    }
  });
  await t.step("the retarget interval", () => {
    assertEquals(difficultyAdjustmentInterval(mainnet), 2016);
    assertEquals(difficultyAdjustmentInterval(CHAIN_PARAMS.signet), 2016);
    assertEquals(difficultyAdjustmentInterval(CHAIN_PARAMS.regtest), 144);
  });
});

/** Bitcoin Core's CreateGenesisBlock: the coinbase's txid is the genesis merkle root. */
function genesisCoinbase(message: string, outputScript: Uint8Array): Tx {
  const text = new TextEncoder().encode(message);
  // 486604799 (04 ffff001d), CScriptNum(4) (01 04), then the message as one push.
  const push = text.length <= 75 ? [text.length] : [0x4c, text.length];
  const scriptSig = new Uint8Array([0x04, 0xff, 0xff, 0x00, 0x1d, 0x01, 0x04, ...push, ...text]);
  return {
    version: 1,
    inputs: [{
      previousOutput: { hash: new Uint8Array(32), index: 0xffffffff },
      signatureScript: scriptSig,
      sequence: 0xffffffff,
      witness: [],
    }],
    outputs: [{ value: 50n * 100_000_000n, pkScript: outputScript }],
    lockTime: 0,
  };
}

Deno.test("genesis blocks: rebuilt from the coinbase, hashed, proof of work", async (t) => {
  const satoshi = genesisCoinbase(
    "The Times 03/Jan/2009 Chancellor on brink of second bailout for banks",
    hexToBytes(
      "41" +
        "04678afdb0fe5548271967f1a67130b7105cd6a828e03909a67962e0ea1f61deb649f6bc3f4cef38c4f35504e51ec112de5c384df7ba0b8d578a4c702b6bf11d5f" +
        "ac",
    ),
  );
  const testnet4 = genesisCoinbase(
    "03/May/2024 000000000000000000001ebd58c244970b3aa9d783bb001011fbe8ea8e98e00e",
    hexToBytes("21" + "00".repeat(33) + "ac"),
  );
  const hashes = {
    mainnet: "000000000019d6689c085ae165831e934ff763ae46a2a6c172b3f1b60a8ce26f",
    testnet3: "000000000933ea01ad0ee984209779baaec3ced90fa3f408719526f8d77f4943",
    testnet4: "00000000da84f2bafbbc53dee25a72ae507ff4914b867c565be350b0da8bf043",
    signet: "00000008819873e925422c1ff0f99f7cc9bbb232af63a077a480a3633bee1ef6",
    regtest: "0f9188f13cb7b2c71f2a335e3a4fc328bf5beb436012afca590b1a11466e2206",
    simnet: "683e86bd5c6d110d91b94b97137ba6bfe02dbbdb8e3dff722a669b5d69d77af6",
  };
  for (const [name, params] of Object.entries(CHAIN_PARAMS)) {
    await t.step(name, () => {
      const coinbase = name === "testnet4" ? testnet4 : satoshi;
      assertEquals(hashToHex(params.genesis.merkleRoot), hashToHex(txid(coinbase)));
      assertEquals(hashToHex(blockHash(params.genesis)), hashes[name as keyof typeof hashes]);
      assertEquals(params.genesisHash, blockHash(params.genesis));
      assert(checkProofOfWork(params.genesisHash, params.genesis.bits, params.powLimit));
    });
  }
});

Deno.test(dataTest("real mainnet headers pass proof of work; a changed nonce fails", () => {
  for (
    const name of [
      "block-0000000000000000001602407ac49862a7bca9d00f7f402db20b7be2f5de59d2.blk",
      "block-00000000000000000021868c2cefc52a480d173c849412fe81c4e5ab806f94ab.blk",
    ]
  ) {
    const header = decodeBlockHeader(readShared(name).subarray(0, 80));
    const hash = blockHash(header);
    assertEquals(`block-${hashToHex(hash)}.blk`, name);
    assert(checkProofOfWork(hash, header.bits, mainnet.powLimit));
    // Modern blocks: far below the pow limit, and their work is what their bits say.
    assert(blockProof(header.bits) > 10n ** 22n);
    const tampered = blockHash({
      version: header.version,
      prevBlock: header.prevBlock,
      merkleRoot: header.merkleRoot,
      timestamp: header.timestamp,
      bits: header.bits,
      nonce: (header.nonce + 1) >>> 0,
    });
    assert(!checkProofOfWork(tampered, header.bits, mainnet.powLimit));
  }
}));
