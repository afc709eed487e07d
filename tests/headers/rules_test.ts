// The difficulty rules through a real HeaderChain on test networks whose pow limit can be hit:
// retargets (the factor-4 clamp, the 2,015-interval period), testnet's 20-minute rule and
// its walk back, BIP 94, and the version minimums. The rule code is the networks' own; only
// the pow limit, genesis and period length are changed so that the headers can be mined.
import { assert, assertEquals, assertNotEquals } from "@std/assert";
import {
  calculateNextWorkRequired,
  CHAIN_PARAMS,
  type ChainParams,
  compactToTarget,
  HeaderChain,
  medianTimePast,
  nextWorkRequired,
  targetToCompact,
} from "../../headers/mod.ts";
import { blockHash } from "../../wire/mod.ts";
import {
  FAR_FUTURE_MS,
  genesisOf,
  headersOf,
  mine,
  mineChain,
  type Mined,
  REGTEST,
  retargetParams,
} from "./_mine.ts";

const LIMIT_BITS = 0x207fffff;

function chainFor(params: ChainParams): HeaderChain {
  return new HeaderChain({ network: params, adjustedTime: FAR_FUTURE_MS });
}

/** Params with a genesis at `bits` (a real difficulty below the pow limit). */
function withGenesisBits(params: ChainParams, bits: number): ChainParams {
  const genesis = { ...params.genesis, bits };
  return { ...params, genesis, genesisHash: blockHash(genesis) };
}

/** Connects one header and returns the refusal code, if any. */
function add(chain: HeaderChain, mined: Mined): string | undefined {
  return chain.connect([mined.header]).error?.code;
}

Deno.test("mainnet retarget vectors through nextWorkRequired (a view of made-up history)", () => {
  const mainnet = CHAIN_PARAMS.mainnet;
  // Height 32,256: blocks 30,240 (first of the period) and 32,255 (last).
  const times = new Map([[30240, 1261130161], [32255, 1262152739]]);
  const view = { time: (h: number) => times.get(h) ?? 0, bits: () => 0x1d00ffff };
  assertEquals(nextWorkRequired(mainnet, 32255, 1262153464, view), 0x1d00d86a);
  // The period is measured from its first block (30,240 = 32,255 - 2,015), not from the last
  // block of the previous period: moving that block's time changes nothing.
  times.set(30239, 1);
  assertEquals(nextWorkRequired(mainnet, 32255, 1262153464, view), 0x1d00d86a);
  // Between retargets: the parent's bits, whatever the time.
  assertEquals(nextWorkRequired(mainnet, 32256, 1262153464 + 86400, view), 0x1d00ffff);
});

Deno.test("a retarget every 2,016 blocks measures 2,015 intervals", () => {
  const params = retargetParams(2016);
  const chain = chainFor(params);
  const G = genesisOf(params);
  // 2,015 headers, 300 s apart: the period took half its target time.
  const period = mineChain(params, G, 2015, { spacing: 300 });
  for (let i = 0; i < period.length; i += 2000) {
    assertEquals(chain.connect(headersOf(period.slice(i, i + 2000))).error, undefined);
  }
  const last = period[2014].header;
  const required = calculateNextWorkRequired(
    LIMIT_BITS,
    last.timestamp,
    G.header.timestamp,
    params,
  );
  assertEquals(last.timestamp - G.header.timestamp, 2015 * 300);
  // Measuring 2,016 intervals (from the block before the period) would give other bits.
  const offByOne = targetToCompact(
    compactToTarget(LIMIT_BITS).target * BigInt(2016 * 300) / BigInt(2016 * 600),
  );
  assertNotEquals(required, offByOne);
  assertEquals(add(chain, mine(params, period[2014], { bits: offByOne })), "bad-diffbits");
  assertEquals(add(chain, mine(params, period[2014], { bits: LIMIT_BITS })), "bad-diffbits");
  assertEquals(add(chain, mine(params, period[2014], { bits: required })), undefined);
  assertEquals(chain.height, 2016);
  assertEquals(chain.tip.header.bits, required);
});

