// Full decode of every transaction of a real block: every input, output, script and witness
// item built. Kept in a file of its own and run in a fresh process (`deno task bench` runs
// each file separately): V8's allocation-site pretenuring moves block-decode figures 2-3x
// depending on what ran before in the same process.
import { decodeBlock, encodeBlock } from "../wire/block.ts";
import { decodeTx, encodeTx, txid } from "../wire/tx.ts";
import { BLOCK_FILES, HAVE_SHARED_DATA, touchTx } from "./_data.ts";
import { benchThroughput } from "./_throughput.ts";

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
      for (const b of txBytes) touchTx(decodeTx(b));
    },
  );
  benchThroughput(
    `decodeBlock of ${name}, then every field of every transaction`,
    { group: `${name} txs`, items: count, itemName: "txs", bytes: bytes.length },
    () => {
      for (const tx of decodeBlock(bytes).transactions) touchTx(tx);
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
