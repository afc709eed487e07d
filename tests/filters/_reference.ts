// Slow, obviously correct BigInt versions of BIP 158's pieces, written straight from the BIP
// (and the SipHash paper), for the fast code to be compared with: SipHash-2-4, the 128-bit
// hash to range, and a bit-by-bit Golomb-Rice encoder and decoder.

const MASK = (1n << 64n) - 1n;

function le64(bytes: Uint8Array, at: number): bigint {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(bytes[at + i] ?? 0);
  return v;
}

function rotl(x: bigint, b: bigint): bigint {
  return ((x << b) | (x >> (64n - b))) & MASK;
}

/** SipHash-2-4 of `data` under a 16-byte key, as a uint64. */
export function sipHashReference(key: Uint8Array, data: Uint8Array): bigint {
  const k0 = le64(key, 0), k1 = le64(key, 8);
  let v0 = k0 ^ 0x736f6d6570736575n;
  let v1 = k1 ^ 0x646f72616e646f6dn;
  let v2 = k0 ^ 0x6c7967656e657261n;
  let v3 = k1 ^ 0x7465646279746573n;
  const round = () => {
    v0 = (v0 + v1) & MASK;
    v1 = rotl(v1, 13n) ^ v0;
    v0 = rotl(v0, 32n);
    v2 = (v2 + v3) & MASK;
    v3 = rotl(v3, 16n) ^ v2;
    v0 = (v0 + v3) & MASK;
    v3 = rotl(v3, 21n) ^ v0;
    v2 = (v2 + v1) & MASK;
    v1 = rotl(v1, 17n) ^ v2;
    v2 = rotl(v2, 32n);
  };
  const full = data.length - (data.length % 8);
  for (let i = 0; i < full; i += 8) {
    const m = le64(data, i);
    v3 ^= m;
    round();
    round();
    v0 ^= m;
  }
  let last = BigInt(data.length & 0xff) << 56n;
  for (let i = full; i < data.length; i++) last |= BigInt(data[i]) << BigInt(8 * (i - full));
  v3 ^= last;
  round();
  round();
  v0 ^= last;
  v2 ^= 0xffn;
  for (let i = 0; i < 4; i++) round();
  return v0 ^ v1 ^ v2 ^ v3;
}

/** floor(hash * f / 2^64), with BigInt. */
export function mapIntoRangeReference(hash: bigint, f: bigint): bigint {
  return (hash * f) >> 64n;
}

/** BIP 158's GCS construction, one bit at a time: the set of distinct elements. */
export function buildGcsReference(
  elements: readonly Uint8Array[],
  key: Uint8Array,
  p: number,
  m: number,
): Uint8Array {
  const distinct = new Map<string, Uint8Array>();
  for (const e of elements) distinct.set(Array.from(e).join(","), e);
  const n = BigInt(distinct.size);
  const f = n * BigInt(m);
  const values = [...distinct.values()]
    .map((e) => mapIntoRangeReference(sipHashReference(key, e), f))
    .sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return encodeValuesReference(values, p);
}

/** A CompactSize. */
export function compactSize(n: number): Uint8Array {
  if (n < 0xfd) return new Uint8Array([n]);
  if (n <= 0xffff) return new Uint8Array([0xfd, n & 0xff, n >> 8]);
  const out = new Uint8Array(5);
  out[0] = 0xfe;
  new DataView(out.buffer).setUint32(1, n, true);
  return out;
}

/** Encodes sorted values bit by bit (no N check against anything: for hostile inputs too). */
export function encodeValuesReference(
  values: readonly bigint[],
  p: number,
  n: number = values.length,
): Uint8Array {
  const bits: number[] = [];
  let last = 0n;
  for (const v of values) {
    const delta = v - last;
    last = v;
    for (let q = delta >> BigInt(p); q > 0n; q--) bits.push(1);
    bits.push(0);
    for (let i = p - 1; i >= 0; i--) bits.push(Number((delta >> BigInt(i)) & 1n));
  }
  const head = compactSize(n);
  const out = new Uint8Array(head.length + Math.ceil(bits.length / 8));
  out.set(head);
  bits.forEach((bit, i) => {
    if (bit) out[head.length + (i >> 3)] |= 0x80 >> (i & 7);
  });
  return out;
}