Deno.test("retargets clamp to a factor of 4 and to the pow limit", () => {
  const params = retargetParams(20);
  const chain = chainFor(params);
  const G = genesisOf(params);
  // Period 1: 19 intervals of 1 s (MTP allows it): clamped to a quarter of the timespan.
  const fast = mineChain(params, G, 19, { spacing: 1 });
  assertEquals(chain.connect(headersOf(fast)).error, undefined);
  const quarter = targetToCompact(compactToTarget(LIMIT_BITS).target / 4n);
  assertEquals(
    add(
      chain,
      mine(params, fast[18], {
        bits: targetToCompact(compactToTarget(LIMIT_BITS).target * 19n / 12000n),
      }),
    ),
    "bad-diffbits",
  );
  const first2 = mine(params, fast[18], { bits: quarter });
  assertEquals(add(chain, first2), undefined);
  // Period 2: 19 intervals of an hour: four times easier, back to (at most) the limit.
  const slow = mineChain(params, first2, 19, { spacing: 3600 });
  assertEquals(chain.connect(headersOf(slow)).error, undefined);
  const back = calculateNextWorkRequired(
    quarter,
    slow[18].header.timestamp,
    first2.header.timestamp,
    params,
  );
  assertEquals(back, targetToCompact(compactToTarget(quarter).target * 4n));
  const first3 = mine(params, slow[18], { bits: back });
  assertEquals(add(chain, first3), undefined);
  // Period 3: slow again from near the limit: capped at the limit.
  const slower = mineChain(params, first3, 19, { spacing: 3600 });
  assertEquals(chain.connect(headersOf(slower)).error, undefined);
  assertEquals(add(chain, mine(params, slower[18], { bits: LIMIT_BITS })), undefined);
  assertEquals(chain.height, 60);
});

Deno.test("testnet's 20-minute rule and the walk back to the last real difficulty", async (t) => {
  const params = withGenesisBits(
    retargetParams(20, { name: "testnet-like", allowMinDifficultyBlocks: true }),
    0x2000ffff,
  );
  const REAL = 0x2000ffff;
  const chain = chainFor(params);
  let tip = genesisOf(params);
  const next = (spacing: number, bits: number) =>
    mine(params, tip, { time: tip.header.timestamp + spacing, bits });
  await t.step("within 20 minutes: the real difficulty", () => {
    assertEquals(add(chain, next(600, LIMIT_BITS)), "bad-diffbits");
    const h1 = next(1200, REAL); // exactly 20 minutes is not "more than"
    assertEquals(add(chain, h1), undefined);
    tip = h1;
  });
  await t.step("more than 20 minutes after its parent: the pow limit, and only it", () => {
    assertEquals(add(chain, next(1201, REAL)), "bad-diffbits");
    const h2 = next(1201, LIMIT_BITS);
    assertEquals(add(chain, h2), undefined);
    tip = h2;
  });
  await t.step("after a run of min-difficulty blocks: the last real block's difficulty", () => {
    for (let i = 0; i < 6; i++) {
      const h = next(1201, LIMIT_BITS);
      assertEquals(add(chain, h), undefined);
      tip = h;
    }
    // Parent and its predecessors back to height 2 are at the limit; height 1 is real.
    assertEquals(add(chain, next(600, LIMIT_BITS)), "bad-diffbits");
    const real = next(600, REAL);
    assertEquals(add(chain, real), undefined);
    tip = real;
    assertEquals(chain.height, 9);
  });
  await t.step("the walk back stops at a period's first block", () => {
    // Fill the period with min-difficulty blocks up to height 19.
    while (chain.height < 19) {
      const h = next(1201, LIMIT_BITS);
      assertEquals(add(chain, h), undefined);
      tip = h;
    }
    // Height 20 retargets from the last block's bits (the limit: testnet3's weakness, which
    // BIP 94 fixes): the limit again.
    const required = calculateNextWorkRequired(
      LIMIT_BITS,
      tip.header.timestamp,
      params.genesis.timestamp,
      params,
    );
    assertEquals(required, LIMIT_BITS);
    const h20 = next(600, required);
    assertEquals(add(chain, h20), undefined);
    tip = h20;
    // Height 21 within 20 minutes: the walk back stops at 20 (a period start) and takes its bits.
    assertEquals(add(chain, next(600, REAL)), "bad-diffbits");
    assertEquals(add(chain, next(600, LIMIT_BITS)), undefined);
  });
});

