// HeaderChain: connecting, refusing (with the reason), branches and reorganizations, the
// events that report them, locators.
import { assert, assertEquals, assertInstanceOf, assertRejects } from "@std/assert";
import {
  type ChainEvent,
  HeaderChain,
  type HeaderChainOptions,
  HeaderError,
} from "../../headers/mod.ts";
import { type BlockHeader, bytesToHex, hashToHex } from "../../wire/mod.ts";
import {
  FAR_FUTURE_MS,
  genesisOf,
  headersOf,
  mine,
  mineChain,
  type Mined,
  REGTEST,
} from "./_mine.ts";

function regtestChain(options: HeaderChainOptions = {}): HeaderChain {
  return new HeaderChain({ network: "regtest", adjustedTime: FAR_FUTURE_MS, ...options });
}

const G = genesisOf(REGTEST);

/** Reads every event already emitted (the chain is closed first). */
async function drain(chain: HeaderChain, events: ReadableStream<ChainEvent>) {
  await chain.close();
  return await Array.fromAsync(events);
}

Deno.test("connect: a chain of mined regtest headers becomes the best chain", () => {
  const chain = regtestChain();
  const blocks = mineChain(REGTEST, G, 50);
  const r = chain.connect(headersOf(blocks));
  assertEquals(r.error, undefined);
  assertEquals([r.accepted, r.known, r.tipChanged], [50, 0, true]);
  assertEquals(r.last?.height, 50);
  assertEquals(r.last?.hash, blocks[49].hash);
  assertEquals(chain.height, 50);
  assertEquals(chain.tip.hash, blocks[49].hash);
  assertEquals(chain.tipWork, 2n * 51n, "regtest blocks prove 2 each, genesis included");
  for (let h = 1; h <= 50; h++) {
    assertEquals(chain.hashAt(h), blocks[h - 1].hash);
    assertEquals(chain.heightOf(blocks[h - 1].hash), h);
    assertEquals(chain.entryAt(h)?.header.nonce, blocks[h - 1].header.nonce);
    assertEquals(chain.workAt(h), 2n * BigInt(h + 1));
  }
  assertEquals(chain.hashAt(51), undefined);
  assertEquals(chain.entryAt(-1), undefined);
});

Deno.test("connect: headers already held are skipped, and the rest connected", () => {
  const chain = regtestChain();
  const blocks = mineChain(REGTEST, G, 30);
  chain.connect(headersOf(blocks.slice(0, 20)));
  const again = chain.connect(headersOf(blocks.slice(0, 10)));
  assertEquals([again.accepted, again.known, again.tipChanged], [0, 10, false]);
  assertEquals(again.last?.height, 10);
  const overlap = chain.connect(headersOf(blocks.slice(15)));
  assertEquals([overlap.accepted, overlap.known, overlap.error], [10, 5, undefined]);
  assertEquals(chain.height, 30);
});

Deno.test("connect refuses, with the reason", async (t) => {
  const blocks = mineChain(REGTEST, G, 5);
  await t.step("a batch of more than 2,000: too-many-headers, misbehaving", () => {
    const r = regtestChain().connect(new Array<BlockHeader>(2001).fill(blocks[0].header));
    assertEquals(r.error?.code, "too-many-headers");
    assertEquals(r.error?.misbehaving, true);
  });
  await t.step("an unknown parent: bad-prevblk, not misbehaving", () => {
    const r = regtestChain().connect(headersOf(blocks.slice(2)));
    assertEquals([r.error?.code, r.error?.index, r.error?.misbehaving], ["bad-prevblk", 0, false]);
    assertEquals(r.accepted, 0);
  });
  await t.step("a batch that is not a chain: non-continuous, nothing stored", () => {
    const chain = regtestChain();
    const r = chain.connect([blocks[0].header, blocks[1].header, blocks[3].header]);
    assertEquals([r.error?.code, r.error?.index, r.error?.misbehaving], [
      "non-continuous",
      2,
      true,
    ]);
    assertEquals(chain.height, 0);
  });
  await t.step("a header that fails proof of work: bad-pow, the whole batch refused", () => {
    const chain = regtestChain();
    const bad = mine(REGTEST, blocks[2], { invalidPow: true });
    const r = chain.connect([...headersOf(blocks.slice(0, 3)), bad.header]);
    assertEquals([r.error?.code, r.error?.index, r.error?.misbehaving], ["bad-pow", 3, true]);
    assertEquals(r.error?.hash, bad.hash);
    assertEquals(chain.height, 0, "Core's CheckHeadersPoW refuses the message before storing any");
  });
  await t.step("a header with bits easier than the pow limit: bad-pow", () => {
    const chain = regtestChain();
    const bad = mine(REGTEST, G, { bits: 0x2100ffff, invalidPow: true });
    assertEquals(chain.connect([bad.header]).error?.code, "bad-pow");
  });
  await t.step("a header whose bits are not the required ones: bad-diffbits, earlier kept", () => {
    const chain = regtestChain();
    const harder = mine(REGTEST, blocks[1], { bits: 0x2000ffff });
    const r = chain.connect([...headersOf(blocks.slice(0, 2)), harder.header]);
    assertEquals([r.error?.code, r.error?.index, r.error?.height], ["bad-diffbits", 2, 3]);
    assertEquals([r.accepted, chain.height], [2, 2], "headers before the refused one stay");
    assertInstanceOf(r.error, HeaderError);
    assert(r.error.message.includes("0x2000ffff"), r.error.message);
  });
  await t.step("a version below BIP 34/66/65's minimum: bad-version", () => {
    for (const version of [1, 2, 3]) {
      const r = regtestChain().connect([mine(REGTEST, G, { version }).header]);
      assertEquals(r.error?.code, "bad-version", `version ${version}`);
    }
    assertEquals(
      regtestChain().connect([mine(REGTEST, G, { version: 4 }).header]).error,
      undefined,
    );
    // Negative versions (top bit set) are below 4 too.
    const negative = mine(REGTEST, G, { version: -0x20000000 });
    assertEquals(regtestChain().connect([negative.header]).error?.code, "bad-version");
  });
});

