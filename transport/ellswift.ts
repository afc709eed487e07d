// ElligatorSwift (BIP 324, libsecp256k1's `ellswift` module): secp256k1 X coordinates as 64
// bytes indistinguishable from random, and the X-only ECDH on them that BIP 324 hashes into
// its shared secret. All field and point arithmetic is @noble/curves' (its secp256k1 `Fp`:
// sqrt by Bitcoin's addition chain, inversion, and its point multiplication); only the
// formulas of the BIP are written here.
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { bytesToNumberBE, numberToBytesBE } from "@noble/curves/utils.js";
import { sha256 } from "../wire/hash.ts";

const Fp = secp256k1.Point.Fp;
const Fn = secp256k1.Point.Fn;

/** Bytes in an ElligatorSwift encoding: u and t, 32 bytes each, big-endian. */
export const ELLSWIFT_ENCODING_SIZE = 64;

/** The square root of `a`, or undefined when `a` is not a square (noble throws then). */
function sqrtOrUndefined(a: bigint): bigint | undefined {
  try {
    return Fp.sqrt(a);
  } catch {
    return undefined;
  }
}

/** x^3 + 7: the curve equation's right side; x is on the curve iff this is a square. */
function curveRhs(x: bigint): bigint {
  return Fp.add(Fp.mul(Fp.sqr(x), x), 7n);
}

// BIP 324: c = sqrt(-3), the root that is itself a square (what (p+1)/4 exponentiation gives).
const C = Fp.sqrt(Fp.neg(3n));
// (c - 1) / 2, the constant of XSwiftECInv's last step.
const C_MINUS_1_HALF = Fp.div(Fp.sub(C, 1n), 2n);

/** XSwiftEC returning the point as well (x and a y), for the ECDH that follows a decode. */
function xSwiftEcPoint(u0: bigint, t0: bigint): { x: bigint; y: bigint } {
  // BIP 324: remap the three inputs the SwiftEC paper sends to infinity.
  const u = Fp.is0(u0) ? 1n : u0;
  let t = Fp.is0(t0) ? 1n : t0;
  const g = curveRhs(u); // u^3 + 7
  if (Fp.is0(Fp.add(g, Fp.sqr(t)))) t = Fp.add(t, t);
  const X = Fp.div(Fp.sub(g, Fp.sqr(t)), Fp.add(t, t));
  const Y = Fp.div(Fp.add(X, t), Fp.mul(C, u));
  // The order matters (BIP 324): u + 4Y^2, then (-X/Y - u)/2, then (X/Y - u)/2.
  const x3 = Fp.add(u, Fp.mul(4n, Fp.sqr(Y)));
  let y = sqrtOrUndefined(curveRhs(x3));
  if (y !== undefined) return { x: x3, y };
  const xOverY = Fp.div(X, Y);
  const x2 = Fp.div(Fp.sub(Fp.neg(xOverY), u), 2n);
  y = sqrtOrUndefined(curveRhs(x2));
  if (y !== undefined) return { x: x2, y };
  // At least one of the three is on the curve (BIP 324), so the last needs no test of its
  // own; its y is still wanted for the point.
  const x1 = Fp.div(Fp.sub(xOverY, u), 2n);
  return { x: x1, y: Fp.sqrt(curveRhs(x1)) };
}

/**
 * BIP 324's `XSwiftEC(u, t)`: the secp256k1 X coordinate that field elements `u` and `t`
 * encode. Every pair of field elements maps to a valid X coordinate.
 *
 * @param u A field element (reduced modulo p here).
 * @param t A field element (reduced modulo p here).
 * @returns The X coordinate, a field element.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { xSwiftEc } from "@btcstream/p2p/transport";
 *
 * // BIP 324's decoding vectors: (u, t) = (0, 0) decodes like (1, 1).
 * assertEquals(xSwiftEc(0n, 0n), xSwiftEc(1n, 1n));
 * assertEquals(
 *   xSwiftEc(0n, 0n),
 *   0xedd1fd3e327ce90cc7a3542614289aee9682003e9cf7dcc9cf2ca9743be5aa0cn,
 * );
 * ```
 */
