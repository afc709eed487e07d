// HeaderSync against nodes on an in-memory network serving chains the tests mine: honest peers,
// a liar among them, a staller, one that answers without progress, a reorganization during the
// sync, announcements after it, and a reader that stops reading.
import { assert, assertEquals, assertLess, assertMatch } from "@std/assert";
import { delay } from "@std/async/delay";
import { CHAIN_PARAMS, type ChainEvent, checkProofOfWork, HeaderChain } from "../../headers/mod.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import { Peer, SentNonces } from "../../peer/mod.ts";
import { HeaderSync } from "../../sync/mod.ts";
import { blockHash, type BlockHeader, hashToHex } from "../../wire/mod.ts";
import { eventually } from "../server/_nodes.ts";
import { TestChain } from "./_chain.ts";
import { clientServer, MemoryNetwork, PORT, TestNode } from "./_node.ts";

const CLIENT = "10.0.0.1";

/** A long-lived chain shared by the tests (mining is cheap but not free). */
const MAIN = TestChain.genesis().extend(2_500);

function regtestChain(): HeaderChain {
  return new HeaderChain({ network: "regtest" });
}

/** Reads a sync's events into `into` until the chain's tip is `hash`. */
async function readUntil(
  events: ReadableStream<ChainEvent>,
  into: ChainEvent[],
  hash: Uint8Array,
): Promise<void> {
  const target = hashToHex(hash);
  // preventCancel: the stream stays open for the next call.
  for await (const event of events.values({ preventCancel: true })) {
    into.push(event);
    if (hashToHex(event.tip.hash) === target) return;
  }
}

/** A header that fails its proof of work, in place of `header`. */
function withoutWork(header: BlockHeader): BlockHeader {
  const bad = { ...header, nonce: header.nonce };
  while (checkProofOfWork(blockHash(bad), bad.bits, CHAIN_PARAMS.regtest.powLimit)) bad.nonce++;
  return bad;
}

Deno.test("HeaderSync: 2,500 headers from two honest nodes, one asked until caught up", async () => {
  const net = new MemoryNetwork();
  const client = clientServer(net, CLIENT);
  await client.start();
  const chain = regtestChain();
  const sync = new HeaderSync(chain, { server: client });
  const events = sync.events();
  const a = await new TestNode(net, "10.0.0.2", MAIN, { connect: [CLIENT] }).start();
  const b = await new TestNode(net, "10.0.0.3", MAIN, { connect: [CLIENT] }).start();
  try {
    const seen: ChainEvent[] = [];
    await readUntil(events, seen, MAIN.tip.hash);
    assertEquals(await sync.synced, true);
    assert(sync.atTip);
    assertEquals(chain.height, 2_500);
    assertEquals(hashToHex(chain.tip.hash), hashToHex(MAIN.tip.hash));
    // Every header came out once, in order, as tip events.
    const heights = seen.flatMap((e) => e.added.map((x) => x.height));
    assertEquals(heights, Array.from({ length: 2_500 }, (_, i) => i + 1));
    assert(seen.every((e) => e.type === "tip"));
    // One node downloaded (two full batches and the rest); the other was asked once it was
    // caught up, from the tip.
    const asked = [a, b].map((n) => n.received.filter((c) => c === "getheaders").length);
    assertEquals(asked.toSorted(), [1, 2]);
    assertEquals(sync.peers.map((p) => p.bestHeight), [2_500, 2_500]);
    assertEquals(sync.targetHeight, 2_500);
  } finally {
    await sync.close();
    await Promise.all([a.stop(), b.stop(), client.stop()]);
  }
});

Deno.test("HeaderSync: a node sending a header without proof of work is discouraged; the honest chain wins", async () => {
  const net = new MemoryNetwork();
  const client = clientServer(net, CLIENT);
  await client.start();
  const chain = regtestChain();
  const sync = new HeaderSync(chain, { server: client });
  const liar = await new TestNode(net, "10.0.0.9", MAIN, {
    connect: [CLIENT],
    behaviour: { headers: (hs) => hs.map((h, i) => (i === 700 ? withoutWork(h) : h)) },
  }).start();
  // The liar is the first peer, so it is the one asked first.
  await client.nextPeer();
  const honest = await new TestNode(net, "10.0.0.2", MAIN, { connect: [CLIENT] }).start();
  try {
    assertEquals(await sync.synced, true);
    assertEquals(hashToHex(chain.tip.hash), hashToHex(MAIN.tip.hash));
    assert(client.isDiscouraged(liar.host));
    assertEquals(client.peers.map((p) => p.address).filter((a) => a.startsWith("10.0.0.9")), []);
  } finally {
    await sync.close();
    await Promise.all([liar.stop(), honest.stop(), client.stop()]);
  }
});

