// Encoding the same messages the decoder bench decodes: pings, 1,000-entry invs and real
// blocks, reported beside decoding. Blocks are encoded twice: as decoded (unchanged
// transactions are copied from their original bytes) and rebuilt as plain objects (every
// field serialized).
import { decodeBlock } from "../wire/block.ts";
import { MessageEncoderStream } from "../wire/encoder_stream.ts";
import { encodeMessage } from "../wire/frame.ts";
import type { Message } from "../wire/message.ts";
import { InvType } from "../wire/protocol.ts";
import type { Tx } from "../wire/tx.ts";
import { BLOCK_FILES, HAVE_SHARED_DATA } from "./_data.ts";
import { benchThroughput } from "./_throughput.ts";

const PINGS = 20_000;
const pings: Message[] = Array.from(
  { length: PINGS },
  (_, i) => ({ command: "ping", nonce: BigInt(i) }),
);
benchThroughput(
  `encodeMessage: ${PINGS} pings`,
  { group: "ping encode", baseline: true, items: PINGS, itemName: "msgs", bytes: PINGS * 8 },
  () => {
    for (const m of pings) encodeMessage(m);
  },
);
benchThroughput(
  `encoder stream: ${PINGS} pings`,
  { group: "ping encode", items: PINGS, itemName: "msgs", bytes: PINGS * 8 },
  async () => {
    let n = 0;
    for await (const _ of ReadableStream.from(pings).pipeThrough(new MessageEncoderStream())) n++;
    if (n !== PINGS) throw new Error(`encoded ${n}`);
  },
);

const INVS = 50;
const invs: Message[] = Array.from({ length: INVS }, () => ({
  command: "inv",
  inventory: Array.from({ length: 1000 }, () => ({
    type: InvType.WITNESS_TX,
    hash: crypto.getRandomValues(new Uint8Array(32)),
  })),
}));
benchThroughput(
  `encodeMessage: ${INVS} inv of 1,000 entries`,
  { group: "inv encode", items: INVS, itemName: "msgs", bytes: INVS * 36003 },
  () => {
    for (const m of invs) encodeMessage(m);
  },
);

/** A plain-object copy of a transaction, so that nothing can be copied from its bytes. */
function plain(tx: Tx): Tx {
  return {
    version: tx.version,
    inputs: tx.inputs.map((i) => ({
      previousOutput: { hash: i.previousOutput.hash, index: i.previousOutput.index },
      signatureScript: i.signatureScript,
      sequence: i.sequence,
      witness: [...i.witness],
    })),
    outputs: tx.outputs.map((o) => ({ value: o.value, pkScript: o.pkScript })),
    lockTime: tx.lockTime,
  };
}

if (!HAVE_SHARED_DATA) console.warn("Skipping the block cases: ../shared/data is absent");
for (const { name, bytes } of BLOCK_FILES) {
  const decoded = decodeBlock(bytes);
  const asDecoded: Message = { command: "block", ...decoded };
  const rebuilt: Message = {
    command: "block",
    header: {
      ...decoded.header,
      prevBlock: decoded.header.prevBlock,
      merkleRoot: decoded.header.merkleRoot,
    },
    transactions: decoded.transactions.map(plain),
  };
  benchThroughput(
    `encodeMessage: ${name}, as decoded`,
    { group: `${name} encode`, items: 1, itemName: "blocks", bytes: bytes.length },
    () => {
      encodeMessage(asDecoded);
    },
  );
  benchThroughput(
    `encodeMessage: ${name}, from plain objects`,
    { group: `${name} encode`, items: 1, itemName: "blocks", bytes: bytes.length },
    () => {
      encodeMessage(rebuilt);
    },
  );
}
