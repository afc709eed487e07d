// Full decode of every transaction of a real block: every input, output, script and witness
// item built. Kept in a file of its own and run in a fresh process (`deno task bench` runs
// each file separately): V8's allocation-site pretenuring moves block-decode figures 2-3x
// depending on what ran before in the same process.
import { decodeBlock, encodeBlock } from "../wire/block.ts";
import { decodeTx, encodeTx, type Tx, txid } from "../wire/tx.ts";
import { BLOCK_FILES, HAVE_SHARED_DATA } from "./_data.ts";
import { benchThroughput } from "./_throughput.ts";

/** Reads every field of a transaction, so that a lazy one is fully built. */
function touch(tx: Tx): number {
  let n = tx.version + tx.lockTime;
  for (const i of tx.inputs) {
    n += i.previousOutput.hash.length + i.previousOutput.index + i.signatureScript.length +
      i.sequence + i.witness.length;
    for (const w of i.witness) n += w.length;
  }
  for (const o of tx.outputs) n += o.pkScript.length + Number(o.value & 1n);
  return n;
}

if (!HAVE_SHARED_DATA) console.warn("Skipping: ../shared/data is absent");
for (const { name, bytes } of BLOCK_FILES) {
  // Each transaction's own bytes, as a peer's `tx` messages would carry them.
  const txBytes = decodeBlock(bytes).transactions.map((tx) => encodeTx(tx));
  const count = txBytes.length;
  benchThroughput(
    `decodeTx on each of the ${count} transactions of ${name}`,
    {
      group: `${name} txs`,
      baseline: true,
      items: count,
      itemName: "txs",
      bytes: bytes.length - 80,
    },
    () => {
      for (const b of txBytes) touch(decodeTx(b));
    },
  );
  benchThroughput(
    `decodeBlock of ${name}, then every field of every transaction`,
    { group: `${name} txs`, items: count, itemName: "txs", bytes: bytes.length },
    () => {
      for (const tx of decodeBlock(bytes).transactions) touch(tx);
    },
  );
  const decoded = txBytes.map((b) => decodeTx(b));
  benchThroughput(
    `txid of each transaction of ${name}`,
    { group: `${name} txs`, items: count, itemName: "txs", bytes: bytes.length },
    () => {
      for (const tx of decoded) txid(tx);
    },
  );
  const block = decodeBlock(bytes);
  benchThroughput(
    `encodeBlock of ${name}, as decoded`,
    { group: `${name} txs`, items: count, itemName: "txs", bytes: bytes.length },
    () => {
      encodeBlock(block);
    },
  );
}
