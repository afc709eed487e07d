// FilterSync against nodes serving a chain the tests mine, with its real filters and filter
// headers: honest nodes; nodes that lie about filter headers (inside the checkpoints and past
// them) or send filters that match no header; a reorganization; a node that never answers.
import { assert, assertEquals, assertGreater } from "@std/assert";
import { buildBasicFilter, HeaderChain } from "../../mod.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import type { Server } from "../../server/mod.ts";
import { type FilterBlockEvent, type FilterEvent, FilterSync, HeaderSync } from "../../sync/mod.ts";
import { blockHash, hashToHex } from "../../wire/mod.ts";
import { p2wpkh, TestChain } from "./_chain.ts";
import { type Behaviour, clientServer, MemoryNetwork, TestNode } from "./_node.ts";

const CLIENT = "10.0.0.1";
const W1 = p2wpkh("wallet 1");
const W2 = p2wpkh("wallet 2");
const OTHER = p2wpkh("someone else");

/**
 * 2,300 blocks: W1 paid at 1,500, W2 at 2,100, W1's coin from 1,500 spent at 2,200 (the
 * spending block holds W1 only as a spent script), someone else paid at 1,700.
 */
const MAIN = (() => {
  const chain = TestChain.genesis().extend(1_999, {
    payTo: (h) => (h === 1_500 ? [W1] : h === 1_700 ? [OTHER] : undefined),
  });
  const coin = chain.coin(1_500, 1);
  return chain.extend(301, {
    payTo: (h) => (h === 2_100 ? [W2] : undefined),
    spend: (h) => (h === 2_200 ? [coin] : undefined),
  });
})();

/** The filter of block `height` without the outputs paying `script`: a lie by omission. */
function omitting(chain: TestChain, height: number, script: Uint8Array): Uint8Array {
  const { block, spent } = chain.blocks[height];
  const transactions = block.transactions.map((tx) => ({
    ...tx,
    outputs: tx.outputs.filter((o) => hashToHex(o.pkScript) !== hashToHex(script)),
  }));
  return buildBasicFilter({ header: block.header, transactions }, spent);
}

interface World {
  client: Server;
  chain: HeaderChain;
  headers: HeaderSync;
  nodes: TestNode[];
  /** Starts one more node that dials the client; resolves once the client accepted it. */
  add(node: { host: string; chain?: TestChain; behaviour?: Behaviour }): Promise<TestNode>;
  stop(): Promise<void>;
}

/** A client node and test nodes that dial it, the first alone first (it is asked first). */
async function world(
  nodes: { host: string; chain?: TestChain; behaviour?: Behaviour }[],
  clock?: FakeClock,
  closed?: string[],
): Promise<World> {
  const net = new MemoryNetwork();
  const quiet = clock === undefined
    ? {}
    : { clock, idleTimeoutMs: 3_600_000, pingIntervalMs: 3_600_000 };
  const client = clientServer(net, CLIENT, {
    ...quiet,
    onPeerClosed: (peer, reason) => closed?.push(`${peer.address.split(":")[0]} ${reason.message}`),
  });
  await client.start();
  const chain = new HeaderChain({ network: "regtest" });
  const headers = new HeaderSync(chain, { server: client, clock });
  const started: TestNode[] = [];
  const add = async (n: { host: string; chain?: TestChain; behaviour?: Behaviour }) => {
    const node = new TestNode(net, n.host, n.chain ?? MAIN, {
      connect: [CLIENT],
      behaviour: n.behaviour,
      ...quiet,
    });
    const next = client.nextPeer();
    started.push(await node.start());
    await next;
    return node;
  };
  for (const n of nodes) await add(n);
  return {
    client,
    chain,
    headers,
    nodes: started,
    add,
    async stop() {
      await headers.close();
      await Promise.all([...started.map((n) => n.stop()), client.stop()]);
    },
  };
}

