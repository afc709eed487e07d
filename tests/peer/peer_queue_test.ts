// Sending through a Peer: queueMessage's promises, the early queue during the handshake, the
// byte cap with a remote that stops reading, inventory trickling and the known-inventory
// cache, and the push* helpers with their suppression and gating rules.
import { assert, assertEquals, assertLessOrEqual, assertMatch, assertRejects } from "@std/assert";
import {
  InvType,
  type InvVect,
  type Message,
  netAddressFromHost,
  netAddressV2FromString,
  RejectCode,
  ServiceFlag,
  type Tx,
} from "../../wire/mod.ts";
import { connectedPeer, type Received, startPeer } from "../_util/raw_remote.ts";

const hash = (n: number) => {
  const h = new Uint8Array(32);
  new DataView(h.buffer).setUint32(0, n, true);
  h[31] = 0xaa;
  return h;
};
const txInv = (n: number): InvVect => ({ type: InvType.TX, hash: hash(n) });
const blockInv = (n: number): InvVect => ({ type: InvType.BLOCK, hash: hash(n) });
/** The first four bytes of each inventory hash, as numbers. */
const ids = (m: Received): number[] => {
  assert(m.command === "inv", `expected inv, got ${m.command}`);
  return m.inventory.map((iv) =>
    new DataView(iv.hash.buffer, iv.hash.byteOffset).getUint32(0, true)
  );
};

Deno.test("queue: queueMessage resolves true once the frame is written", async () => {
  const { peer, remote, close } = await connectedPeer();
  const sent = peer.queueMessage({ command: "getaddr" });
  assertEquals(await sent, true);
  assertEquals(await remote.next(), { command: "getaddr" });
  assertEquals(peer.sendQueueBytes, 0);
  await close();
});

Deno.test("queue: messages queued during the handshake go right after our verack, in order", async () => {
  const { peer, remote, clock, close } = startPeer({
    listeners: {
      // As btcd since 2019: what onVersion queues must not precede our verack.
      onVersion: (p) => void p.queueMessage({ command: "sendheaders" }),
    },
  });
  const early = [
    peer.queueMessage({ command: "getaddr" }),
    peer.queueMessage({ command: "mempool" }),
  ];
  let settled = false;
  Promise.all(early).then(() => (settled = true));
  await clock.tick(0);
  assertEquals(settled, false, "nothing is written before the handshake completes");
  const { preVerack } = await remote.handshake();
  assertEquals(preVerack.map((m) => m.command), ["sendaddrv2", "wtxidrelay", "verack"]);
  assertEquals(await Promise.all(early), [true, true]);
  const after = [];
  for (let i = 0; i < 3; i++) after.push((await remote.next())?.command);
  assertEquals(after, ["getaddr", "mempool", "sendheaders"]);
  await close();
});

Deno.test("queue: queued promises resolve false when the peer ends, and never hang", async (t) => {
  await t.step("queued during the handshake, then the handshake fails", async () => {
    const { peer, remote, close } = startPeer();
    const early = peer.queueMessage({ command: "getaddr" });
    await remote.expect("version");
    await remote.send({ command: "verack" });
    assertEquals(await early, false);
    assertEquals((await peer.closed).code, "handshake-failed");
    await close();
  });
  await t.step("after the peer ended", async () => {
    const { peer, close } = await connectedPeer();
    await close();
    assertEquals(await peer.queueMessage({ command: "getaddr" }), false);
  });
  await t.step("a message that cannot be encoded rejects, and the peer stays up", async () => {
    const { peer, remote, close } = await connectedPeer();
    const tooLong = "x".repeat(13);
    await assertRejects(
      () => peer.queueMessage({ command: "reject", message: tooLong, code: 1, reason: "" }),
      RangeError,
    );
    assertEquals(peer.connected, true);
    assertEquals(await peer.queueMessage({ command: "getaddr" }), true);
    assertEquals((await remote.next())?.command, "getaddr");
    await close();
  });
});

