import { assert, assertEquals, assertStrictEquals } from "@std/assert";
import { FakeClock } from "../../peer/fake_clock.ts";
import {
  DEFAULT_TRICKLE_INTERVAL_MS,
  InventoryTrickle,
  type InventoryTrickleOptions,
  KnownInventory,
  MAX_INV_TRICKLE_SIZE,
  MAX_KNOWN_INVENTORY,
} from "../../peer/inventory_trickle.ts";
import { InvType, type InvVect, MAX_INV_PER_MSG } from "../../wire/mod.ts";

/** A distinct 32-byte hash for each n < 2^32. */
function hash(n: number): Uint8Array {
  const out = new Uint8Array(32);
  new DataView(out.buffer).setUint32(28, n);
  out[0] = 0xab;
  return out;
}

function tx(n: number): InvVect {
  return { type: InvType.TX, hash: hash(n) };
}

function idOf(inv: InvVect): number {
  return new DataView(inv.hash.buffer, inv.hash.byteOffset).getUint32(28);
}

function setup(options: Partial<InventoryTrickleOptions> = {}) {
  const clock = new FakeClock(0);
  const sent: { at: number; inventory: InvVect[] }[] = [];
  const trickle = new InventoryTrickle({
    clock,
    send: (inventory) => sent.push({ at: clock.now(), inventory }),
    ...options,
  });
  return { clock, sent, trickle };
}

Deno.test("KnownInventory", async (t) => {
  await t.step("holds btcd's 1000 entries by default", () => {
    assertEquals(MAX_KNOWN_INVENTORY, 1000);
    const known = new KnownInventory();
    for (let i = 0; i < 1_500; i++) known.add(tx(i));
    assertEquals(known.size, 1_000);
    assertEquals(known.has(tx(499)), false);
    assertEquals(known.has(tx(500)), true);
    assertEquals(known.has(tx(1_499)), true);
  });

  await t.step("evicts the least recently added, in order", () => {
    const known = new KnownInventory(3);
    known.add(tx(1));
    known.add(tx(2));
    known.add(tx(3));
    known.add(tx(4));
    assertEquals([1, 2, 3, 4].map((n) => known.has(tx(n))), [false, true, true, true]);
    known.add(tx(5));
    assertEquals([2, 3, 4, 5].map((n) => known.has(tx(n))), [false, true, true, true]);
    assertEquals(known.size, 3);
  });

  await t.step("adding a known entry refreshes it instead of growing", () => {
    const known = new KnownInventory(3);
    known.add(tx(1));
    known.add(tx(2));
    known.add(tx(3));
    known.add(tx(1)); // now 2 is the oldest
    assertEquals(known.size, 3);
    known.add(tx(4));
    assertEquals([1, 2, 3, 4].map((n) => known.has(tx(n))), [true, false, true, true]);
    known.add(tx(5));
    assertEquals([1, 3, 4, 5].map((n) => known.has(tx(n))), [true, false, true, true]);
  });

  await t.step("has() does not change the order", () => {
    const known = new KnownInventory(2);
    known.add(tx(1));
    known.add(tx(2));
    assertEquals(known.has(tx(1)), true);
    known.add(tx(3));
    assertEquals(known.has(tx(1)), false);
  });

  await t.step("keys on type and every hash byte", () => {
    const known = new KnownInventory();
    const h = hash(7);
    known.add({ type: InvType.TX, hash: h });
    assertEquals(known.has({ type: InvType.TX, hash: Uint8Array.from(h) }), true, "by value");
    assertEquals(known.has({ type: InvType.WITNESS_TX, hash: h }), false);
    assertEquals(known.has({ type: InvType.BLOCK, hash: h }), false);
    assertEquals(known.has({ type: InvType.TX | 0x10000, hash: h }), false, "high type bits");
    for (let i = 0; i < 32; i++) {
      const other = Uint8Array.from(h);
      other[i] ^= 1;
      assertEquals(known.has({ type: InvType.TX, hash: other }), false, `byte ${i}`);
    }
    const longer = new Uint8Array(33);
    longer.set(h);
    assertEquals(known.has({ type: InvType.TX, hash: longer }), false);
  });

  await t.step("a hash viewing part of a larger buffer keys by its own bytes", () => {
    const known = new KnownInventory();
    const buffer = new Uint8Array(100);
    buffer.set(hash(9), 40);
    known.add({ type: InvType.TX, hash: buffer.subarray(40, 72) });
    assertEquals(known.has(tx(9)), true);
  });

  await t.step("a limit of 1 keeps only the last", () => {
    const known = new KnownInventory(1);
    known.add(tx(1));
    known.add(tx(2));
    assertEquals(known.size, 1);
    assertEquals(known.has(tx(1)), false);
    assertEquals(known.has(tx(2)), true);
  });
});