/** Reads events until a `synced` event at `height`. */
async function readUntilSynced(
  reader: ReadableStreamDefaultReader<FilterEvent>,
  height: number,
  into: FilterEvent[] = [],
): Promise<FilterEvent[]> {
  for (;;) {
    const { done, value } = await reader.read();
    if (done) throw new Error(`The stream ended before height ${height}`);
    into.push(value);
    if (value.type === "synced" && value.height === height) return into;
  }
}

function blocks(events: readonly FilterEvent[]): FilterBlockEvent[] {
  return events.filter((e): e is FilterBlockEvent => e.type === "block");
}

function matchedHeights(events: readonly FilterEvent[]): number[] {
  return blocks(events).filter((e) => e.matched).map((e) => e.height);
}

Deno.test("FilterSync: every block from the start height, the wallet's blocks matched and fetched", async () => {
  const w = await world([{ host: "10.0.0.2" }, { host: "10.0.0.3" }]);
  const filters = new FilterSync(w.headers, {
    scripts: [W1, W2],
    startHeight: 1_200,
    fetchBlocks: true,
  });
  try {
    const reader = filters.readable.getReader();
    const events = await readUntilSynced(reader, 2_300);
    reader.releaseLock();
    const got = blocks(events);
    assertEquals(got.map((e) => e.height), Array.from({ length: 1_101 }, (_, i) => 1_200 + i));
    for (const e of got) {
      assertEquals(hashToHex(e.blockHash), hashToHex(MAIN.blocks[e.height].hash));
    }
    // Paid at 1,500 and 2,100; spent at 2,200 (the filter holds the spent script).
    assertEquals(matchedHeights(events), [1_500, 2_100, 2_200]);
    for (const e of got.filter((e) => e.matched)) {
      assertEquals(hashToHex(blockHash(e.block!.header)), hashToHex(e.blockHash));
    }
    assertEquals(got.filter((e) => !e.matched && e.block !== undefined), []);
    assertEquals(filters.height, 2_300);
    // Both nodes were asked for checkpoints; neither misbehaved.
    for (const node of w.nodes) {
      assertEquals(node.received.filter((c) => c === "getcfcheckpt").length, 1);
    }
    assertEquals(w.client.peers.length, 2);
  } finally {
    await filters.close();
    await w.stop();
  }
});

Deno.test("FilterSync: a chain shorter than a checkpoint interval, from genesis, every peer compared", async () => {
  const short = TestChain.genesis().extend(300, {
    payTo: (h) => (h === 100 ? [W1] : undefined),
  });
  const w = await world([{ host: "10.0.0.2", chain: short }, { host: "10.0.0.3", chain: short }]);
  // Started before the headers: nothing to ask about yet, then everything at once.
  const filters = new FilterSync(w.headers, { scripts: [W1] });
  try {
    const reader = filters.readable.getReader();
    const events = await readUntilSynced(reader, 300);
    reader.releaseLock();
    assertEquals(blocks(events).map((e) => e.height), Array.from({ length: 301 }, (_, i) => i));
    assertEquals(matchedHeights(events), [100]);
    // No checkpoints below 1,000: both nodes were asked for the filter headers.
    for (const node of w.nodes) {
      assertEquals(node.received.includes("getcfcheckpt"), false);
      assert(node.received.includes("getcfheaders"));
    }
  } finally {
    await filters.close();
    await w.stop();
  }
});

