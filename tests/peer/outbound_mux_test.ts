import { assertEquals, assertGreaterOrEqual, assertRejects } from "@std/assert";
import { FakeClock } from "../../peer/fake_clock.ts";
import { OutboundMux, type Outgoing } from "../../peer/outbound_mux.ts";
import { tap } from "../../peer/tap.ts";

function settle(): Promise<void> {
  return new FakeClock().tick();
}

/** An outgoing frame of `size` bytes whose settle calls are recorded in `settled`. */
function frame(id: number, size: number, settled: Map<number, boolean[]>): Outgoing {
  settled.set(id, []);
  return {
    message: { command: "ping", nonce: BigInt(id) },
    buffer: new Uint8Array(size).fill(id & 0xff),
    settle: (written) => settled.get(id)!.push(written),
  };
}

function idOf(entry: Outgoing): number {
  assertEquals(entry.message.command, "ping");
  return Number((entry.message as { nonce: bigint }).nonce);
}

Deno.test("OutboundMux", async (t) => {
  await t.step("frames come out in the order pushed", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    for (let i = 0; i < 5; i++) assertEquals(mux.push(frame(i, 10, settled)), true);
    const reader = mux.readable.getReader();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const { value } = await reader.read();
      ids.push(idOf(value!));
      mux.written(value!);
    }
    assertEquals(ids, [0, 1, 2, 3, 4]);
    mux.close();
    assertEquals((await reader.read()).done, true);
  });

  await t.step("pull-based: nothing leaves the queue until a reader asks", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    for (let i = 0; i < 3; i++) mux.push(frame(i, 10, settled));
    const reader = mux.readable.getReader();
    await settle();
    assertEquals(mux.pending, 3, "acquiring a reader pulls nothing");
    await reader.read();
    await settle();
    assertEquals(mux.pending, 2, "one read takes exactly one frame");
    await reader.read();
    await settle();
    assertEquals(mux.pending, 1);
    mux.close();
  });

  await t.step("a piped readable only takes what the sink is ready for", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    for (let i = 0; i < 10; i++) mux.push(frame(i, 10, settled));
    let release!: () => void;
    const writes: number[] = [];
    const piping = mux.readable.pipeTo(
      new WritableStream<Outgoing>({
        write: async (entry) => {
          writes.push(idOf(entry));
          await new Promise<void>((resolve) => release = resolve);
          mux.written(entry);
        },
      }, { highWaterMark: 1 }),
    );
    await settle();
    assertEquals(writes, [0]);
    // One in the sink, at most one more held by the sink's queue: the rest stays in the mux.
    assertGreaterOrEqual(mux.pending, 8, `pending ${mux.pending}`);
    release();
    await settle();
    assertEquals(writes, [0, 1]);
    assertEquals(settled.get(0), [true]);
    mux.close();
    release();
    await piping;
  });

  await t.step("queuedBytes and pending through push, pull and written", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    assertEquals(mux.queuedBytes, 0);
    assertEquals(mux.pending, 0);
    mux.push(frame(1, 10, settled));
    mux.push(frame(2, 20, settled));
    mux.push(frame(3, 30, settled));
    assertEquals(mux.queuedBytes, 60);
    assertEquals(mux.pending, 3);
    const reader = mux.readable.getReader();
    const first = (await reader.read()).value!;
    assertEquals(mux.pending, 2);
    assertEquals(mux.queuedBytes, 60, "a pulled frame is in flight: still counted");
    mux.written(first);
    assertEquals(mux.queuedBytes, 50);
    assertEquals(settled.get(1), [true]);
    assertEquals(settled.get(2), []);
    const second = (await reader.read()).value!;
    const third = (await reader.read()).value!;
    assertEquals(mux.pending, 0);
    assertEquals(mux.queuedBytes, 50);
    mux.written(second);
    mux.written(third);
    assertEquals(mux.queuedBytes, 0);
    assertEquals(settled.get(3), [true]);
    mux.close();
  });

  await t.step("written() out of order, twice, or for a stranger is ignored", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    mux.push(frame(1, 10, settled));
    mux.push(frame(2, 20, settled));
    const reader = mux.readable.getReader();
    const first = (await reader.read()).value!;
    const second = (await reader.read()).value!;
    mux.written(second);
    assertEquals(mux.queuedBytes, 30);
    assertEquals(settled.get(2), []);
    mux.written(frame(9, 5, settled));
    assertEquals(mux.queuedBytes, 30);
    mux.written(first);
    mux.written(first);
    assertEquals(mux.queuedBytes, 20);
    assertEquals(settled.get(1), [true]);
    mux.written(second);
    assertEquals(mux.queuedBytes, 0);
    assertEquals(settled.get(2), [true]);
    mux.close();
    assertEquals(settled.get(1), [true], "close does not settle a written frame again");
    assertEquals(settled.get(2), [true]);
  });

  await t.step("the cap refuses a push that would pass it, without settling it", () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ capBytes: 100, entryOverheadBytes: 0 });
    assertEquals(mux.push(frame(1, 60, settled)), true);
    assertEquals(mux.push(frame(2, 40, settled)), true, "exactly at the cap is allowed");
    assertEquals(mux.push(frame(3, 1, settled)), false);
    assertEquals(settled.get(3), [], "a refused frame is the caller's to settle");
    assertEquals(mux.queuedBytes, 100);
    assertEquals(mux.pending, 2);
    mux.close();
    assertEquals(settled.get(3), [], "nor does close settle it");
  });

  await t.step("a push into an empty queue always succeeds, even over the cap", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ capBytes: 100, entryOverheadBytes: 0 });
    assertEquals(mux.push(frame(1, 1_000, settled)), true);
    assertEquals(mux.queuedBytes, 1_000);
    assertEquals(mux.push(frame(2, 1, settled)), false, "but nothing joins it");
    const reader = mux.readable.getReader();
    const big = (await reader.read()).value!;
    assertEquals(mux.push(frame(3, 1, settled)), false, "still in flight: still counted");
    mux.written(big);
    assertEquals(mux.push(frame(4, 500, settled)), true, "empty again");
    mux.close();
    assertEquals(settled.get(4), [false]);
  });

  await t.step("a cap of 0 lets one frame at a time through", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ capBytes: 0, entryOverheadBytes: 0 });
    assertEquals(mux.push(frame(1, 24, settled)), true);
    assertEquals(mux.push(frame(2, 24, settled)), false);
    const reader = mux.readable.getReader();
    mux.written((await reader.read()).value!);
    assertEquals(mux.push(frame(3, 24, settled)), true);
    mux.close();
  });

  await t.step("the cap frees bytes as frames are written", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ capBytes: 50, entryOverheadBytes: 0 });
    for (let i = 0; i < 5; i++) assertEquals(mux.push(frame(i, 10, settled)), true);
    assertEquals(mux.push(frame(5, 10, settled)), false);
    const reader = mux.readable.getReader();
    mux.written((await reader.read()).value!);
    assertEquals(mux.push(frame(6, 10, settled)), true);
    assertEquals(mux.push(frame(7, 10, settled)), false);
    mux.close();
  });

  await t.step("close settles every unwritten frame false, exactly once", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    for (let i = 0; i < 4; i++) mux.push(frame(i, 10, settled));
    const reader = mux.readable.getReader();
    const first = (await reader.read()).value!;
    await reader.read(); // frame 1 pulled, in flight, never written
    mux.written(first);
    mux.close();
    mux.close();
    assertEquals(settled.get(0), [true]);
    assertEquals(settled.get(1), [false], "in flight");
    assertEquals(settled.get(2), [false], "queued");
    assertEquals(settled.get(3), [false]);
    assertEquals(mux.queuedBytes, 0);
    assertEquals(mux.pending, 0);
  });

  await t.step("settle(false) is in push order", () => {
    const order: number[] = [];
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    for (let i = 0; i < 5; i++) {
      mux.push({
        message: { command: "verack" },
        buffer: new Uint8Array(1),
        settle: () => order.push(i),
      });
    }
    mux.close();
    assertEquals(order, [0, 1, 2, 3, 4]);
  });

  await t.step("written() after close does nothing", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    mux.push(frame(1, 10, settled));
    const reader = mux.readable.getReader();
    const entry = (await reader.read()).value!;
    mux.close();
    mux.written(entry);
    assertEquals(settled.get(1), [false]);
    assertEquals(mux.queuedBytes, 0);
  });

  await t.step("after close, push is refused and the readable ends", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    mux.push(frame(1, 10, settled));
    mux.close();
    assertEquals(mux.push(frame(2, 10, settled)), false);
    assertEquals(settled.get(2), []);
    const reader = mux.readable.getReader();
    assertEquals((await reader.read()).done, true, "queued frames are dropped, not delivered");
  });

  await t.step("a pending read resolves on the next push", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    const reader = mux.readable.getReader();
    let result: ReadableStreamReadResult<Outgoing> | undefined;
    const reading = reader.read().then((r) => result = r);
    await settle();
    assertEquals(result, undefined);
    mux.push(frame(7, 10, settled));
    await reading;
    assertEquals(idOf(result!.value!), 7);
    assertEquals(mux.pending, 0, "handed straight to the reader");
    assertEquals(mux.queuedBytes, 10);
    mux.written(result!.value!);
    assertEquals(settled.get(7), [true]);
    // The next push after a served wait queues normally.
    mux.push(frame(8, 10, settled));
    assertEquals(mux.pending, 1);
    mux.close();
  });

  await t.step("a pending read resolves done on close", async () => {
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    const reader = mux.readable.getReader();
    const reading = reader.read();
    await settle();
    mux.close();
    assertEquals((await reading).done, true);
    await reader.closed;
  });

  await t.step("cancelling the readable closes the mux and drops what waits", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    mux.push(frame(1, 10, settled));
    mux.push(frame(2, 10, settled));
    const reader = mux.readable.getReader();
    await reader.read();
    await reader.cancel(new Error("socket gone"));
    assertEquals(settled.get(1), [false]);
    assertEquals(settled.get(2), [false]);
    assertEquals(mux.push(frame(3, 10, settled)), false);
    assertEquals(mux.queuedBytes, 0);
  });

  await t.step("cancelling while a read waits settles the frame in flight", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    mux.push(frame(1, 10, settled));
    const reader = mux.readable.getReader();
    await reader.read(); // in flight, not yet written
    const waiting = reader.read(); // the queue is empty: this read waits for a push
    await settle();
    await reader.cancel(new Error("socket gone"));
    assertEquals((await waiting).done, true);
    assertEquals(settled.get(1), [false], "the sender's promise must not hang");
    assertEquals(mux.push(frame(2, 10, settled)), false);
  });

  await t.step("a failing sink cancels the mux through pipeTo; every sender settles", async () => {
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    mux.push(frame(1, 10, settled));
    const seen: number[] = [];
    // As the peer composes it: taps between the mux and the socket sink read one ahead, so
    // the mux has a read waiting while the sink writes.
    const piping = mux.readable
      .pipeThrough(tap((entry) => seen.push(idOf(entry))))
      .pipeThrough(tap(() => {}))
      .pipeTo(
        new WritableStream<Outgoing>({
          write: async () => {
            await settle();
            throw new Error("write failed");
          },
        }, { highWaterMark: 1 }),
      );
    await assertRejects(() => piping, Error, "write failed");
    assertEquals(seen, [1]);
    assertEquals(settled.get(1), [false]);
    assertEquals(mux.push(frame(2, 10, settled)), false);
  });

  await t.step("10,000 frames keep FIFO and accounting across compaction", async () => {
    const n = 10_000;
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    for (let i = 0; i < n; i++) mux.push(frame(i, 1 + (i % 7), settled));
    const total = Array.from({ length: n }, (_, i) => 1 + (i % 7)).reduce((a, b) => a + b);
    assertEquals(mux.queuedBytes, total);
    assertEquals(mux.pending, n);
    const reader = mux.readable.getReader();
    let written = 0;
    // Interleave pushes with reads so both internal lists compact while non-empty.
    for (let i = 0; i < n + 3_000; i++) {
      const { value } = await reader.read();
      assertEquals(idOf(value!), i);
      if (i % 3 === 0 && i < 9_000) mux.push(frame(n + i / 3, 1 + ((n + i / 3) % 7), settled));
      mux.written(value!);
      written += value!.buffer.length;
    }
    assertEquals(mux.pending, 0);
    assertEquals(mux.queuedBytes, 0);
    for (let i = 0; i < n + 3_000; i++) {
      assertEquals(settled.get(i), [true], `frame ${i}`);
    }
    mux.close();
    assertEquals((await reader.read()).done, true);
  });

  await t.step("10,000 pulled but unwritten frames all settle false on close", async () => {
    const n = 10_000;
    const settled = new Map<number, boolean[]>();
    const mux = new OutboundMux({ entryOverheadBytes: 0 });
    for (let i = 0; i < n; i++) mux.push(frame(i, 3, settled));
    const reader = mux.readable.getReader();
    for (let i = 0; i < 6_000; i++) {
      const { value } = await reader.read();
      if (i < 2_000) mux.written(value!);
    }
    assertEquals(mux.pending, 4_000);
    assertEquals(mux.queuedBytes, (n - 2_000) * 3);
    mux.close();
    for (let i = 0; i < n; i++) {
      assertEquals(settled.get(i), [i < 2_000], `frame ${i}`);
    }
  });
});