Deno.test("queue: a remote that stops reading is dropped when the send queue reaches its cap", async () => {
  const capBytes = 16 * 1024;
  const { peer, remote, clock, close } = await connectedPeer({
    bufferBytes: 1024,
    sendQueueCapBytes: capBytes,
  });
  // 100 entries: 24 + 1 + 3600 = 3625 bytes a frame.
  const inv = (n: number): Message => ({
    command: "inv",
    inventory: Array.from({ length: 100 }, (_, i) => txInv(n * 100 + i)),
  });
  const results: Promise<boolean>[] = [];
  for (let n = 0; n < 10 && peer.connected; n++) {
    results.push(peer.queueMessage(inv(n)));
    await clock.tick(0);
    if (peer.connected) {
      assertLessOrEqual(peer.sendQueueBytes, capBytes, `${peer.sendQueueBytes} queued`);
    }
  }
  const reason = await peer.closed;
  assertEquals(reason.code, "send-queue-full");
  assertMatch(reason.message, /cap of 16384/);
  const written = await Promise.all(results);
  // The first went into the connection's buffer; the rest were dropped, not left hanging.
  assertEquals(written[0], true);
  assertEquals(written.at(-1), false);
  assert(written.length > 3 && written.length < 10, `${written.length} queued`);
  assertEquals(peer.sendQueueBytes, 0);
  // What was written before the end is still readable.
  assertEquals(ids((await remote.next())!).slice(0, 2), [0, 1]);
  await close();
});

Deno.test("queue: one message larger than the cap still goes when nothing else is queued", async () => {
  const { peer, remote, close } = await connectedPeer({ sendQueueCapBytes: 100 });
  const big: Message = { command: "inv", inventory: [txInv(1), txInv(2), txInv(3)] };
  assertEquals(await peer.queueMessage(big), true);
  assertEquals(ids((await remote.next())!), [1, 2, 3]);
  assertEquals(peer.connected, true);
  await close();
});

Deno.test("queue: transaction inventory is trickled, blocks go at once", async (t) => {
  await t.step("transactions wait for the tick, then go in one inv", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    peer.queueInventory(txInv(1));
    peer.queueInventory(txInv(2));
    await clock.tick(9_999);
    assertEquals(await remote.received(), []);
    await clock.tick(1);
    assertEquals(ids((await remote.next())!), [1, 2]);
    await close();
  });
  await t.step("a block (plain or witness) is announced at once, alone", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    peer.queueInventory(txInv(1));
    peer.queueInventory(blockInv(7));
    peer.queueInventory({ type: InvType.WITNESS_BLOCK, hash: hash(8) });
    await clock.tick(0);
    const got = await remote.received();
    assertEquals(got.map(ids), [[7], [8]]);
    await clock.tick(10_000);
    assertEquals(ids((await remote.next())!), [1]);
    await close();
  });
  await t.step("2,500 transactions go as invs of 1,000, 1,000 and 500", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    for (let i = 0; i < 2500; i++) peer.queueInventory(txInv(i));
    await clock.tick(10_000);
    const sizes = [];
    const all: number[] = [];
    for (let i = 0; i < 3; i++) {
      const got = ids((await remote.next())!);
      sizes.push(got.length);
      all.push(...got);
    }
    assertEquals(sizes, [1000, 1000, 500]);
    assertEquals(all, Array.from({ length: 2500 }, (_, i) => i));
    await close();
  });
});

Deno.test("queue: the known-inventory cache suppresses repeats", async (t) => {
  await t.step("what was announced or marked known is not announced again", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    peer.addKnownInventory(txInv(1));
    peer.addKnownInventory(blockInv(2));
    peer.queueInventory(txInv(1));
    peer.queueInventory(blockInv(2));
    peer.queueInventory(txInv(3));
    peer.queueInventory(txInv(3));
    await clock.tick(10_000);
    assertEquals((await remote.received()).map(ids), [[3]]);
    peer.queueInventory(txInv(3));
    peer.queueInventory(blockInv(4));
    peer.queueInventory(blockInv(4));
    await clock.tick(10_000);
    assertEquals((await remote.received()).map(ids), [[4]]);
    await close();
  });
  await t.step("marked known while waiting for the tick: dropped at the tick", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    peer.queueInventory(txInv(1));
    peer.queueInventory(txInv(2));
    peer.addKnownInventory(txInv(1));
    await clock.tick(10_000);
    assertEquals((await remote.received()).map(ids), [[2]]);
    await close();
  });
  await t.step("the cache holds 1,000 entries: the oldest is forgotten", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    for (let i = 0; i <= 1000; i++) peer.addKnownInventory(txInv(i));
    peer.queueInventory(txInv(0));
    peer.queueInventory(txInv(1));
    peer.queueInventory(txInv(1000));
    await clock.tick(10_000);
    assertEquals((await remote.received()).map(ids), [[0]]);
    await close();
  });
});