Deno.test("FilterSync: a node lying about filter headers is found out by the block and discouraged", async (t) => {
  for (
    const [where, height, script] of [
      ["inside the checkpoints (block 1,500)", 1_500, W1],
      ["past the last checkpoint (block 2,100)", 2_100, W2],
    ] as const
  ) {
    await t.step(where, async () => {
      const w = await world([
        // First: the header sync's download peer, the first to show the blocks. Being first
        // must not make its word the only one (the others are compared once they show them).
        {
          host: "10.0.0.9",
          behaviour: { lieFilter: (h) => (h === height ? omitting(MAIN, h, script) : undefined) },
        },
        { host: "10.0.0.2" },
        { host: "10.0.0.3" },
      ]);
      const filters = new FilterSync(w.headers, { scripts: [W1, W2], startHeight: 1_200 });
      try {
        const reader = filters.readable.getReader();
        const events = await readUntilSynced(reader, 2_300);
        reader.releaseLock();
        assertEquals(matchedHeights(events), [1_500, 2_100, 2_200]);
        assert(w.client.isDiscouraged("10.0.0.9"));
        assertEquals(w.client.peers.map((p) => p.address.split(":")[0]).toSorted(), [
          "10.0.0.2",
          "10.0.0.3",
        ]);
        // The block was fetched to settle it (from any node: it is checked against the chain).
        const getdata = w.nodes.flatMap((n) => n.received.filter((c) => c === "getdata"));
        assertGreater(getdata.length, 0);
      } finally {
        await filters.close();
        await w.stop();
      }
    });
  }
});

/** The liar of the tests below: its filter of block 1,500 leaves out the output paying W1. */
const LIE_AT_1500: Behaviour = {
  lieFilter: (h) => (h === 1_500 ? omitting(MAIN, h, W1) : undefined),
};

/** Resolves once `done()` holds (checked after each timer turn). */
async function eventually(done: () => boolean): Promise<void> {
  while (!done()) await new Promise((resolve) => setTimeout(resolve, 1));
}

function honestKept(w: World): void {
  assertEquals(w.client.isDiscouraged("10.0.0.2"), false);
  assertEquals(w.client.isDiscouraged("10.0.0.3"), false);
  assertEquals(w.client.peers.map((p) => p.address.split(":")[0]).toSorted(), [
    "10.0.0.2",
    "10.0.0.3",
  ]);
}

Deno.test("FilterSync: filter peers still in their exchange of headers are waited for, not left out", async () => {
  // The liar has shown us the chain; the honest nodes have not answered the header sync's
  // getheaders yet, so they may not be asked about its blocks. Nothing may be taken from the
  // liar alone meanwhile: they are about to be there to compare with.
  const w = await world([{ host: "10.0.0.9", behaviour: LIE_AT_1500 }]);
  assertEquals(await w.headers.synced, true);
  const answer = Promise.withResolvers<void>();
  const slow: Behaviour = { hold: { commands: ["getheaders"], until: answer.promise } };
  const honest = [
    await w.add({ host: "10.0.0.2", behaviour: slow }),
    await w.add({ host: "10.0.0.3", behaviour: slow }),
  ];
  const filters = new FilterSync(w.headers, { scripts: [W1, W2], startHeight: 1_200 });
  try {
    const reader = filters.readable.getReader();
    const events = readUntilSynced(reader, 2_300);
    events.catch(() => {}); // awaited below; a failure before shows its own assertion
    await eventually(() => honest.every((n) => n.received.includes("getheaders")));
    await new Promise((resolve) => setTimeout(resolve, 20)); // room to ask the liar (it must not)
    assertEquals(w.nodes[0].received.filter((c) => c.startsWith("getcf")), []);
    answer.resolve();
    assertEquals(matchedHeights(await events), [1_500, 2_100, 2_200]);
    reader.releaseLock();
    assert(w.client.isDiscouraged("10.0.0.9"));
    honestKept(w);
  } finally {
    answer.resolve();
    await filters.close();
    await w.stop();
  }
});

Deno.test("FilterSync: inside the checkpoints a range of filter headers ends on one, so a lie between two is found out", async () => {
  // The liar's checkpoints are honest, its filter headers from 1,500 on are not. From genesis,
  // 2,000 headers would end at 1,999: taken from one peer, the lie would be past the checkpoint
  // at 1,000 and short of the one at 2,000 that gives it away.
  const w = await world([
    { host: "10.0.0.9", behaviour: { ...LIE_AT_1500, honestCheckpoints: true } },
    { host: "10.0.0.2" },
    { host: "10.0.0.3" },
  ]);
  assertEquals(await w.headers.synced, true);
  const filters = new FilterSync(w.headers, { scripts: [W1, W2], startHeight: 1 });
  try {
    const reader = filters.readable.getReader();
    const events = await readUntilSynced(reader, 2_300);
    reader.releaseLock();
    assertEquals(matchedHeights(events), [1_500, 2_100, 2_200]);
    // Its filter headers contradict its own checkpoint (at 2,000, or as the previous header of
    // the range after it, which every peer is asked for).
    assert(w.client.isDiscouraged("10.0.0.9"));
    honestKept(w);
  } finally {
    await filters.close();
    await w.stop();
  }
});