Deno.test("InventoryTrickle", async (t) => {
  await t.step("btcd's numbers: 10 s, 1000 per inv", () => {
    assertEquals(DEFAULT_TRICKLE_INTERVAL_MS, 10_000);
    assertEquals(MAX_INV_TRICKLE_SIZE, 1000);
  });

  await t.step("transactions wait for the tick, then go out together", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    trickle.queue(tx(1));
    trickle.queue(tx(2));
    trickle.queue({ type: InvType.WITNESS_TX, hash: hash(3) });
    assertEquals(trickle.pending, 3);
    await clock.tick(9_999);
    assertEquals(sent.length, 0);
    await clock.tick(1);
    assertEquals(sent.length, 1);
    assertEquals(sent[0].at, 10_000);
    assertEquals(sent[0].inventory.map(idOf), [1, 2, 3]);
    assertEquals(sent[0].inventory[2].type, InvType.WITNESS_TX);
    assertEquals(trickle.pending, 0);
    trickle.stop();
  });

  await t.step("2,500 transactions go out as 1000, 1000 and 500, in order", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    for (let i = 0; i < 2_500; i++) trickle.queue(tx(i));
    await clock.tick(10_000);
    assertEquals(sent.map((s) => s.inventory.length), [1000, 1000, 500]);
    assertEquals(sent.flatMap((s) => s.inventory.map(idOf)), [...Array(2_500).keys()]);
    assert(sent.every((s) => s.at === 10_000), "all on the same tick");
    trickle.stop();
  });

  await t.step("exactly 1000 is one inv; 1001 is two", async () => {
    for (const [n, expected] of [[1000, [1000]], [1001, [1000, 1]]] as const) {
      const { clock, sent, trickle } = setup();
      trickle.start();
      for (let i = 0; i < n; i++) trickle.queue(tx(i));
      await clock.tick(10_000);
      assertEquals<readonly number[]>(sent.map((s) => s.inventory.length), expected);
      trickle.stop();
    }
  });

  await t.step("nothing queued: no empty inv on the tick", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    await clock.tick(60_000);
    assertEquals(sent.length, 0);
    trickle.stop();
  });

  await t.step("each tick sends what queued since the last", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    trickle.queue(tx(1));
    await clock.tick(10_000);
    trickle.queue(tx(2));
    trickle.queue(tx(3));
    await clock.tick(10_000);
    assertEquals(sent.map((s) => [s.at, s.inventory.map(idOf)]), [
      [10_000, [1]],
      [20_000, [2, 3]],
    ]);
    trickle.stop();
  });

  for (const type of [InvType.BLOCK, InvType.WITNESS_BLOCK]) {
    await t.step(`a block of type ${type.toString(16)} goes out at once, alone`, async () => {
      const { clock, sent, trickle } = setup();
      trickle.start();
      trickle.queue(tx(1));
      trickle.queue({ type, hash: hash(2) });
      assertEquals(sent.length, 1);
      assertEquals(sent[0].at, 0);
      assertEquals(sent[0].inventory, [{ type, hash: hash(2) }]);
      assertEquals(trickle.known.has({ type, hash: hash(2) }), true);
      assertEquals(trickle.pending, 1, "the transaction still waits");
      trickle.queue({ type, hash: hash(2) });
      assertEquals(sent.length, 1, "a repeat is suppressed");
      await clock.tick(10_000);
      assertEquals(sent[1].inventory.map(idOf), [1]);
      trickle.stop();
    });
  }

  await t.step("blocks go out at once even before start", () => {
    const { sent, trickle } = setup();
    trickle.queue({ type: InvType.BLOCK, hash: hash(1) });
    assertEquals(sent.length, 1);
  });

  await t.step("other types (filtered blocks, wtx) are trickled", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    trickle.queue({ type: InvType.FILTERED_BLOCK, hash: hash(1) });
    trickle.queue({ type: InvType.FILTERED_WITNESS_BLOCK, hash: hash(2) });
    trickle.queue({ type: InvType.WTX, hash: hash(3) });
    assertEquals(sent.length, 0);
    await clock.tick(10_000);
    assertEquals(sent[0].inventory.map(idOf), [1, 2, 3]);
    trickle.stop();
  });

  await t.step("an entry already known is dropped when queued", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    trickle.known.add(tx(1));
    trickle.queue(tx(1));
    trickle.queue(tx(2));
    assertEquals(trickle.pending, 1);
    await clock.tick(10_000);
    assertEquals(sent.map((s) => s.inventory.map(idOf)), [[2]]);
    trickle.stop();
  });

  await t.step("an entry that became known while waiting is dropped at the tick", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    trickle.queue(tx(1));
    trickle.queue(tx(2));
    trickle.known.add(tx(1)); // the peer announced it to us meanwhile
    await clock.tick(10_000);
    assertEquals(sent.map((s) => s.inventory.map(idOf)), [[2]]);
    trickle.stop();
  });

  await t.step("the same entry queued twice before a tick goes out once", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    trickle.queue(tx(1));
    trickle.queue(tx(1));
    trickle.queue(tx(2));
    trickle.queue(tx(1));
    await clock.tick(10_000);
    assertEquals(sent.map((s) => s.inventory.map(idOf)), [[1, 2]]);
    trickle.stop();
  });

  await t.step("what is sent becomes known, and is not announced again", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    trickle.queue(tx(1));
    await clock.tick(10_000);
    assertEquals(trickle.known.has(tx(1)), true);
    trickle.queue(tx(1));
    assertEquals(trickle.pending, 0);
    await clock.tick(10_000);
    assertEquals(sent.length, 1);
    trickle.stop();
  });

  await t.step("a shared KnownInventory is the one consulted and filled", async () => {
    const known = new KnownInventory(10);
    known.add(tx(1));
    const { clock, sent, trickle } = setup({ known });
    assertStrictEquals(trickle.known, known);
    trickle.start();
    trickle.queue(tx(1));
    trickle.queue(tx(2));
    await clock.tick(10_000);
    assertEquals(sent.map((s) => s.inventory.map(idOf)), [[2]]);
    assertEquals(known.has(tx(2)), true);
    trickle.stop();
  });

  await t.step("flush() sends at once, without waiting for the tick", () => {
    const { sent, trickle } = setup();
    trickle.queue(tx(1));
    trickle.flush();
    assertEquals(sent.map((s) => s.inventory.map(idOf)), [[1]]);
    trickle.flush();
    assertEquals(sent.length, 1);
  });

  await t.step("the queue is bounded: past 50,000 waiting, the oldest goes", () => {
    const { sent, trickle } = setup({ known: new KnownInventory(MAX_INV_PER_MSG + 10) });
    for (let i = 0; i <= MAX_INV_PER_MSG; i++) trickle.queue(tx(i));
    assertEquals(trickle.pending, MAX_INV_PER_MSG);
    trickle.flush();
    const ids = sent.flatMap((s) => s.inventory.map(idOf));
    assertEquals(ids.length, MAX_INV_PER_MSG);
    assertEquals(ids[0], 1);
    assertEquals(ids.at(-1), MAX_INV_PER_MSG);
    assert(sent.every((s) => s.inventory.length <= MAX_INV_TRICKLE_SIZE));
  });

  await t.step("stop drops what waits, cancels the timer, and is final", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    assertEquals(clock.pendingTimers, 0, "an idle trickle costs no timer");
    trickle.queue(tx(1));
    trickle.queue(tx(2));
    assertEquals(clock.pendingTimers, 1);
    trickle.stop();
    trickle.stop();
    assertEquals(trickle.pending, 0);
    assertEquals(clock.pendingTimers, 0);
    trickle.queue(tx(3));
    trickle.queue({ type: InvType.BLOCK, hash: hash(4) });
    assertEquals(trickle.pending, 0);
    trickle.start();
    assertEquals(clock.pendingTimers, 0);
    await clock.tick(60_000);
    assertEquals(sent.length, 0);
  });

  await t.step("start is idempotent; one timer per batch", async () => {
    const { clock, sent, trickle } = setup();
    trickle.start();
    trickle.start();
    trickle.queue(tx(1));
    await clock.tick(3_000);
    trickle.queue(tx(2));
    assertEquals(clock.pendingTimers, 1);
    await clock.tick(7_000);
    assertEquals(sent.map((s) => s.inventory.length), [2], "sent 10 s after the first");
    assertEquals(clock.pendingTimers, 0, "the timer ends with its batch");
    trickle.stop();
  });

  await t.step("a custom interval", async () => {
    const { clock, sent, trickle } = setup({ intervalMs: 500 });
    trickle.start();
    trickle.queue(tx(1));
    await clock.tick(499);
    assertEquals(sent.length, 0);
    await clock.tick(1);
    assertEquals(sent.length, 1);
    trickle.stop();
  });

  for (const intervalMs of [0, -5, undefined]) {
    await t.step(`intervalMs ${intervalMs} uses the 10 s default`, async () => {
      const { clock, sent, trickle } = setup({ intervalMs });
      trickle.start();
      trickle.queue(tx(1));
      await clock.tick(9_999);
      assertEquals(sent.length, 0);
      await clock.tick(1);
      assertEquals(sent.length, 1);
      trickle.stop();
    });
  }
});