Deno.test("the median time past rule, on the boundary", () => {
  // Eleven headers at known times; the twelfth must be strictly after their median.
  const times = [100, 90, 80, 70, 60, 50, 40, 30, 20, 10, 0].map((d) =>
    G.header.timestamp + 1000 - d
  );
  const blocks: Mined[] = [];
  let prev = G;
  for (const time of times) blocks.push(prev = mine(REGTEST, prev, { time }));
  const chain = regtestChain();
  assertEquals(chain.connect(headersOf(blocks)).error, undefined);
  const median = [...times].sort((a, b) => a - b)[5];
  const atMedian = mine(REGTEST, prev, { time: median });
  const r = chain.connect([atMedian.header]);
  assertEquals([r.error?.code, r.error?.misbehaving], ["time-too-old", true]);
  const after = mine(REGTEST, prev, { time: median + 1 });
  assertEquals(chain.connect([after.header]).error, undefined);
});

Deno.test("the two-hour future limit, on the boundary, against the adjusted time", () => {
  let now = (G.header.timestamp + 10_000) * 1000;
  const chain = regtestChain({ adjustedTime: () => now });
  const limit = G.header.timestamp + 10_000 + 7200;
  const tooNew = mine(REGTEST, G, { time: limit + 1 });
  const r = chain.connect([tooNew.header]);
  assertEquals([r.error?.code, r.error?.misbehaving], ["time-too-new", false]);
  // A second later (the adjusted time moved), the same header is exactly two hours ahead:
  // fine.
  now += 1000;
  assertEquals(chain.connect([tooNew.header]).error, undefined);
  // A fixed adjusted time works too.
  const fixed = regtestChain({ adjustedTime: (G.header.timestamp + 600 - 7200) * 1000 });
  assertEquals(fixed.connect([mine(REGTEST, G).header]).error, undefined);
  assertEquals(
    fixed.connect([mine(REGTEST, G, { time: G.header.timestamp + 601 }).header]).error?.code,
    "time-too-new",
  );
});

Deno.test("reorganizing to a heavier branch, with the event", async () => {
  const chain = regtestChain();
  const events = chain.events();
  const common = mineChain(REGTEST, G, 5);
  const a = mineChain(REGTEST, common[4], 3, { salt: 1 });
  const b = mineChain(REGTEST, common[4], 4, { salt: 2 });
  chain.connect(headersOf([...common, ...a]));
  assertEquals(chain.tip.hash, a[2].hash);
  // b's first three headers tie with a: stored on the side, tip unchanged.
  const tie = chain.connect(headersOf(b.slice(0, 3)));
  assertEquals([tie.accepted, tie.tipChanged, chain.sideHeaders], [3, false, 3]);
  assertEquals(chain.tip.hash, a[2].hash, "equal work keeps the first seen");
  assert(chain.has(b[2].hash));
  assertEquals(chain.heightOf(b[2].hash), undefined, "not on the best chain");
  // Its fourth makes it heavier.
  const heavier = chain.connect([b[3].header]);
  assertEquals([heavier.accepted, heavier.tipChanged], [1, true]);
  assertEquals(chain.height, 9);
  assertEquals(chain.tip.hash, b[3].hash);
  assertEquals(chain.sideHeaders, 3, "a's headers are kept off the best chain");
  for (let i = 0; i < 4; i++) assertEquals(chain.hashAt(6 + i), b[i].hash);
  assertEquals(chain.tipWork, 2n * 10n);
  assertEquals(chain.lookup(a[2].hash)?.best, false);
  assertEquals(chain.lookup(a[2].hash)?.work, 2n * 9n);

  const seen = await drain(chain, events);
  assertEquals(seen.map((e) => e.type), ["tip", "reorg"]);
  const [grow, reorg] = seen;
  assertEquals(grow.added.map((e) => e.height), [1, 2, 3, 4, 5, 6, 7, 8]);
  assert(reorg.type === "reorg");
  assertEquals(reorg.fork.height, 5);
  assertEquals(reorg.fork.hash, common[4].hash);
  assertEquals(reorg.removed.map((e) => hashToHex(e.hash)), a.map((m) => hashToHex(m.hash)));
  assertEquals(reorg.removed.map((e) => e.height), [6, 7, 8]);
  assertEquals(reorg.added.map((e) => hashToHex(e.hash)), b.map((m) => hashToHex(m.hash)));
  assertEquals(reorg.added.map((e) => e.header.nonce), b.map((m) => m.header.nonce));
  assertEquals(reorg.tip.height, 9);
  assertEquals(reorg.work, 20n);
});

