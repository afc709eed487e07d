// End to end through two peers over TCP on 127.0.0.1, in one process: queueMessage → encode →
// outbound mux → taps → transport → socket → transport → decode → taps → dispatcher →
// listener, over v1 framing and over BIP 324's v2 transport. Each group's baseline is the
// codec alone on the same messages in the same run (encode each frame, decode it through
// MessageDecoderStream in 64 KiB chunks), so the ratios are the share of codec throughput the
// peer machinery, the transport and the socket leave, and v2 against v1.
import type { Message } from "../wire/message.ts";
import { decodeBlock } from "../wire/block.ts";
import { MessageDecoderStream } from "../wire/decoder_stream.ts";
import { encodeMessage } from "../wire/frame.ts";
import { InvType } from "../wire/protocol.ts";
import type { Peer } from "../peer/mod.ts";
import { BLOCK_FILES, chunked, HAVE_SHARED_DATA } from "./_data.ts";
import { connectedTcpPeers } from "./_tcp.ts";
import { benchThroughput } from "./_throughput.ts";

const CHUNK = 65536;

/** Codec only: encodes each message and decodes the frames from 64 KiB chunks. */
async function codecRoundTrip(messages: readonly Message[]): Promise<void> {
  const chunks: Uint8Array[] = [];
  for (const m of messages) {
    chunks.push(...chunked(encodeMessage(m, { network: "regtest" }), CHUNK));
  }
  let n = 0;
  const decoded = ReadableStream.from(chunks).pipeThrough(
    new MessageDecoderStream({ network: "regtest" }),
  );
  for await (const _ of decoded) n++;
  if (n !== messages.length) throw new Error(`decoded ${n} of ${messages.length}`);
}

/** A pair of peers whose inbound side counts messages of one command. */
async function countingPair(command: string, transport: "v1" | "v2"): Promise<{
  outbound: Peer;
  inbound: Peer;
  sendAll: (messages: readonly Message[]) => Promise<void>;
}> {
  let received = 0;
  let target = 0;
  let done: (() => void) | undefined;
  const count = () => {
    if (++received === target) done?.();
  };
  const { outbound, inbound } = await connectedTcpPeers({ transport }, {
    transport,
    listeners: {
      onInv: command === "inv" ? count : undefined,
      onBlock: command === "block" ? count : undefined,
    },
  });
  return {
    outbound,
    inbound,
    async sendAll(messages) {
      const finished = new Promise<void>((resolve) => (done = resolve));
      received = 0;
      target = messages.length;
      for (const m of messages) void outbound.queueMessage(m);
      await finished;
    },
  };
}

const pairs: Peer[] = [];
globalThis.addEventListener("unload", () => {
  for (const p of pairs) p.disconnect();
});

// 1,000-entry inv messages with random hashes.
const INVS = 50;
const invs: Message[] = Array.from({ length: INVS }, () =>
  ({
    command: "inv",
    inventory: Array.from({ length: 1000 }, () => ({
      type: InvType.WITNESS_TX,
      hash: crypto.getRandomValues(new Uint8Array(32)),
    })),
  }) as Message);
const invBytes = invs.reduce((n, m) => n + encodeMessage(m).length - 24, 0);
benchThroughput(
  `codec only: encode + decode ${INVS} inv of 1,000`,
  { group: "inv 1000", baseline: true, items: INVS, itemName: "msgs", bytes: invBytes },
  () => codecRoundTrip(invs),
);
for (const transport of ["v1", "v2"] as const) {
  const invPair = await countingPair("inv", transport);
  pairs.push(invPair.outbound, invPair.inbound);
  benchThroughput(
    `two peers over TCP, ${transport}: ${INVS} inv of 1,000, queue to listener`,
    { group: "inv 1000", items: INVS, itemName: "msgs", bytes: invBytes },
    () => invPair.sendAll(invs),
  );
}

if (!HAVE_SHARED_DATA) console.warn("Skipping the block cases: ../shared/data is absent");
for (const { name, bytes } of BLOCK_FILES) {
  const message: Message = { command: "block", ...decodeBlock(bytes) };
  const blocks = [message, message, message, message];
  const blockBytes = (encodeMessage(message).length - 24) * blocks.length;
  benchThroughput(
    `codec only: encode + decode 4 x ${name}`,
    { group: name, baseline: true, items: blocks.length, itemName: "blocks", bytes: blockBytes },
    () => codecRoundTrip(blocks),
  );
  for (const transport of ["v1", "v2"] as const) {
    const pair = await countingPair("block", transport);
    pairs.push(pair.outbound, pair.inbound);
    benchThroughput(
      `two peers over TCP, ${transport}: 4 x ${name}, queue to listener`,
      { group: name, items: blocks.length, itemName: "blocks", bytes: blockBytes },
      () => pair.sendAll(blocks),
    );
  }
}