Deno.test("FilterSync: filter peers that come after the checkpoints were agreed are compared with them before the next range", async (t) => {
  await t.step("the liar's checkpoints are replaced before its lie is used", async () => {
    const w = await world([{ host: "10.0.0.9", behaviour: LIE_AT_1500 }]);
    assertEquals(await w.headers.synced, true);
    const filters = new FilterSync(w.headers, { scripts: [W1, W2], startHeight: 1 });
    try {
      // Alone, the liar is believed (nothing to compare): its checkpoints, and the filter
      // headers to 1,000, before its lie. The stream holds blocks 1 to 1,000, unread.
      await eventually(() => w.nodes[0].received.includes("getcfilters"));
      await w.add({ host: "10.0.0.2" });
      await w.add({ host: "10.0.0.3" });
      const reader = filters.readable.getReader();
      const events = await readUntilSynced(reader, 2_300);
      reader.releaseLock();
      assertEquals(matchedHeights(events), [1_500, 2_100, 2_200]);
      assert(w.client.isDiscouraged("10.0.0.9"));
      honestKept(w);
    } finally {
      await filters.close();
      await w.stop();
    }
  });

  await t.step(
    "filter headers taken from the liar are fetched again from the last checkpoint kept",
    async () => {
      const w = await world([{ host: "10.0.0.9", behaviour: LIE_AT_1500 }]);
      assertEquals(await w.headers.synced, true);
      // One event held at a time: each read past the last fetched asks for the next 1,000.
      const filters = new FilterSync(w.headers, {
        scripts: [W1, W2],
        startHeight: 1,
        highWaterMark: 1,
      });
      try {
        const reader = filters.readable.getReader();
        const before: FilterEvent[] = [];
        while (blocks(before).length < 1_000) before.push((await reader.read()).value!);
        // Blocks 1,001 to 2,000 are fetched, from the liar alone (the stream holds them).
        await eventually(() => w.nodes[0].received.filter((c) => c === "getcfilters").length === 2);
        await w.add({ host: "10.0.0.2" });
        await w.add({ host: "10.0.0.3" });
        const events = await readUntilSynced(reader, 2_300, before);
        reader.releaseLock();
        // Block 1,500 was reported from the liar's filter before anyone could contradict it (the
        // limit of one filter peer); the honest nodes are not punished for disagreeing with it,
        // and the filter headers from 1,001 on are theirs.
        assertEquals(matchedHeights(events), [2_100, 2_200]);
        assert(w.client.isDiscouraged("10.0.0.9"));
        honestKept(w);
      } finally {
        await filters.close();
        await w.stop();
      }
    },
  );
});

Deno.test("FilterSync: a filter hiding a spend cannot be proven wrong by the block; the fuller one is kept", async () => {
  // Block 2,200 spends W1's coin: the liar's filter leaves out the spent script, so it still
  // holds every output script, as the honest one does.
  const { block } = MAIN.blocks[2_200];
  const hiding = buildBasicFilter(block, [new Uint8Array(0)]); // an empty script is left out
  const w = await world([
    { host: "10.0.0.9", behaviour: { lieFilter: (h) => (h === 2_200 ? hiding : undefined) } },
    { host: "10.0.0.2" },
  ]);
  const filters = new FilterSync(w.headers, { scripts: [W1], startHeight: 2_150 });
  try {
    const reader = filters.readable.getReader();
    const events = await readUntilSynced(reader, 2_300);
    reader.releaseLock();
    // The honest filter (more elements) won: the spend is seen.
    assertEquals(matchedHeights(events), [2_200]);
    // Not provably lying: neither discouraged nor disconnected.
    assertEquals(w.client.isDiscouraged("10.0.0.9"), false);
    assertEquals(w.client.peers.length, 2);
  } finally {
    await filters.close();
    await w.stop();
  }
});

