// Decoding through MessageDecoderStream, consumed with `for await` as a program would: small
// frames (8-byte pings in 1,400-byte chunks, as from a socket), 1,000-entry inv frames and
// real blocks (64 KiB chunks). The inv and block cases are compared with bare double
// SHA-256 over the same payloads in the same run: the checksum is the floor.
import { doubleSha256 } from "../wire/hash.ts";
import { decodeBlock } from "../wire/block.ts";
import { MessageDecoderStream } from "../wire/decoder_stream.ts";
import { encodeMessage } from "../wire/frame.ts";
import type { Message } from "../wire/message.ts";
import { InvType } from "../wire/protocol.ts";
import { BLOCK_FILES, chunked, concat, HAVE_SHARED_DATA } from "./_data.ts";
import { benchThroughput } from "./_throughput.ts";

async function drain(chunks: Uint8Array[]): Promise<number> {
  let n = 0;
  const stream = ReadableStream.from(chunks).pipeThrough(new MessageDecoderStream());
  for await (const _ of stream) n++;
  return n;
}

function check(got: number, want: number): void {
  if (got !== want) throw new Error(`decoded ${got} messages, expected ${want}`);
}

// 8-byte pings, each with its own nonce (and so its own checksum).
const PINGS = 20_000;
const pingStream = concat(
  Array.from({ length: PINGS }, (_, i) => encodeMessage({ command: "ping", nonce: BigInt(i) })),
);
const pingChunks = chunked(pingStream, 1400);
benchThroughput(
  `decoder stream: ${PINGS} pings, 1,400-byte chunks`,
  { group: "ping", items: PINGS, itemName: "msgs", bytes: pingStream.length },
  async () => check(await drain(pingChunks), PINGS),
);

// 1,000-entry inv frames with random hashes.
const INVS = 50;
const invFrames = Array.from({ length: INVS }, () =>
  encodeMessage({
    command: "inv",
    inventory: Array.from({ length: 1000 }, () => ({
      type: InvType.WITNESS_TX,
      hash: crypto.getRandomValues(new Uint8Array(32)),
    })),
  } as Message));
const invPayloads = invFrames.map((f) => f.subarray(24));
const invChunks = chunked(concat(invFrames), 65536);
const invBytes = invPayloads.reduce((n, p) => n + p.length, 0);
benchThroughput(
  `bare doubleSha256: ${INVS} inv payloads`,
  { group: "inv 1000", baseline: true, items: INVS, itemName: "msgs", bytes: invBytes },
  () => {
    for (const p of invPayloads) doubleSha256(p);
  },
);
benchThroughput(
  `decoder stream: ${INVS} inv frames of 1,000 entries, 64 KiB chunks`,
  { group: "inv 1000", items: INVS, itemName: "msgs", bytes: invBytes },
  async () => check(await drain(invChunks), INVS),
);

if (!HAVE_SHARED_DATA) {
  console.warn("Skipping the block cases: ../shared/data is absent");
}
for (const { name, bytes } of BLOCK_FILES) {
  const frame = encodeMessage({ command: "block", ...decodeBlock(bytes) });
  const chunks = chunked(frame, 65536);
  const payload = frame.subarray(24);
  benchThroughput(
    `bare doubleSha256: ${name}`,
    { group: name, baseline: true, items: 1, itemName: "blocks", bytes: payload.length },
    () => {
      doubleSha256(payload);
    },
  );
  benchThroughput(
    `decoder stream: ${name}, 64 KiB chunks`,
    { group: name, items: 1, itemName: "blocks", bytes: payload.length },
    async () => check(await drain(chunks), 1),
  );
  benchThroughput(
    `decoder stream: ${name}, one chunk`,
    { group: name, items: 1, itemName: "blocks", bytes: payload.length },
    async () => check(await drain([frame]), 1),
  );
}
