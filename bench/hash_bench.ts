// Double SHA-256: the hand-written JavaScript path (short inputs, second rounds) against
// node:crypto, at the sizes the wire hashes most: an 8-byte ping, an 80-byte header, a
// 36 KB inv, a 1.2 MB block.
import { createHash } from "node:crypto";
import { doubleSha256 } from "../wire/hash.ts";
import { benchThroughput } from "./_throughput.ts";

function nodeDoubleSha256(data: Uint8Array): Uint8Array {
  return createHash("sha256").update(createHash("sha256").update(data).digest()).digest();
}

for (const size of [8, 80, 36_003, 1_245_250]) {
  const data = crypto.getRandomValues(new Uint8Array(Math.min(size, 65536)));
  const input = size <= 65536 ? data : new Uint8Array(size).fill(7);
  const n = size <= 80 ? 10_000 : size <= 65536 ? 100 : 2;
  const group = `dsha256 ${size} B`;
  benchThroughput(`node:crypto x2, ${size} B`, {
    group,
    baseline: true,
    items: n,
    itemName: "hashes",
    bytes: n * size,
  }, () => {
    for (let i = 0; i < n; i++) nodeDoubleSha256(input);
  });
  benchThroughput(`doubleSha256, ${size} B`, {
    group,
    items: n,
    itemName: "hashes",
    bytes: n * size,
  }, () => {
    for (let i = 0; i < n; i++) doubleSha256(input);
  });
}