Deno.test("FilterSync: a node whose filters match no filter header is discouraged; another serves them", async () => {
  const w = await world([
    {
      host: "10.0.0.9",
      // Every filter from 1,200 on is wrong (another block's), not only 1,500's: which peer
      // serves which blocks is the sync's choice (in turn), so it must be found out anywhere.
      behaviour: { badCFilter: (h) => (h >= 1_200 ? MAIN.blocks[h - 1].filter : undefined) },
    },
    { host: "10.0.0.2" },
  ]);
  const filters = new FilterSync(w.headers, { scripts: [W1], startHeight: 1_200 });
  try {
    const reader = filters.readable.getReader();
    const events = await readUntilSynced(reader, 2_300);
    reader.releaseLock();
    assertEquals(blocks(events).length, 1_101);
    assertEquals(matchedHeights(events), [1_500, 2_200]);
    assert(w.client.isDiscouraged("10.0.0.9"));
  } finally {
    await filters.close();
    await w.stop();
  }
});

Deno.test("FilterSync: a reorganization reported as one event, then the new branch's blocks", async () => {
  const x = MAIN.fork(2_300);
  const y = MAIN.fork(2_250).extend(60, {
    salt: 7,
    payTo: (h) => (h === 2_280 ? [W2] : undefined),
  });
  const w = await world([{ host: "10.0.0.2", chain: x }]);
  const filters = new FilterSync(w.headers, { scripts: [W1, W2], startHeight: 2_000 });
  try {
    const reader = filters.readable.getReader();
    const before = await readUntilSynced(reader, 2_300);
    assertEquals(matchedHeights(before), [2_100, 2_200]);
    // A node with a heavier branch from 2,250 comes.
    await w.add({ host: "10.0.0.3", chain: y });
    const after = await readUntilSynced(reader, 2_310);
    reader.releaseLock();
    const reorg = after.find((e) => e.type === "reorg");
    assert(reorg?.type === "reorg");
    assertEquals(reorg.fork, 2_250);
    assertEquals(
      reorg.removed.map((r) => r.height),
      Array.from({ length: 50 }, (_, i) => 2_251 + i),
    );
    const rest = blocks(after.slice(after.indexOf(reorg)));
    assertEquals(rest.map((e) => e.height), Array.from({ length: 60 }, (_, i) => 2_251 + i));
    for (const e of rest) assertEquals(hashToHex(e.blockHash), hashToHex(y.blocks[e.height].hash));
    assertEquals(matchedHeights(rest), [2_280]);
  } finally {
    await filters.close();
    await w.stop();
  }
});

Deno.test("FilterSync: a node that never answers getcfcheckpt is disconnected after the response timeout", async () => {
  const clock = new FakeClock(Date.now());
  const closed: string[] = [];
  const w = await world(
    [
      { host: "10.0.0.8", behaviour: { silent: ["getcfcheckpt"] } },
      { host: "10.0.0.2" },
    ],
    clock,
    closed,
  );
  const filters = new FilterSync(w.headers, { scripts: [W2], startHeight: 2_000 });
  try {
    assertEquals(await w.headers.synced, true);
    const reader = filters.readable.getReader();
    const events = readUntilSynced(reader, 2_300);
    await clock.tick(1_000);
    assertEquals(closed, []);
    await clock.tick(30_000);
    assertEquals(matchedHeights(await events), [2_100]);
    reader.releaseLock();
    assertEquals(closed.map((c) => c.replace(/:\d+/, "")), [
      '10.0.0.8 No answer to "getcfcheckpt" from 10.0.0.8 in 30 s',
    ]);
  } finally {
    await filters.close();
    await w.stop();
  }
});