Deno.test("a branch that overtakes within one batch, and a reorg back", async () => {
  const chain = regtestChain();
  const events = chain.events();
  const a = mineChain(REGTEST, G, 10, { salt: 1 });
  const b = mineChain(REGTEST, G, 12, { salt: 2 });
  chain.connect(headersOf(a));
  const r = chain.connect(headersOf(b));
  assertEquals([r.accepted, r.tipChanged, chain.height], [12, true, 12]);
  // a grows past b again, from its stored side branch.
  const a2 = mineChain(REGTEST, a[9], 3, { salt: 1 });
  const back = chain.connect(headersOf(a2));
  assertEquals([back.accepted, back.tipChanged, chain.height], [3, true, 13]);
  assertEquals(chain.tip.hash, a2[2].hash);
  assertEquals(chain.sideHeaders, 12);
  const seen = await drain(chain, events);
  assertEquals(seen.map((e) => e.type), ["tip", "reorg", "reorg"]);
  const last = seen[2];
  assert(last.type === "reorg");
  assertEquals(last.fork.height, 0);
  assertEquals(last.removed.length, 12);
  assertEquals(last.added.map((e) => e.hash), [...a, ...a2].map((m) => m.hash));
});

Deno.test("locator: Core's GetLocator, from the tip or a side header; findFork", () => {
  const chain = regtestChain();
  const blocks = mineChain(REGTEST, G, 100);
  chain.connect(headersOf(blocks));
  const heights = chain.locator().map((h) => chain.heightOf(h));
  // Eleven one apart (the step doubles once eleven are in), then 1, 2, 4... apart.
  assertEquals(heights, [100, 99, 98, 97, 96, 95, 94, 93, 92, 91, 90, 89, 87, 83, 75, 59, 27, 0]);
  const side = mineChain(REGTEST, blocks[49], 2, { salt: 5 });
  chain.connect(headersOf(side));
  const fromSide = chain.locator(side[1].hash);
  assertEquals(fromSide[0], side[1].hash);
  assertEquals(fromSide[1], side[0].hash);
  assertEquals(fromSide.slice(2, 5).map((h) => chain.heightOf(h)), [50, 49, 48]);
  assertEquals(fromSide.at(-1), REGTEST.genesisHash);
  assertEquals(chain.locator(new Uint8Array(32)), chain.locator(), "unknown: from the tip");
  assertEquals(chain.findFork(fromSide), 50);
  assertEquals(chain.findFork([new Uint8Array(32)]), 0);
  assertEquals(chain.findFork(chain.locator()), 100);
});

Deno.test("checkpoints: a mismatching header and a fork below the last one are refused", async (t) => {
  const blocks = mineChain(REGTEST, G, 30);
  const params = {
    ...REGTEST,
    checkpoints: [{ height: 10, hash: blocks[9].hash }, { height: 20, hash: blocks[19].hash }],
  };
  await t.step("checkpoint-mismatch", () => {
    const chain = new HeaderChain({ network: params, adjustedTime: FAR_FUTURE_MS });
    const other = mineChain(REGTEST, G, 10, { salt: 9 });
    const r = chain.connect(headersOf(other));
    assertEquals([r.error?.code, r.error?.height, r.error?.misbehaving], [
      "checkpoint-mismatch",
      10,
      true,
    ]);
    assertEquals(chain.height, 9);
  });
  await t.step("fork-below-checkpoint, once the chain has the checkpoint", () => {
    const chain = new HeaderChain({ network: params, adjustedTime: FAR_FUTURE_MS });
    chain.connect(headersOf(blocks.slice(0, 25)));
    // Forking at 15 (a new header at 16 < 20): refused, however much work it brings.
    const deep = mineChain(REGTEST, blocks[14], 20, { salt: 3 });
    const r = chain.connect(headersOf(deep));
    assertEquals([r.error?.code, r.error?.index, r.error?.misbehaving], [
      "fork-below-checkpoint",
      0,
      true,
    ]);
    assertEquals(chain.sideHeaders, 0);
    // Forking at the checkpoint itself is allowed.
    const atCheckpoint = mineChain(REGTEST, blocks[19], 8, { salt: 3 });
    const ok = chain.connect(headersOf(atCheckpoint));
    assertEquals([ok.error, ok.tipChanged, chain.height], [undefined, true, 28]);
  });
});

