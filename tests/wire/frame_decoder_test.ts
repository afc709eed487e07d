// FrameDecoder: raw frames out, payloads undecoded, and a frame in progress holds what
// arrived, not what its header claims, however the remote segments it.
import { assert, assertEquals, assertLessOrEqual, assertThrows } from "@std/assert";
import fc from "fast-check";
import { FrameDecoder, FrameDecoderStream } from "../../wire/frame_decoder.ts";
import { decodeRawMessage, encodeMessage, frameMessage } from "../../wire/frame.ts";
import { MessageError } from "../../wire/errors.ts";
import type { RawMessage } from "../../wire/message.ts";

/** A 4,000,000-byte block announced, with a bad checksum that never matters here. */
function blockHeader(length: number): Uint8Array {
  const header = frameMessage({ command: "block", payload: new Uint8Array(0) }).slice(0, 24);
  new DataView(header.buffer).setUint32(16, length, true);
  return header;
}

/** Each byte in a fresh 512-byte read buffer, as a socket reader would hand them over. */
function* oneByteReads(bytes: Uint8Array): Generator<Uint8Array> {
  for (const b of bytes) {
    const buffer = new Uint8Array(512);
    buffer[0] = b;
    yield buffer.subarray(0, 1);
  }
}

Deno.test("FrameDecoder", async (t) => {
  await t.step("hands up command and payload, checksum checked, payload not decoded", () => {
    const out: RawMessage[] = [];
    const d = new FrameDecoder({ network: "regtest" });
    d.push(
      encodeMessage({ command: "ping", nonce: 5n }, { network: "regtest" }),
      (m) => out.push(m),
    );
    assertEquals(out.length, 1);
    assertEquals(out[0].command, "ping");
    assertEquals(decodeRawMessage(out[0]), { command: "ping", nonce: 5n });
  });

  await t.step("unknown commands pass through; a bad checksum throws", () => {
    const out: RawMessage[] = [];
    const d = new FrameDecoder();
    d.push(frameMessage({ command: "hello", payload: new Uint8Array([1, 2]) }), (m) => out.push(m));
    assertEquals(out.map((m) => [m.command, [...m.payload]]), [["hello", [1, 2]]]);
    const bad = frameMessage({ command: "hello", payload: new Uint8Array([1, 2]) });
    bad[23] ^= 1;
    const e = assertThrows(() => d.push(bad, () => {}), MessageError);
    assertEquals(e.code, "bad-checksum");
  });

  await t.step("a payload a byte per read holds about what arrived", () => {
    const d = new FrameDecoder();
    d.push(blockHeader(4_000_000), () => {});
    let arrived = 0;
    for (const chunk of oneByteReads(new Uint8Array(100_000).fill(7))) {
      d.push(chunk, () => {});
      arrived++;
      if (arrived % 997 === 0) {
        assertLessOrEqual(d.heldBytes, 2 * arrived + 4096 + 24, `after ${arrived} bytes`);
      }
    }
    assertEquals(d.bufferedBytes, 100_000);
    assertLessOrEqual(d.heldBytes, 2 * arrived + 4096 + 24);
  });

  await t.step("large reads are kept as views and joined once", () => {
    const payload = Uint8Array.from({ length: 200_000 }, (_, i) => (i * 31) & 0xff);
    const frame = frameMessage({ command: "hello", payload });
    const out: RawMessage[] = [];
    const d = new FrameDecoder();
    for (let at = 0; at < frame.length; at += 65_536) {
      d.push(frame.slice(at, at + 65_536), (m) => out.push(m));
    }
    assertEquals(out.length, 1);
    assertEquals(out[0].payload, payload);
  });

  await t.step("property: memory held stays within 2x arrived + 4 KiB for any segmentation", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: 40_000 }), { minLength: 1, maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 8 }), { minLength: 1, maxLength: 60 }),
        (sizes, spare) => {
          const d = new FrameDecoder();
          d.push(blockHeader(4_000_000), () => {});
          let arrived = 0;
          sizes.forEach((size, i) => {
            // The read buffer is the piece or up to 8x larger, as an adaptive reader's are.
            const buffer = new Uint8Array(size * spare[i % spare.length]);
            d.push(buffer.subarray(0, size), () => {});
            arrived += size;
            assertLessOrEqual(d.heldBytes, 2 * arrived + 4096 + 24);
          });
          // Pieces that fill at least half their buffer are kept as views, the rest copied.
          return d.bufferedBytes === arrived;
        },
      ),
      { numRuns: 1000 },
    );
  });

  await t.step("the stream form", async () => {
    const bytes = encodeMessage({ command: "verack" });
    const frames = await Array.fromAsync(
      ReadableStream.from([bytes.subarray(0, 3), bytes.subarray(3)]).pipeThrough(
        new FrameDecoderStream(),
      ),
    );
    assertEquals(frames.map((f) => f.command), ["verack"]);
    assert(frames[0].payload.length === 0);
  });
});
