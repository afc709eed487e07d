// HeaderFeed: one peer's headers into the chain, with Bitcoin Core's presync keeping low-work
// chains out of memory, against simulated peers that serve `getheaders` from chains mined in
// the test (an honest one, one that swaps chains between the two passes, short ones).
import { assert, assertEquals } from "@std/assert";
import {
  type ChainParams,
  HeaderChain,
  type HeaderChainOptions,
  HeaderFeed,
  type HeaderFeedResult,
} from "../../headers/mod.ts";
import { type BlockHeader, bytesToHex, MAX_BLOCK_HEADERS_PER_MSG } from "../../wire/mod.ts";
import {
  FAR_FUTURE_MS,
  genesisOf,
  headersOf,
  mine,
  mineChain,
  type Mined,
  REGTEST,
} from "./_mine.ts";

const G = genesisOf(REGTEST);

/** Regtest that needs `blocks` blocks of work before storing, with small presync tuning. */
function params(blocks: number): ChainParams {
  return {
    ...REGTEST,
    name: "presync-test",
    minimumChainWork: 2n * BigInt(blocks + 1),
    headersSync: { commitmentPeriod: 5, redownloadBufferSize: 100 },
  };
}

function chainFor(p: ChainParams, options: HeaderChainOptions = {}): HeaderChain {
  return new HeaderChain({ network: p, adjustedTime: FAR_FUTURE_MS, ...options });
}

/** A peer that answers `getheaders` from its chain (heights 1..n), 2,000 at a time. */
function peer(chain: readonly Mined[]): (locator: readonly Uint8Array[]) => BlockHeader[] {
  const heights = new Map(chain.map((m, i) => [bytesToHex(m.hash), i + 1]));
  heights.set(bytesToHex(G.hash), 0);
  return (locator) => {
    let from = 0;
    for (const hash of locator) {
      const h = heights.get(bytesToHex(hash));
      if (h !== undefined) {
        from = h;
        break;
      }
    }
    return headersOf(chain.slice(from, from + MAX_BLOCK_HEADERS_PER_MSG));
  };
}

/** Runs getheaders / headers rounds until the feed stops asking; returns every result. */
function sync(
  feed: HeaderFeed,
  serve: (locator: readonly Uint8Array[]) => BlockHeader[],
  onRound?: (r: HeaderFeedResult) => void,
): HeaderFeedResult[] {
  const results: HeaderFeedResult[] = [];
  for (let round = 0; round < 100; round++) {
    const r = feed.receive(serve(feed.locator()));
    results.push(r);
    onRound?.(r);
    if (!r.requestMore) break;
  }
  return results;
}

Deno.test("an honest low-work start: measured, fetched again, then stored", () => {
  const p = params(4500);
  const blocks = mineChain(p, G, 5000);
  const chain = chainFor(p);
  const feed = new HeaderFeed(chain);
  const phases: string[] = [];
  const heights: number[] = [];
  const results = sync(feed, peer(blocks), (r) => {
    phases.push(r.phase);
    heights.push(chain.height);
  });
  // Three messages to measure (the third reaches the work), three to fetch again; nothing is
  // stored until the redownload buffer has been checked against the commitments.
  assertEquals(phases, ["presync", "presync", "redownload", "redownload", "redownload", "normal"]);
  assertEquals(heights.slice(0, 3), [0, 0, 0]);
  assertEquals(results.every((r) => r.error === undefined), true, JSON.stringify(results));
  assertEquals(results.reduce((n, r) => n + r.accepted, 0), 5000);
  assertEquals(chain.height, 5000);
  assertEquals(chain.tip.hash, blocks[4999].hash);
  assertEquals(feed.phase, "normal");
});

Deno.test("a peer that swaps chains between the two passes is caught before storing", () => {
  const p = params(3000);
  const measured = mineChain(p, G, 3500, { salt: 1 });
  const served = mineChain(p, G, 3500, { salt: 2 });
  const chain = chainFor(p);
  const feed = new HeaderFeed(chain);
  let calls = 0;
  const honest = peer(measured);
  const liar = peer(served);
  const results = sync(feed, (locator) => (calls++ < 2 ? honest(locator) : liar(locator)));
  const last = results[results.length - 1];
  assertEquals(last.error?.code, "presync-failed");
  assertEquals(last.error?.misbehaving, false, "Core gives up without punishing");
  assert(/changed since it was measured/.test(last.error!.message), last.error!.message);
  // Each commitment catches the swap with probability 1/2; 20 are checked before anything is
  // released (a chance of 2^-20 that this fails).
  assertEquals(chain.height, 0);
  assertEquals(feed.phase, "normal");
});