export function xSwiftEc(u: bigint, t: bigint): bigint {
  return xSwiftEcPoint(Fp.create(u), Fp.create(t)).x;
}

/**
 * BIP 324's `XSwiftECInv(x, u, case)`: a `t` with `xSwiftEc(u, t) = x`, for one of the eight
 * branches of the inverse map, or undefined where that branch has no solution.
 *
 * @param x The X coordinate to encode (a field element).
 * @param u The chosen first half of the encoding (a field element).
 * @param branch Which of the up to eight preimages: 0 to 7 (the BIP's `case`).
 * @returns `t`, or undefined when this branch fails.
 * @throws {RangeError} If `branch` is not an integer from 0 to 7.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { xSwiftEc, xSwiftEcInv } from "@btcstream/p2p/transport";
 *
 * const x = xSwiftEc(5n, 7n);
 * for (let branch = 0; branch < 8; branch++) {
 *   const t = xSwiftEcInv(x, 3n, branch);
 *   if (t !== undefined) assertEquals(xSwiftEc(3n, t), x);
 * }
 * ```
 */
export function xSwiftEcInv(x: bigint, u: bigint, branch: number): bigint | undefined {
  if (!Number.isInteger(branch) || branch < 0 || branch > 7) {
    throw new RangeError(`Invalid XSwiftECInv branch ${branch}: expected 0 to 7`);
  }
  return inverse(Fp.create(x), Fp.create(u), branch);
}

function inverse(x: bigint, u: bigint, branch: number): bigint | undefined {
  let s: bigint, v: bigint;
  const g = curveRhs(u); // u^3 + 7
  if ((branch & 2) === 0) {
    // If -x-u is on the curve, the forward map would return it instead of x (it comes first).
    const minusXMinusU = Fp.neg(Fp.add(x, u));
    if (sqrtOrUndefined(curveRhs(minusXMinusU)) !== undefined) return undefined;
    v = (branch & 1) === 0 ? x : minusXMinusU;
    const den = Fp.add(Fp.add(Fp.sqr(u), Fp.mul(u, v)), Fp.sqr(v));
    // Zero only when x is not on the curve at all; no preimage then (the BIP's reference
    // would divide by zero).
    if (Fp.is0(den)) return undefined;
    s = Fp.neg(Fp.div(g, den));
  } else {
    s = Fp.sub(x, u);
    if (Fp.is0(s)) return undefined;
    // r = sqrt(-s(4(u^3 + 7) + 3u^2 s))
    const inner = Fp.add(Fp.mul(4n, g), Fp.mul(Fp.mul(3n, Fp.sqr(u)), s));
    let r = sqrtOrUndefined(Fp.neg(Fp.mul(s, inner)));
    if (r === undefined) return undefined;
    if ((branch & 1) === 1) {
      if (Fp.is0(r)) return undefined;
      r = Fp.neg(r);
    }
    v = Fp.div(Fp.sub(Fp.div(r, s), u), 2n);
  }
  let w = sqrtOrUndefined(s);
  if (w === undefined) return undefined;
  if ((branch & 4) === 4) w = Fp.neg(w);
  return Fp.mul(w, Fp.sub(Fp.mul(u, C_MINUS_1_HALF), v));
}

/** Tagged hash prefix of BIP 340: SHA256(tag) twice. */
function tagPrefix(tag: string): Uint8Array {
  const h = sha256(new TextEncoder().encode(tag));
  const out = new Uint8Array(64);
  out.set(h, 0);
  out.set(h, 32);
  return out;
}

