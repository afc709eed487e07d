// btcd's bucket placement (REFERENCE 3.3) computed independently, with node:crypto and BigInt,
// to check the address manager's fast placement against.
import { createHash } from "node:crypto";

function dsha(...parts: Uint8Array[]): Uint8Array {
  const h = createHash("sha256");
  for (const p of parts) h.update(p);
  return new Uint8Array(createHash("sha256").update(h.digest()).digest());
}
const text = (s: string) => new TextEncoder().encode(s);
const le64 = (h: Uint8Array) => new DataView(h.buffer, h.byteOffset).getBigUint64(0, true);
function le64Bytes(x: bigint): Uint8Array {
  const b = new Uint8Array(8);
  new DataView(b.buffer).setBigUint64(0, x, true);
  return b;
}

/** btcd's new bucket (1,024 of them) for an address group announced by a source group. */
export function btcdNewBucket(key: Uint8Array, addrGroup: string, srcGroup: string): number {
  const x = le64(dsha(key, text(addrGroup), text(srcGroup))) % 64n;
  return Number(le64(dsha(key, text(srcGroup), le64Bytes(x))) % 1024n);
}

/** btcd's tried-bucket formula with Bitcoin Core's 256 buckets. */
export function coreTriedBucket(key: Uint8Array, addrKey: string, group: string): number {
  const x = le64(dsha(key, text(addrKey))) % 8n;
  return Number(le64(dsha(key, text(group), le64Bytes(x))) % 256n);
}
