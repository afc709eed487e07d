// ChunkReader: byte streams are read into buffers sized to the traffic; other streams as
// they come.
import { assert, assertEquals, assertNotStrictEquals, assertRejects } from "@std/assert";
import { ChunkReader, MAX_READ_BYTES, MIN_READ_BYTES } from "../../peer/_connection_io.ts";

/** A byte stream that serves `total` bytes in reads of at most `perRead`. */
function byteSource(total: number, perRead: number): ReadableStream<Uint8Array> {
  let sent = 0;
  return new ReadableStream({
    type: "bytes",
    pull(controller) {
      const request = controller.byobRequest!;
      const view = request.view!;
      const n = Math.min(view.byteLength, perRead, total - sent);
      if (n === 0) {
        controller.close();
        request.respond(0);
        return;
      }
      new Uint8Array(view.buffer, view.byteOffset, n).fill(sent & 0xff);
      sent += n;
      request.respond(n);
    },
  });
}

Deno.test("ChunkReader", async (t) => {
  await t.step("grows fourfold while reads fill the buffer, up to the maximum", async () => {
    const reader = new ChunkReader(byteSource(10_000_000, Infinity));
    const sizes: number[] = [];
    let total = 0;
    for (;;) {
      const chunk = await reader.read();
      if (chunk === undefined) break;
      sizes.push(chunk.length);
      total += chunk.length;
    }
    assertEquals(total, 10_000_000);
    const expected: number[] = [];
    for (let size = MIN_READ_BYTES; size < MAX_READ_BYTES; size *= 4) expected.push(size);
    expected.push(MAX_READ_BYTES);
    assertEquals(sizes.slice(0, expected.length), expected);
    assert(sizes.every((n) => n <= MAX_READ_BYTES));
  });

  await t.step("shrinks back after two small reads in a row", async () => {
    let phase = "fill";
    let sent = 0;
    const stream = new ReadableStream({
      type: "bytes",
      pull(controller) {
        const request = controller.byobRequest!;
        const n = phase === "fill" ? request.view!.byteLength : 100;
        if (++sent > 40) {
          controller.close();
          request.respond(0);
          return;
        }
        request.respond(n);
      },
    });
    const reader = new ChunkReader(stream);
    for (let i = 0; i < 5; i++) await reader.read();
    assertEquals(reader.nextReadBytes, MAX_READ_BYTES);
    phase = "trickle";
    while ((await reader.read()) !== undefined && reader.nextReadBytes > MIN_READ_BYTES);
    assertEquals(reader.nextReadBytes, MIN_READ_BYTES);
  });

  await t.step("every chunk has its own buffer (the decoder keeps views of them)", async () => {
    const perRead = MIN_READ_BYTES - 12;
    const reader = new ChunkReader(byteSource(8192, perRead));
    const a = await reader.read();
    const b = await reader.read();
    assert(a !== undefined && b !== undefined);
    assertNotStrictEquals(a.buffer, b.buffer);
    assertEquals(a[0], 0);
    assertEquals(b[0], perRead & 0xff);
  });

  await t.step("a stream that is not a byte stream is read as it comes", async () => {
    const chunks = [new Uint8Array([1]), new Uint8Array([2, 3])];
    const reader = new ChunkReader(ReadableStream.from(chunks));
    assertEquals(await reader.read(), chunks[0]);
    assertEquals(await reader.read(), chunks[1]);
    assertEquals(await reader.read(), undefined);
  });

  await t.step("cancel never throws, also on an errored stream", async () => {
    const errored = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.error(new Error("reset"));
      },
    });
    const reader = new ChunkReader(errored);
    await assertRejects(() => reader.read(), Error, "reset");
    await reader.cancel();
  });
});