Deno.test("HeaderSync: a node that never answers getheaders is replaced after its stall deadline", async () => {
  const net = new MemoryNetwork();
  const clock = new FakeClock(Date.now());
  const quiet = { clock, idleTimeoutMs: 3_600_000, pingIntervalMs: 3_600_000 };
  const closed: string[] = [];
  const client = clientServer(net, CLIENT, {
    ...quiet,
    onPeerClosed: (peer, reason) => closed.push(`${peer.address} ${reason.code}`),
  });
  await client.start();
  const chain = regtestChain();
  const sync = new HeaderSync(chain, { server: client, clock });
  const staller = await new TestNode(net, "10.0.0.8", MAIN, {
    connect: [CLIENT],
    behaviour: { silent: ["getheaders"] },
    ...quiet,
  }).start();
  await client.nextPeer();
  const honest = await new TestNode(net, "10.0.0.2", MAIN, { connect: [CLIENT], ...quiet })
    .start();
  try {
    await eventually(() => client.peers.length === 2, "two peers");
    await clock.tick(1_000);
    // Only the staller is asked while the chain is behind.
    assertEquals(chain.height, 0);
    assertEquals(honest.received.filter((c) => c === "getheaders").length, 0);
    // Its 90 s getheaders deadline (checked every 15 s) ends it; the honest node takes over.
    await clock.tick(106_000);
    assertEquals(await sync.synced, true);
    assertEquals(chain.height, 2_500);
    assertEquals(closed.map((c) => c.replace(/:\d+/, "")), ["10.0.0.8 stalled"]);
  } finally {
    await sync.close();
    await Promise.all([staller.stop(), honest.stop(), client.stop()]);
  }
});

Deno.test("HeaderSync: a node that answers without progress is disconnected by the progress check", async () => {
  const net = new MemoryNetwork();
  const clock = new FakeClock(Date.now());
  const quiet = { clock, idleTimeoutMs: 3_600_000, pingIntervalMs: 3_600_000 };
  const closed: string[] = [];
  const client = clientServer(net, CLIENT, {
    ...quiet,
    onPeerClosed: (peer, reason) => closed.push(`${peer.address} ${reason.message}`),
  });
  await client.start();
  const chain = regtestChain();
  const sync = new HeaderSync(chain, { server: client, clock, progressTimeoutMs: 60_000 });
  // Answers every getheaders with the same first 2,000 headers: on time, never further.
  const stuck = await new TestNode(net, "10.0.0.7", MAIN, {
    connect: [CLIENT],
    behaviour: { headers: () => MAIN.headers(1, 2_000) },
    ...quiet,
  }).start();
  await client.nextPeer();
  const honest = await new TestNode(net, "10.0.0.2", MAIN, { connect: [CLIENT], ...quiet })
    .start();
  try {
    await eventually(() => chain.height === 2_000, "the first 2,000 headers");
    await eventually(() => stuck.received.filter((c) => c === "getheaders").length >= 3, "repeats");
    assertEquals(sync.atTip, false);
    await clock.tick(75_000);
    assertEquals(await sync.synced, true);
    assertEquals(chain.height, 2_500);
    assertEquals(closed.map((c) => c.replace(/:\d+/, "")), [
      "10.0.0.7 No headers progress in 60 s",
    ]);
    assertEquals(client.isDiscouraged(stuck.host), false); // useless, not lying
  } finally {
    await sync.close();
    await Promise.all([stuck.stop(), honest.stop(), client.stop()]);
  }
});

Deno.test("HeaderSync: a heavier branch from another node reorganizes the chain; announcements extend it", async () => {
  const net = new MemoryNetwork();
  const client = clientServer(net, CLIENT);
  await client.start();
  const chain = regtestChain();
  const sync = new HeaderSync(chain, { server: client });
  const events = sync.events();
  const x = MAIN.fork(300);
  const y = MAIN.fork(250).extend(70, { salt: 1 });
  const a = await new TestNode(net, "10.0.0.2", x, { connect: [CLIENT] }).start();
  const b = new TestNode(net, "10.0.0.3", y, { connect: [CLIENT] });
  try {
    const seen: ChainEvent[] = [];
    await readUntil(events, seen, x.tip.hash);
    assertEquals(await sync.synced, true);
    await b.start();
    await readUntil(events, seen, y.tip.hash);
    const reorg = seen.at(-1)!;
    assert(reorg.type === "reorg");
    assertEquals(reorg.fork.height, 250);
    assertEquals(reorg.removed.map((e) => e.height), Array.from({ length: 50 }, (_, i) => 251 + i));
    assertEquals(reorg.added.length, 70);
    // Node a learns of the heavier branch too (as its miner would) and grows it; its
    // announcement (headers, after our sendheaders) extends the chain.
    a.chain = y.fork(320).extend(3, { salt: 2 });
    a.announce(320);
    await readUntil(events, seen, a.chain.tip.hash);
    assertEquals(seen.at(-1)!.type, "tip");
    assertEquals(chain.height, 323);
  } finally {
    await sync.close();
    await Promise.all([a.stop(), b.stop(), client.stop()]);
  }
});