Deno.test("a low-work chain that ends (a message that is not full) is ignored", () => {
  const p = params(4500);
  const chain = chainFor(p);
  const feed = new HeaderFeed(chain);
  const r = feed.receive(headersOf(mineChain(p, G, 10)));
  assertEquals([r.error?.code, r.error?.misbehaving, r.requestMore, r.accepted], [
    "low-work",
    false,
    false,
    0,
  ]);
  assertEquals(chain.height, 0);
  // The same once presync has begun: a chain that stops short of the work is dropped.
  const results = sync(feed, peer(mineChain(p, G, 3000)));
  const last = results[results.length - 1];
  assertEquals([last.error?.code, last.requestMore, feed.phase], ["low-work", false, "normal"]);
  assertEquals(chain.height, 0);
});

Deno.test("once the chain has the work, headers are stored directly", () => {
  const chain = chainFor(REGTEST);
  const feed = new HeaderFeed(chain);
  const blocks = mineChain(REGTEST, G, 4100);
  const results = sync(feed, peer(blocks));
  assertEquals(results.map((r) => [r.accepted, r.requestMore, r.phase]), [
    [2000, true, "normal"],
    [2000, true, "normal"],
    [100, false, "normal"],
  ]);
  assertEquals(chain.height, 4100);
  // New blocks announced later continue from the last header the peer sent.
  const more = mineChain(REGTEST, blocks[4099], 3);
  assertEquals(feed.locator()[0], blocks[4099].hash);
  assertEquals(feed.receive(headersOf(more)).accepted, 3);
  assertEquals(feed.receive([]).requestMore, false, "an empty message: nothing more");
});

Deno.test("verdicts: misbehaviour is flagged, unconnecting headers ask again from the tip", async (t) => {
  await t.step("bad proof of work, before and during presync", () => {
    const p = params(4500);
    const blocks = mineChain(p, G, 2999);
    const bad = mine(p, blocks[2998], { invalidPow: true });
    const feed = new HeaderFeed(chainFor(p));
    const early = mine(p, blocks[1998], { invalidPow: true });
    const first = feed.receive([...headersOf(blocks.slice(0, 1999)), early.header]);
    assertEquals([first.error?.code, first.error?.misbehaving], ["bad-pow", true]);
    assertEquals(feed.receive(headersOf(blocks.slice(0, 2000))).phase, "presync");
    const r = feed.receive([...headersOf(blocks.slice(2000)), bad.header]);
    assertEquals([r.error?.code, r.error?.misbehaving, r.requestMore], ["bad-pow", true, false]);
    assertEquals(feed.phase, "normal");
  });
  await t.step("headers that do not connect", () => {
    const chain = chainFor(REGTEST);
    const feed = new HeaderFeed(chain);
    const blocks = mineChain(REGTEST, G, 5);
    const r = feed.receive(headersOf(blocks.slice(3)));
    assertEquals([r.error?.code, r.error?.misbehaving, r.requestMore], [
      "bad-prevblk",
      false,
      true,
    ]);
    assertEquals(feed.locator(), chain.locator());
  });
  await t.step("more than 2,000 headers", () => {
    const feed = new HeaderFeed(chainFor(REGTEST));
    const r = feed.receive(new Array<BlockHeader>(2001).fill(G.header));
    assertEquals([r.error?.code, r.error?.misbehaving], ["too-many-headers", true]);
  });
  await t.step("a chain longer than any valid chain can be by now", () => {
    // The presync's bound: 6 blocks a second from the start's median time past to two hours
    // after now. Here "now" is the genesis time less 7,000 s: room for 1,200 blocks.
    const p = params(100_000);
    const chain = chainFor(p, { adjustedTime: (G.header.timestamp - 7000) * 1000 });
    const feed = new HeaderFeed(chain);
    const results = sync(feed, peer(mineChain(p, G, 2500)));
    const last = results[results.length - 1];
    assertEquals(last.error?.code, "presync-failed");
    assert(/longer than any valid chain/.test(last.error!.message), last.error!.message);
  });
});
