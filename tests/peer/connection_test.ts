import { assertEquals, assertLessOrEqual, assertRejects } from "@std/assert";
import { memoryConnectionPair } from "../../peer/connection.ts";
import { FakeClock } from "../../peer/fake_clock.ts";

/** Lets stream jobs run (a few real macrotask turns; no time passes on any clock we test). */
function settle(): Promise<void> {
  return new FakeClock().tick();
}

/** Tracks whether a promise settled, and how. */
function track<T>(promise: Promise<T>): { state: "pending" | "fulfilled" | "rejected" } {
  const status = { state: "pending" as "pending" | "fulfilled" | "rejected" };
  promise.then(() => status.state = "fulfilled", () => status.state = "rejected");
  return status;
}

/** Reads everything until the stream ends, concatenated. */
async function readAll(readable: ReadableStream<Uint8Array>): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of readable) out.push(...chunk);
  return out;
}

Deno.test("memoryConnectionPair", async (t) => {
  await t.step("bytes written on one end are read on the other, both ways", async () => {
    const [a, b] = memoryConnectionPair();
    const aw = a.writable.getWriter();
    const bw = b.writable.getWriter();
    const ar = a.readable.getReader();
    const br = b.readable.getReader();
    await aw.write(new Uint8Array([1, 2, 3]));
    await bw.write(new Uint8Array([9, 8]));
    assertEquals((await br.read()).value, new Uint8Array([1, 2, 3]));
    assertEquals((await ar.read()).value, new Uint8Array([9, 8]));
    await aw.write(new Uint8Array([4]));
    await aw.write(new Uint8Array([5, 6]));
    assertEquals((await br.read()).value, new Uint8Array([4]));
    assertEquals((await br.read()).value, new Uint8Array([5, 6]));
    a.close();
    assertEquals((await br.read()).done, true);
    assertEquals((await ar.read()).done, true);
  });

  await t.step("the reader gets a copy: reusing the buffer after the write is safe", async () => {
    const [a, b] = memoryConnectionPair();
    const writer = a.writable.getWriter();
    const buffer = new Uint8Array([1, 2, 3]);
    await writer.write(buffer);
    buffer.fill(0xff);
    const { value } = await b.readable.getReader().read();
    assertEquals(value, new Uint8Array([1, 2, 3]));
    a.close();
  });

  await t.step("a large stream arrives whole and in order", async () => {
    const [a, b] = memoryConnectionPair({ bufferBytes: 1024 });
    const expected: number[] = [];
    const writing = (async () => {
      const writer = a.writable.getWriter();
      for (let i = 0; i < 300; i++) {
        const chunk = new Uint8Array(97).map((_, j) => (i * 97 + j) & 0xff);
        expected.push(...chunk);
        await writer.write(chunk);
      }
      await writer.close();
    })();
    const received = await readAll(b.readable);
    await writing;
    assertEquals(received.length, 300 * 97);
    assertEquals(received, expected);
    b.close();
  });

  await t.step("backpressure: a writer waits once the buffer is full and unread", async () => {
    const [a, b] = memoryConnectionPair({ bufferBytes: 8 });
    const writer = a.writable.getWriter();
    assertEquals(writer.desiredSize, 1);
    await writer.write(new Uint8Array(8)); // fills the 8-byte buffer
    const second = track(writer.write(new Uint8Array([2])));
    const third = track(writer.write(new Uint8Array([3])));
    const ready = track(writer.ready);
    await settle();
    assertEquals(second.state, "pending");
    assertEquals(third.state, "pending");
    assertEquals(ready.state, "pending");
    assertLessOrEqual(writer.desiredSize!, 0, `desiredSize ${writer.desiredSize}`);

    const reader = b.readable.getReader();
    assertEquals((await reader.read()).value, new Uint8Array(8));
    await settle();
    assertEquals(second.state, "fulfilled");
    assertEquals(third.state, "fulfilled");
    assertEquals(ready.state, "fulfilled");
    assertEquals(writer.desiredSize, 1);
    assertEquals((await reader.read()).value, new Uint8Array([2]));
    assertEquals((await reader.read()).value, new Uint8Array([3]));
    a.close();
  });

  await t.step("backpressure counts bytes: small writes pass until bufferBytes", async () => {
    const [a, b] = memoryConnectionPair({ bufferBytes: 10 });
    const writer = a.writable.getWriter();
    for (let i = 0; i < 9; i++) await writer.write(new Uint8Array([i]));
    // 9 bytes buffered: one more fits, then the next has to wait.
    await writer.write(new Uint8Array([9]));
    const blocked = track(writer.write(new Uint8Array([10])));
    await settle();
    assertEquals(blocked.state, "pending");
    const reader = b.readable.getReader();
    await reader.read();
    await settle();
    assertEquals(blocked.state, "fulfilled");
    b.close();
  });

  await t.step("the default buffer is 64 KiB", async () => {
    const [a, b] = memoryConnectionPair();
    const writer = a.writable.getWriter();
    await writer.write(new Uint8Array(64 * 1024));
    const blocked = track(writer.write(new Uint8Array(1)));
    await settle();
    assertEquals(blocked.state, "pending");
    await b.readable.getReader().read();
    await settle();
    assertEquals(blocked.state, "fulfilled");
    a.close();
  });

  await t.step("each direction buffers on its own", async () => {
    const [a, b] = memoryConnectionPair({ bufferBytes: 4 });
    const aw = a.writable.getWriter();
    const bw = b.writable.getWriter();
    await aw.write(new Uint8Array(4));
    const aBlocked = track(aw.write(new Uint8Array(1)));
    // b -> a is still empty: b writes freely.
    await bw.write(new Uint8Array(4));
    await settle();
    assertEquals(aBlocked.state, "pending");
    a.close();
    await settle();
    assertEquals(aBlocked.state, "rejected");
  });

  for (const closer of ["a", "b"] as const) {
    await t.step(`closing ${closer} ends both readables after the buffered data`, async () => {
      const [a, b] = memoryConnectionPair();
      await a.writable.getWriter().write(new Uint8Array([1, 2]));
      await b.writable.getWriter().write(new Uint8Array([3]));
      (closer === "a" ? a : b).close();
      assertEquals(await readAll(b.readable), [1, 2]);
      assertEquals(await readAll(a.readable), [3]);
    });

    await t.step(`closing ${closer} makes writes on both ends reject`, async () => {
      const [a, b] = memoryConnectionPair();
      const aw = a.writable.getWriter();
      const bw = b.writable.getWriter();
      (closer === "a" ? a : b).close();
      await assertRejects(() => aw.write(new Uint8Array([1])));
      await assertRejects(() => bw.write(new Uint8Array([1])));
      await assertRejects(() => aw.ready);
      assertEquals(aw.desiredSize, null);
    });
  }

  await t.step("a pending read ends when either side closes", async () => {
    const [a, b] = memoryConnectionPair();
    const reading = b.readable.getReader().read();
    const status = track(reading);
    await settle();
    assertEquals(status.state, "pending");
    b.close();
    assertEquals((await reading).done, true);
    assertEquals((await a.readable.getReader().read()).done, true);
  });

  await t.step("close never leaves a writer blocked on backpressure hanging", async () => {
    const [a] = memoryConnectionPair({ bufferBytes: 1 });
    const writer = a.writable.getWriter();
    await writer.write(new Uint8Array(1));
    const blocked = writer.write(new Uint8Array(1));
    const queued = writer.write(new Uint8Array(1));
    const status = track(blocked);
    await settle();
    assertEquals(status.state, "pending");
    a.close();
    await assertRejects(() => blocked);
    await assertRejects(() => queued);
  });

  await t.step("close is idempotent, from either end", async () => {
    const [a, b] = memoryConnectionPair();
    a.close();
    a.close();
    b.close();
    assertEquals((await b.readable.getReader().read()).done, true);
  });

  await t.step(
    "a writer closing its side ends the remote readable; close() still works",
    async () => {
      const [a, b] = memoryConnectionPair();
      const writer = a.writable.getWriter();
      await writer.write(new Uint8Array([7]));
      await writer.close();
      assertEquals(await readAll(b.readable), [7]);
      a.close();
      b.close();
      await assertRejects(() => b.writable.getWriter().write(new Uint8Array([1])));
    },
  );

  await t.step("the remote cancelling its readable makes our writes fail, not hang", async () => {
    const [a, b] = memoryConnectionPair();
    await b.readable.cancel(new Error("gone"));
    await assertRejects(() => a.writable.getWriter().write(new Uint8Array([1])), Error, "gone");
    a.close();
  });
});