Deno.test("HeaderSync: a reader that stops reading stops the peers' messages being read", async () => {
  const net = new MemoryNetwork();
  const client = clientServer(net, CLIENT);
  await client.start();
  const chain = regtestChain();
  const sync = new HeaderSync(chain, { server: client });
  const events = sync.events({ highWaterMark: 100 });
  const a = await new TestNode(net, "10.0.0.2", MAIN, { connect: [CLIENT] }).start();
  try {
    await eventually(() => chain.height === 2_000, "the first batch");
    // The second batch was asked for and arrived, but waits unread at the peer.
    await eventually(() => a.received.filter((c) => c === "getheaders").length === 2, "asked");
    await delay(50);
    assertEquals(chain.height, 2_000);
    // Reading resumes the sync.
    const seen: ChainEvent[] = [];
    await readUntil(events, seen, MAIN.tip.hash);
    assertEquals(chain.height, 2_500);
    assertLess(seen.length, 10);
  } finally {
    await sync.close();
    await Promise.all([a.stop(), client.stop()]);
  }
});

Deno.test("HeaderSync: on peers of its own (no server), a liar is disconnected and the honest peer syncs", async () => {
  const net = new MemoryNetwork();
  const liar = await new TestNode(net, "10.0.0.9", MAIN, {
    behaviour: { headers: (hs) => hs.map((h, i) => (i === 5 ? withoutWork(h) : h)) },
  }).start();
  const honest = await new TestNode(net, "10.0.0.2", MAIN).start();
  const dial = async (to: string) =>
    new Peer(await net.host(CLIENT).dial(to, PORT), {
      network: "regtest",
      address: `${to}:${PORT}`,
      sentNonces: new SentNonces(),
    });
  const bad = await dial(liar.host);
  const good = await dial(honest.host);
  const chain = regtestChain();
  // The liar first: it is the one asked while the chain is behind.
  const sync = new HeaderSync(chain, { peers: [bad] });
  try {
    assertMatch(
      (await bad.closed).message,
      /^Misbehaving: Header 5 of 2000 .* fails its proof of work/,
    );
    sync.addPeer(good);
    assertEquals(await sync.synced, true);
    assertEquals(chain.height, 2_500);
  } finally {
    await sync.close();
    good.disconnect();
    await good.closed;
    await Promise.all([liar.stop(), honest.stop()]);
  }
});

Deno.test("HeaderSync: a chain below the minimum chain work goes through the peer's presync first", async () => {
  const net = new MemoryNetwork();
  const client = clientServer(net, CLIENT);
  await client.start();
  // Regtest that stores nothing below 2,200 blocks of work, with a small presync.
  const chain = new HeaderChain({
    network: {
      ...CHAIN_PARAMS.regtest,
      name: "regtest-presync",
      minimumChainWork: 2n * 2_200n,
      headersSync: { commitmentPeriod: 5, redownloadBufferSize: 100 },
    },
  });
  const sync = new HeaderSync(chain, { server: client });
  const events = sync.events();
  const node = await new TestNode(net, "10.0.0.2", MAIN, { connect: [CLIENT] }).start();
  try {
    const seen: ChainEvent[] = [];
    await readUntil(events, seen, MAIN.tip.hash);
    assertEquals(await sync.synced, true);
    assertEquals(chain.height, 2_500);
    // Measured (2,000 + 500), then fetched again from genesis (2,000 + 500) before storing.
    assertEquals(node.received.filter((c) => c === "getheaders").length, 4);
    assertEquals(seen[0].added[0].height, 1);
  } finally {
    await sync.close();
    await Promise.all([node.stop(), client.stop()]);
  }
});

Deno.test("HeaderSync: headers that never connect cost 20 points per 10 messages (Core to v26) until discouraged", async () => {
  const net = new MemoryNetwork();
  const client = clientServer(net, CLIENT);
  await client.start();
  const chain = regtestChain();
  const sync = new HeaderSync(chain, { server: client });
  // Blocks 2 and 3 of a branch whose block 1 it never sends: their parent is unknown to us.
  const orphans = TestChain.genesis().extend(3, { salt: 99 }).headers(2, 3);
  const node = await new TestNode(net, "10.0.0.6", MAIN, {
    connect: [CLIENT],
    behaviour: { headers: () => orphans },
  }).start();
  try {
    await eventually(() => client.isDiscouraged(node.host), "the node discouraged");
    // 50 answers (each followed by a getheaders from our tip), 5 x 20 points.
    assertEquals(node.received.filter((c) => c === "getheaders").length, 50);
    assertEquals(chain.height, 0);
  } finally {
    await sync.close();
    await Promise.all([node.stop(), client.stop()]);
  }
});