/** BIP 340's tagged hash over the concatenation of `parts`. */
function taggedHash(prefix: Uint8Array, parts: readonly Uint8Array[]): Uint8Array {
  let length = prefix.length;
  for (const p of parts) length += p.length;
  const data = new Uint8Array(length);
  data.set(prefix, 0);
  let at = prefix.length;
  for (const p of parts) {
    data.set(p, at);
    at += p.length;
  }
  return sha256(data);
}

const CREATE_TAG = tagPrefix("btcstream/ellswift_create");
const XDH_TAG = tagPrefix("bip324_ellswift_xonly_ecdh");

/** The scalar of a private key; a caller's bug (not remote input) when it is invalid. */
function scalarOf(privateKey: Uint8Array): bigint {
  if (privateKey.length !== 32 || !secp256k1.utils.isValidSecretKey(privateKey)) {
    throw new RangeError("Invalid secp256k1 private key: expected 32 bytes, from 1 to n-1");
  }
  return Fn.fromBytes(privateKey);
}

/**
 * Creates the ElligatorSwift encoding of a private key's public key: 64 bytes that look
 * uniformly random and decode to the public key's X coordinate.
 *
 * As BIP 324's `XElligatorSwift`: draws a non-zero `u` and a branch until the inverse map
 * succeeds, which gives every encoding of the key the same chance. The draws come from a
 * hash of the private key and `randomness` (as libsecp256k1's `ellswift_create` does; its
 * exact stream is not reproduced), so the same inputs give the same encoding.
 *
 * @param privateKey A secp256k1 private key, 32 bytes big-endian.
 * @param randomness 32 random bytes.
 * @returns The 64-byte encoding (u then t, each 32 bytes big-endian).
 * @throws {RangeError} If the private key is not in 1..n-1 or `randomness` is not 32 bytes.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { bytesToHex } from "@btcstream/p2p/wire";
 * import { ellswiftCreate, ellswiftDecode } from "@btcstream/p2p/transport";
 *
 * const privateKey = new Uint8Array(32).fill(1);
 * const encoding = ellswiftCreate(privateKey, new Uint8Array(32));
 * assertEquals(encoding.length, 64);
 * // It decodes to the X coordinate of the public key 0101...01·G.
 * assertEquals(
 *   bytesToHex(ellswiftDecode(encoding)),
 *   "1b84c5567b126440995d3ed5aaba0565d71e1834604819ff9c17f5e9d5dd078f",
 * );
 * ```
 */
export function ellswiftCreate(privateKey: Uint8Array, randomness: Uint8Array): Uint8Array {
  const d = scalarOf(privateKey);
  if (randomness.length !== 32) {
    throw new RangeError(`Invalid randomness: ${randomness.length} bytes, expected 32`);
  }
  const x = secp256k1.Point.BASE.multiply(d).toAffine().x;
  const counter = new Uint8Array(4);
  const view = new DataView(counter.buffer);
  for (let i = 0;; i += 2) {
    view.setUint32(0, i, true);
    const u = Fp.create(bytesToNumberBE(taggedHash(CREATE_TAG, [privateKey, randomness, counter])));
    view.setUint32(0, i + 1, true);
    const branch = taggedHash(CREATE_TAG, [privateKey, randomness, counter])[0] & 7;
    if (Fp.is0(u)) continue;
    const t = inverse(x, u, branch);
    // t = 0 would decode as t = 1 (a different X); it cannot be a preimage that round-trips.
    if (t === undefined || Fp.is0(t)) continue;
    const out = new Uint8Array(ELLSWIFT_ENCODING_SIZE);
    out.set(numberToBytesBE(u, 32), 0);
    out.set(numberToBytesBE(t, 32), 32);
    return out;
  }
}

function checkEncoding(encoding: Uint8Array): void {
  if (encoding.length !== ELLSWIFT_ENCODING_SIZE) {
    throw new RangeError(
      `Invalid ElligatorSwift encoding: ${encoding.length} bytes, expected ${ELLSWIFT_ENCODING_SIZE}`,
    );
  }
}