Deno.test("BIP 94 (testnet4): the retarget scales the first block's target; the time-warp rule", async (t) => {
  const base = retargetParams(20, { name: "testnet4-like", allowMinDifficultyBlocks: true });
  const REAL = 0x2000ffff;
  /** A period: real difficulty, then min-difficulty blocks up to its last block. */
  function period(params: ChainParams): { chain: HeaderChain; tip: Mined } {
    const chain = chainFor(params);
    let tip = genesisOf(params);
    for (let h = 1; h < 20; h++) {
      const late = h >= 15;
      tip = mine(params, tip, {
        time: tip.header.timestamp + (late ? 1201 : 600),
        bits: late ? LIMIT_BITS : REAL,
      });
      assertEquals(add(chain, tip), undefined, `height ${h}`);
    }
    return { chain, tip };
  }
  await t.step("testnet4 retargets from the period's first block, testnet3 from its last", () => {
    const bip94 = withGenesisBits({ ...base, enforceBip94: true }, REAL);
    const legacy = withGenesisBits({ ...base, enforceBip94: false }, REAL);
    const a = period(bip94);
    const b = period(legacy);
    const first = bip94.genesis.timestamp;
    const fromFirst = calculateNextWorkRequired(REAL, a.tip.header.timestamp, first, bip94);
    const fromLast = calculateNextWorkRequired(LIMIT_BITS, b.tip.header.timestamp, first, legacy);
    assertNotEquals(fromFirst, fromLast);
    assertEquals(add(a.chain, mine(bip94, a.tip, { bits: fromLast })), "bad-diffbits");
    assertEquals(add(a.chain, mine(bip94, a.tip, { bits: fromFirst })), undefined);
    assertEquals(add(b.chain, mine(legacy, b.tip, { bits: fromFirst })), "bad-diffbits");
    assertEquals(add(b.chain, mine(legacy, b.tip, { bits: fromLast })), undefined);
  });
  await t.step("a period's first block may be at most 600 s before its parent", () => {
    const bip94 = withGenesisBits({ ...base, enforceBip94: true }, REAL);
    const { chain, tip } = period(bip94);
    const bits = calculateNextWorkRequired(
      REAL,
      tip.header.timestamp,
      bip94.genesis.timestamp,
      bip94,
    );
    const mtp = medianTimePast(
      { time: (h) => chain.entryAt(h)!.header.timestamp, bits: () => 0 },
      19,
    );
    assert(tip.header.timestamp - 601 > mtp, "the test's times leave room above the MTP");
    const warped = mine(bip94, tip, { time: tip.header.timestamp - 601, bits });
    const r = chain.connect([warped.header]);
    assertEquals([r.error?.code, r.error?.misbehaving], ["time-timewarp-attack", true]);
    const edge = mine(bip94, tip, { time: tip.header.timestamp - 600, bits });
    assertEquals(add(chain, edge), undefined);
    // Only a period's first block: inside a period, the median time past is the only floor.
    const inside = mine(bip94, edge, { time: edge.header.timestamp - 3000, bits });
    assertEquals(add(chain, inside), undefined);
  });
  await t.step("without BIP 94 the same header is accepted", () => {
    const legacy = withGenesisBits({ ...base, enforceBip94: false }, REAL);
    const { chain, tip } = period(legacy);
    const bits = calculateNextWorkRequired(
      LIMIT_BITS,
      tip.header.timestamp,
      legacy.genesis.timestamp,
      legacy,
    );
    assertEquals(
      add(chain, mine(legacy, tip, { time: tip.header.timestamp - 601, bits })),
      undefined,
    );
  });
});

Deno.test("version minimums start at their heights (BIP 34, 66, 65)", () => {
  const params = { ...REGTEST, bip34Height: 3, bip66Height: 5, bip65Height: 7 };
  const chain = chainFor(params);
  let tip = genesisOf(params);
  const expectations: [number, number, string | undefined][] = [
    // [height, version, refusal]
    [1, 1, undefined],
    [2, 1, undefined],
    [3, 1, "bad-version"],
    [3, 2, undefined],
    [4, 2, undefined],
    [5, 2, "bad-version"],
    [5, 3, undefined],
    [6, 3, undefined],
    [7, 3, "bad-version"],
    [7, 4, undefined],
    [8, 0x20000000, undefined],
  ];
  for (const [height, version, code] of expectations) {
    const m = mine(params, tip, { version });
    assertEquals(chain.height + 1, height);
    assertEquals(add(chain, m), code, `height ${height} version ${version}`);
    if (code === undefined) tip = m;
  }
});

Deno.test("signet retargets like mainnet, within its own limit", () => {
  // Signet's header rules are mainnet's with another pow limit; its genesis difficulty is
  // the limit, and a quick period makes the next one harder.
  const signet = CHAIN_PARAMS.signet;
  const view = {
    time: (h: number) => (h === 0 ? 1598918400 : 1598918400 + 2015 * 300),
    bits: () => 0x1e0377ae,
  };
  const bits = nextWorkRequired(signet, 2015, 1598918400 + 2016 * 300, view);
  // 2,015 intervals of 300 s: a little under half the two weeks.
  assertEquals(bits, targetToCompact(compactToTarget(0x1e0377ae).target * 604500n / 1209600n));
  // Slow: capped at the limit.
  const slowView = { time: (h: number) => (h === 0 ? 0 : 2015 * 3000), bits: () => 0x1e0377ae };
  assertEquals(nextWorkRequired(signet, 2015, 2016 * 3000, slowView), 0x1e0377ae);
});