Deno.test("queue: pushAddrMsg and pushAddrV2Msg send a random subset of at most 1,000", async (t) => {
  const v1 = (i: number) =>
    netAddressFromHost(`10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}`, 8333, {
      timestamp: 1_700_000_000,
    });
  const v2 = (i: number) =>
    netAddressV2FromString(`10.${i >> 16 & 255}.${i >> 8 & 255}.${i & 255}`, 8333, {
      timestamp: 1_700_000_000,
    });
  const key = (a: { port: number; ip?: Uint8Array; address?: Uint8Array }) =>
    [...(a.ip ?? a.address!)].join(".");
  await t.step("an empty list sends nothing", async () => {
    const { peer, remote, clock, close } = await connectedPeer();
    assertEquals(peer.pushAddrMsg([]), []);
    assertEquals(peer.pushAddrV2Msg([]), []);
    await clock.tick(0);
    assertEquals(await remote.received(), []);
    await close();
  });
  await t.step("up to 1,000: all of them", async () => {
    const { peer, remote, close } = await connectedPeer();
    const list = Array.from({ length: 3 }, (_, i) => v1(i));
    const chosen = peer.pushAddrMsg(list);
    assertEquals(chosen.length, 3);
    const addr = await remote.expect("addr");
    assertEquals(
      addr.addresses.map(key).sort(),
      list.map(key).sort(),
    );
    await close();
  });
  for (const version of ["addr", "addrv2"] as const) {
    await t.step(`${version}: 2,500 give 1,000 distinct ones from the list`, async () => {
      const { peer, remote, close } = await connectedPeer();
      const all = Array.from({ length: 2500 }, (_, i) => i);
      const chosen = version === "addr"
        ? peer.pushAddrMsg(all.map(v1)).map(key)
        : peer.pushAddrV2Msg(all.map(v2)).map(key);
      assertEquals(chosen.length, 1000);
      assertEquals(new Set(chosen).size, 1000, "no address twice (btcd's addrv2 shuffle bug)");
      const known = new Set(all.map((i) => key(version === "addr" ? v1(i) : v2(i))));
      assert(chosen.every((k) => known.has(k)));
      const message = await remote.expect(version);
      assertEquals(message.addresses.map(key), chosen);
      await close();
    });
  }
});

Deno.test("queue: pushGetBlocksMsg/pushGetHeadersMsg skip a back-to-back duplicate", async (t) => {
  const zero = new Uint8Array(32);
  for (const command of ["getblocks", "getheaders"] as const) {
    await t.step(command, async () => {
      const { peer, remote, clock, close } = await connectedPeer({ disableStallDetection: true });
      const push = (locator: Uint8Array[], stop: Uint8Array) =>
        command === "getblocks"
          ? peer.pushGetBlocksMsg(locator, stop)
          : peer.pushGetHeadersMsg(locator, stop);
      assertEquals(await push([hash(1), hash(0)], zero), true);
      // Same first locator hash and stop: skipped, even with a different rest of the locator.
      assertEquals(await push([hash(1)], zero), false);
      assertEquals(await push([hash(1)], hash(9)), true);
      assertEquals(await push([hash(2)], hash(9)), true);
      // Not back-to-back any more: sent again.
      assertEquals(await push([hash(1)], hash(9)), true);
      // An empty locator is never suppressed.
      assertEquals(await push([], zero), true);
      assertEquals(await push([], zero), true);
      await clock.tick(0);
      const got = await remote.received();
      assertEquals(got.map((m) => m.command), Array(6).fill(command));
      const first = got[0];
      assert(first.command === command);
      assertEquals(first.protocolVersion, 70016);
      assertEquals(first.locator, [hash(1), hash(0)]);
      await close();
    });
  }
  await t.step("getblocks and getheaders are tracked apart", async () => {
    const { peer, remote, clock, close } = await connectedPeer({ disableStallDetection: true });
    assertEquals(await peer.pushGetBlocksMsg([hash(1)], zero), true);
    assertEquals(await peer.pushGetHeadersMsg([hash(1)], zero), true);
    await clock.tick(0);
    assertEquals((await remote.received()).map((m) => m.command), ["getblocks", "getheaders"]);
    await close();
  });
});