function decodePoint(encoding: Uint8Array): { x: bigint; y: bigint } {
  checkEncoding(encoding);
  const u = Fp.create(bytesToNumberBE(encoding.subarray(0, 32)));
  const t = Fp.create(bytesToNumberBE(encoding.subarray(32, 64)));
  return xSwiftEcPoint(u, t);
}

/**
 * Decodes a 64-byte ElligatorSwift encoding to the X coordinate it stands for. Every 64-byte
 * string decodes (BIP 324): u and t are taken modulo p.
 *
 * @param encoding 64 bytes: u then t, big-endian.
 * @returns The X coordinate, 32 bytes big-endian.
 * @throws {RangeError} If `encoding` is not 64 bytes long.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { bytesToHex } from "@btcstream/p2p/wire";
 * import { ellswiftDecode } from "@btcstream/p2p/transport";
 *
 * // BIP 324's first decoding vector: 64 zero bytes.
 * assertEquals(
 *   bytesToHex(ellswiftDecode(new Uint8Array(64))),
 *   "edd1fd3e327ce90cc7a3542614289aee9682003e9cf7dcc9cf2ca9743be5aa0c",
 * );
 * ```
 */
export function ellswiftDecode(encoding: Uint8Array): Uint8Array {
  return numberToBytesBE(decodePoint(encoding).x, 32);
}

/**
 * X-only ECDH with an ElligatorSwift-encoded public key: the X coordinate of
 * `privateKey · lift_x(decode(theirs))` (BIP 324's `ellswift_ecdh_xonly`).
 *
 * @param theirs The remote's 64-byte encoding.
 * @param privateKey Our private key, 32 bytes.
 * @returns The shared X coordinate, 32 bytes big-endian.
 */
export function ellswiftEcdhX(theirs: Uint8Array, privateKey: Uint8Array): Uint8Array {
  const d = scalarOf(privateKey);
  const { x, y } = decodePoint(theirs);
  const shared = secp256k1.Point.fromAffine({ x, y }).multiply(d).toAffine();
  return numberToBytesBE(shared.x, 32);
}

/** Our side of an ElligatorSwift key exchange. */
export interface EllswiftSide {
  /** Our private key, 32 bytes. */
  readonly privateKey: Uint8Array;
  /** Our 64-byte encoding, as sent (see {@linkcode ellswiftCreate}). */
  readonly encoding: Uint8Array;
  /** Whether we opened the connection (BIP 324 orders the encodings by role). */
  readonly initiator: boolean;
}

/**
 * BIP 324's shared secret: X-only ECDH with the remote's encoding, hashed with both encodings
 * exactly as sent, initiator's first, under the tag `bip324_ellswift_xonly_ecdh` (libsecp256k1's
 * `ellswift_xdh` with its BIP 324 hash function).
 *
 * @param ours Our private key, our encoding and our role.
 * @param theirs The remote's 64-byte encoding.
 * @returns The 32-byte shared secret both sides compute.
 * @throws {RangeError} If a key or an encoding has the wrong size or the key is invalid.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { ellswiftCreate, ellswiftXdh } from "@btcstream/p2p/transport";
 *
 * const a = new Uint8Array(32).fill(1), b = new Uint8Array(32).fill(2);
 * const ea = ellswiftCreate(a, new Uint8Array(32)), eb = ellswiftCreate(b, new Uint8Array(32));
 * assertEquals(
 *   ellswiftXdh({ privateKey: a, encoding: ea, initiator: true }, eb),
 *   ellswiftXdh({ privateKey: b, encoding: eb, initiator: false }, ea),
 * );
 * ```
 */
export function ellswiftXdh(ours: EllswiftSide, theirs: Uint8Array): Uint8Array {
  checkEncoding(ours.encoding);
  const x = ellswiftEcdhX(theirs, ours.privateKey);
  const [first, second] = ours.initiator ? [ours.encoding, theirs] : [theirs, ours.encoding];
  return taggedHash(XDH_TAG, [first, second, x]);
}