Deno.test("low-work: a branch far below the tip's work is not stored", () => {
  const chain = regtestChain();
  const blocks = mineChain(REGTEST, G, 200);
  chain.connect(headersOf(blocks));
  // Threshold: the tip's work less 144 blocks' (Core's GetAntiDoSWorkThreshold).
  assertEquals(chain.antiDosWorkThreshold(), 2n * (201n - 144n));
  // A branch from height 20 with 20 headers reaches work 2 * 41 < 2 * 57.
  const low = mineChain(REGTEST, blocks[19], 20, { salt: 4 });
  const r = chain.connect(headersOf(low));
  assertEquals([r.error?.code, r.error?.misbehaving, r.accepted], ["low-work", false, 0]);
  assertEquals(chain.sideHeaders, 0);
  // With 37 headers it reaches 2 * 58: stored, on the side.
  const enough = mineChain(REGTEST, blocks[19], 37, { salt: 4 });
  const stored = chain.connect(headersOf(enough));
  assertEquals([stored.error, stored.accepted, chain.sideHeaders], [undefined, 37, 37]);
});

Deno.test("minimum chain work: nothing is stored below it", () => {
  const params = { ...REGTEST, minimumChainWork: 2n * 100n };
  const chain = new HeaderChain({ network: params, adjustedTime: FAR_FUTURE_MS });
  const blocks = mineChain(REGTEST, G, 120);
  const low = chain.connect(headersOf(blocks.slice(0, 98)));
  assertEquals([low.error?.code, chain.height], ["low-work", 0]);
  assertEquals(chain.connect(headersOf(blocks.slice(0, 99))).error, undefined, "work 2 * 100");
  assertEquals(chain.height, 99);
});

Deno.test("side branches are capped: the least-work branches go first", () => {
  const chain = regtestChain({ maxSideHeaders: 10 });
  const main = mineChain(REGTEST, G, 20);
  chain.connect(headersOf(main));
  const weak = mineChain(REGTEST, main[9], 6, { salt: 1 }); // work up to 2 * 17
  const strong = mineChain(REGTEST, main[14], 5, { salt: 2 }); // up to 2 * 21 (ties the tip)
  chain.connect(headersOf(weak));
  chain.connect(headersOf(strong));
  assertEquals(chain.sideHeaders, 10);
  for (const m of strong) assert(chain.has(m.hash));
  assertEquals(weak.filter((m) => chain.has(m.hash)).length, 5, "the weak branch's leaf went");
  assert(!chain.has(weak[5].hash));
  assert(chain.has(weak[0].hash));
});

Deno.test("events: a reader that falls behind fails instead of growing memory", async () => {
  const chain = regtestChain();
  const events = chain.events({ maxQueuedHeaders: 5 });
  const blocks = mineChain(REGTEST, G, 6);
  chain.connect(headersOf(blocks.slice(0, 3)));
  chain.connect(headersOf(blocks.slice(3)));
  const reader = events.getReader();
  await assertRejects(() => reader.read(), RangeError, "maxQueuedHeaders");
  await chain.close();
});

Deno.test("lookup and the assumed-valid block", () => {
  const blocks = mineChain(REGTEST, G, 12);
  const params = { ...REGTEST, assumeValid: { height: 10, hash: blocks[9].hash } };
  const chain = new HeaderChain({ network: params, adjustedTime: FAR_FUTURE_MS });
  chain.connect(headersOf(blocks.slice(0, 9)));
  assertEquals(chain.assumeValidReached, false);
  chain.connect(headersOf(blocks.slice(9)));
  assertEquals(chain.assumeValidReached, true);
  const info = chain.lookup(blocks[11].hash)!;
  assertEquals([info.height, info.best, info.work], [12, true, 26n]);
  assertEquals(info.medianTimePast, blocks[6].header.timestamp);
  assertEquals(chain.lookup(new Uint8Array(32)), undefined);
  assertEquals(bytesToHex(info.hash), bytesToHex(blocks[11].hash));
});

Deno.test("the constructor checks the genesis of custom params", () => {
  let threw = false;
  try {
    new HeaderChain({ network: { ...REGTEST, genesisHash: new Uint8Array(32) } });
  } catch (e) {
    threw = e instanceof RangeError;
  }
  assert(threw);
});