Deno.test("queue: pushRejectMsg", async (t) => {
  await t.step("a tx or block reject carries the hash; other commands do not", async () => {
    const { peer, remote, close } = await connectedPeer();
    assertEquals(
      await peer.pushRejectMsg({
        message: "tx",
        code: RejectCode.INSUFFICIENT_FEE,
        reason: "fee too low",
        hash: hash(5),
      }),
      true,
    );
    assertEquals(
      await peer.pushRejectMsg({
        message: "inv",
        code: RejectCode.INVALID,
        reason: "no",
        hash: hash(6),
      }),
      true,
    );
    const tx = await remote.expect("reject");
    assertEquals(
      [tx.message, tx.code, tx.reason, tx.hash],
      ["tx", RejectCode.INSUFFICIENT_FEE, "fee too low", hash(5)],
    );
    const inv = await remote.expect("reject");
    assertEquals([inv.message, inv.hash], ["inv", undefined]);
    await close();
  });
  await t.step("a block reject without a hash gets zeros", async () => {
    const { peer, remote, close } = await connectedPeer();
    assertEquals(
      await peer.pushRejectMsg({ message: "block", code: RejectCode.INVALID, reason: "bad" }),
      true,
    );
    assertEquals((await remote.expect("reject")).hash, new Uint8Array(32));
    await close();
  });
  await t.step("nothing is sent to a peer below 70002", async () => {
    const { peer, remote, clock, close } = await connectedPeer({
      handshake: { version: { protocolVersion: 70001 } },
    });
    assertEquals(
      await peer.pushRejectMsg({ message: "tx", code: RejectCode.INVALID, reason: "x" }),
      false,
    );
    await clock.tick(0);
    assertEquals(await remote.received(), []);
    await close();
  });
});

Deno.test("queue: witness data goes only to peers that advertise NODE_WITNESS (BIP 144)", async (t) => {
  const tx: Tx = {
    version: 2,
    inputs: [{
      previousOutput: { hash: hash(1), index: 0 },
      signatureScript: new Uint8Array(0),
      sequence: 0xffffffff,
      witness: [new Uint8Array([1, 2, 3])],
    }],
    outputs: [{ value: 1000n, pkScript: new Uint8Array([0x51]) }],
    lockTime: 0,
  };
  const witnessOf = (m: Received) => {
    assert(m.command === "tx");
    return m.tx.inputs[0].witness.length;
  };
  await t.step("a witness peer gets the witness", async () => {
    const { peer, remote, close } = await connectedPeer();
    assertEquals(peer.witnessEnabled, true);
    await peer.queueMessage({ command: "tx", tx });
    assertEquals(witnessOf((await remote.next())!), 1);
    await close();
  });
  await t.step("a peer without NODE_WITNESS gets it stripped, unless asked", async () => {
    const { peer, remote, close } = await connectedPeer({
      handshake: { version: { services: ServiceFlag.NETWORK } },
    });
    assertEquals(peer.witnessEnabled, false);
    await peer.queueMessage({ command: "tx", tx });
    assertEquals(witnessOf((await remote.next())!), 0);
    await peer.queueMessage({ command: "tx", tx }, { witness: true });
    assertEquals(witnessOf((await remote.next())!), 1);
    await close();
  });
});
