// The first half of decoding: walk one transaction's bytes and reject anything malformed before
// a single object is made. Blocks run only this up front (so decoding a block costs less than
// checksumming it); `_tx_build.ts` then trusts the offsets this pass proved.
import type { ByteReader } from "./_reader.ts";
import {
  MAX_SCRIPT_SIZE,
  MAX_TX_IN_PER_TX,
  MAX_TX_OUT_PER_TX,
  MAX_WITNESS_ITEM_SIZE,
  MAX_WITNESS_ITEMS_PER_INPUT,
  MIN_TX_IN_SIZE,
  MIN_TX_OUT_SIZE,
} from "./_tx_limits.ts";

/** Witness-section offset of the transaction `scanTx` last accepted (-1: none). */
export let scannedWitnessStart = -1;

function varIntSlow(r: ByteReader, p: number, field: string): number {
  r.pos = p;
  return r.varInt(field);
}

function truncated(r: ByteReader, p: number, n: number, field: string): never {
  r.pos = p;
  r.need(n, field);
  throw new Error("unreachable");
}

// Checks a count against its protocol limit, then against what the remaining bytes could hold,
// before anything is allocated for it.
function checkCountAt(
  r: ByteReader,
  p: number,
  n: number,
  max: number,
  minSize: number,
  field: string,
): void {
  if (n > max) {
    r.pos = p;
    r.fail("limit-exceeded", `${n} ${field} exceed the limit of ${max}`);
  }
  if (n * minSize > r.end - p) truncated(r, p, n * minSize, field);
}

function checkLengthAt(r: ByteReader, p: number, n: number, max: number, field: string): void {
  if (n > max) {
    r.pos = p;
    r.fail("limit-exceeded", `${field} of ${n} bytes exceeds the limit of ${max}`);
  }
  if (n > r.end - p) truncated(r, p, n, field);
}

/**
 * Validates the transaction at `start` without allocating: every varint canonical, every count
 * and length within its limit and within the bytes, BIP 144's marker, flag and witness rules.
 * Returns its end offset and leaves the witness-section offset in `scannedWitnessStart`.
 */
export function scanTx(r: ByteReader, start: number, witness: boolean): number {
  const b = r.bytes;
  const end = r.end;
  let p = start + 4;
  if (p > end) truncated(r, start, 4, "version");
  if (p >= end) truncated(r, p, 1, "input count");
  let nIn = b[p];
  if (nIn < 0xfd) p++;
  else {
    nIn = varIntSlow(r, p, "input count");
    p = r.pos;
  }
  let segwit = false;
  if (nIn === 0 && witness) {
    // BIP 144: a zero input count is the marker; the flag must be 0x01 (btcd; Bitcoin Core
    // reads other flags as "unknown optional data" and rejects them too, except 0x00).
    if (p >= end) truncated(r, p, 1, "witness flag");
    const flag = b[p];
    if (flag !== 0x01) {
      r.pos = p;
      r.fail("invalid-value", `witness flag 0x${flag.toString(16)} is not 0x01`);
    }
    p++;
    segwit = true;
    if (p >= end) truncated(r, p, 1, "input count");
    nIn = b[p];
    if (nIn < 0xfd) p++;
    else {
      nIn = varIntSlow(r, p, "input count");
      p = r.pos;
    }
  }
  checkCountAt(r, p, nIn, MAX_TX_IN_PER_TX, MIN_TX_IN_SIZE, "inputs");
  for (let i = 0; i < nIn; i++) {
    if (p + MIN_TX_IN_SIZE > end) truncated(r, p, MIN_TX_IN_SIZE, "input");
    p += 36;
    let n = b[p];
    if (n < 0xfd) p++;
    else {
      n = varIntSlow(r, p, "signature script");
      p = r.pos;
    }
    checkLengthAt(r, p, n, MAX_SCRIPT_SIZE, "signature script");
    p += n;
    if (p + 4 > end) truncated(r, p, 4, "sequence");
    p += 4;
  }
  if (p >= end) truncated(r, p, 1, "output count");
  let nOut = b[p];
  if (nOut < 0xfd) p++;
  else {
    nOut = varIntSlow(r, p, "output count");
    p = r.pos;
  }
  checkCountAt(r, p, nOut, MAX_TX_OUT_PER_TX, MIN_TX_OUT_SIZE, "outputs");
  for (let i = 0; i < nOut; i++) {
    if (p + 9 > end) truncated(r, p, 9, "output");
    p += 8;
    let n = b[p];
    if (n < 0xfd) p++;
    else {
      n = varIntSlow(r, p, "public key script");
      p = r.pos;
    }
    checkLengthAt(r, p, n, MAX_SCRIPT_SIZE, "public key script");
    p += n;
  }
  let witnessStart = -1;
  if (segwit) {
    witnessStart = p;
    let items = 0;
    for (let i = 0; i < nIn; i++) {
      if (p >= end) truncated(r, p, 1, "witness item count");
      let count = b[p];
      if (count < 0xfd) p++;
      else {
        count = varIntSlow(r, p, "witness item count");
        p = r.pos;
      }
      checkCountAt(r, p, count, MAX_WITNESS_ITEMS_PER_INPUT, 1, "witness items");
      items += count;
      for (let k = 0; k < count; k++) {
        if (p >= end) truncated(r, p, 1, "witness item");
        let n = b[p];
        if (n < 0xfd) p++;
        else {
          n = varIntSlow(r, p, "witness item");
          p = r.pos;
        }
        checkLengthAt(r, p, n, MAX_WITNESS_ITEM_SIZE, "witness item");
        p += n;
      }
    }
    if (items === 0) {
      // BIP 144 / Bitcoin Core: a witness flag with no witness data is malformed, because the
      // legacy serialization would have been shorter ("superfluous witness record").
      r.pos = witnessStart;
      r.fail("invalid-value", "superfluous witness record: witness flag set but no witness data");
    }
  }
  if (p + 4 > end) truncated(r, p, 4, "lock time");
  scannedWitnessStart = witnessStart;
  return p + 4;
}
