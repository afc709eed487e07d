// The codec shared by `inv`, `getdata` and `notfound`: a CompactSize count and up to 50,000
// (btcd `MaxInvPerMsg`, Bitcoin Core `MAX_INV_SZ`) inventory vectors of 36 bytes.
//
// An `inv` can carry 50,000 entries and peers send them constantly, so decoding must cost less
// than checksumming the payload. Decoding checks the count and the length only; the entries are
// built when `inventory` is first read (1,000 small objects cost about a quarter of the double
// SHA-256 of their payload), and each entry makes its 32-byte hash view only when `hash` is
// first read (1,000 views up front would cost about as much as the hash itself).
import type { MessageCodec } from "./_codec.ts";
import { checkCount, checkHash, HASH_SIZE } from "./_fields.ts";
import type { ByteWriter } from "./_writer.ts";
import { hashToHex } from "./hash.ts";
import type { InvVect } from "./inv_vect.ts";
import { MAX_INV_PER_MSG } from "./protocol.ts";

/** Bytes in one serialized inventory vector. */
const INV_VECT_SIZE = 4 + HASH_SIZE;

// Set by `DecodedInvVect`'s static block: where a decoded entry's bytes are. Re-encoding (relaying)
// decoded entries then copies each run of consecutive ones from their payload in one go, making
// no hash views at all.
let sourceOf: (iv: DecodedInvVect) => Uint8Array;
let offsetOf: (iv: DecodedInvVect) => number;

/** A decoded inventory vector: the type read eagerly, the hash viewed on demand. */
class DecodedInvVect implements InvVect {
  readonly type: number;
  readonly #bytes: Uint8Array;
  readonly #offset: number;
  #hash: Uint8Array | undefined;

  constructor(type: number, bytes: Uint8Array, offset: number) {
    this.type = type;
    this.#bytes = bytes;
    this.#offset = offset;
    this.#hash = undefined;
  }

  /** The hash, 32 bytes in wire order (a view into the payload, made once). */
  get hash(): Uint8Array {
    return this.#hash ??= this.#bytes.subarray(this.#offset, this.#offset + HASH_SIZE);
  }

  /** What `JSON.stringify` shows: the type and the hash as display (reversed) hex. */
  toJSON(): { type: number; hash: string } {
    return { type: this.type, hash: hashToHex(this.hash) };
  }

  /** What Deno's `console.log` shows: the same as `toJSON()`. */
  [Symbol.for("Deno.customInspect")](
    inspect: (value: unknown, options: unknown) => string,
    options: unknown,
  ): string {
    return `InvVect ${inspect(this.toJSON(), options)}`;
  }

  static {
    sourceOf = (iv) => iv.#bytes;
    offsetOf = (iv) => iv.#offset;
  }
}

/** Builds the entries of a validated list of `count` vectors at `bytes[start]`. */
function buildInventory(
  bytes: Uint8Array,
  view: DataView,
  start: number,
  count: number,
): InvVect[] {
  const inventory = new Array<InvVect>(count);
  let pos = start;
  for (let i = 0; i < count; i++) {
    inventory[i] = new DecodedInvVect(view.getUint32(pos, true), bytes, pos + 4);
    pos += INV_VECT_SIZE;
  }
  return inventory;
}

// Set by `DecodedInvList`'s static block: the list's bytes while its entries are unbuilt.
let unbuiltRange: (m: DecodedInvList<string>) => Uint8Array | undefined;

/**
 * A decoded `inv`, `getdata` or `notfound`. Decoding checks the count and the length; the
 * entries are built the first time `inventory` is read, as a block's transactions are. A
 * program that never looks inside (a crawler ignoring inventory, a relay monitor counting
 * bytes) pays no allocation per entry, and relaying an untouched list copies its bytes once.
 */
class DecodedInvList<C extends string> implements InvListMessage<C> {
  /** The command. */
  readonly command: C;
  readonly #bytes: Uint8Array;
  readonly #view: DataView;
  readonly #start: number;
  readonly #count: number;
  #inventory: InvVect[] | undefined;

  constructor(command: C, bytes: Uint8Array, view: DataView, start: number, count: number) {
    this.command = command;
    this.#bytes = bytes;
    this.#view = view;
    this.#start = start;
    this.#count = count;
    this.#inventory = undefined;
  }

  /** The inventory vectors (a real array, built on first access). */
  get inventory(): readonly InvVect[] {
    return this.#inventory ??= buildInventory(this.#bytes, this.#view, this.#start, this.#count);
  }

  /** What `JSON.stringify` shows: the message as plain data. */
  toJSON(): { command: C; inventory: readonly InvVect[] } {
    return { command: this.command, inventory: this.inventory };
  }

  /** What Deno's `console.log` shows: the same as `toJSON()`. */
  [Symbol.for("Deno.customInspect")](
    inspect: (value: unknown, options: unknown) => string,
    options: unknown,
  ): string {
    return inspect(this.toJSON(), options);
  }

  static {
    unbuiltRange = (m) =>
      m.#inventory === undefined
        ? m.#bytes.subarray(m.#start, m.#start + m.#count * INV_VECT_SIZE)
        : undefined;
  }
}

/**
 * Writes a CompactSize count and the inventory vectors.
 *
 * @param w The payload writer.
 * @param inventory The entries; each `type` a uint32, each `hash` 32 bytes.
 * @param command The command being encoded, for error messages.
 * @throws {RangeError} More than `MAX_INV_PER_MSG` entries, or a type that is not a uint32.
 * @throws {TypeError} A hash that is not 32 bytes.
 */
function writeInventory(
  w: ByteWriter,
  inventory: readonly InvVect[],
  command: string,
): void {
  const n = inventory.length;
  checkCount(command, "entries", n, MAX_INV_PER_MSG);
  w.varInt(n);
  w.reserve(n * INV_VECT_SIZE);
  const out = w.bytes;
  const view = w.view;
  let pos = w.pos;
  let i = 0;
  while (i < n) {
    const iv = inventory[i];
    if (iv instanceof DecodedInvVect) {
      // Copy the run of entries that sit back to back in the same payload, then rewrite their
      // types (own fields a caller may have changed).
      const src = sourceOf(iv);
      const start = offsetOf(iv) - 4;
      let end = start + INV_VECT_SIZE;
      let j = i + 1;
      while (j < n) {
        const next = inventory[j];
        if (
          !(next instanceof DecodedInvVect) || sourceOf(next) !== src || offsetOf(next) !== end + 4
        ) {
          break;
        }
        end += INV_VECT_SIZE;
        j++;
      }
      out.set(src.subarray(start, end), pos);
      for (; i < j; i++) {
        view.setUint32(pos, checkType(command, i, inventory[i].type), true);
        pos += INV_VECT_SIZE;
      }
    } else {
      view.setUint32(pos, checkType(command, i, iv.type), true);
      const hash = iv.hash;
      checkHash(command, `inventory[${i}].hash`, hash);
      out.set(hash, pos + 4);
      pos += INV_VECT_SIZE;
      i++;
    }
  }
  w.pos = pos;
}

function checkType(command: string, i: number, type: number): number {
  if ((type >>> 0) !== type) {
    throw new RangeError(
      `Cannot encode "${command}": inventory[${i}].type must be an integer in 0..4294967295`,
    );
  }
  return type;
}

/** A message that is only a list of inventory vectors. */
export interface InvListMessage<C extends string> {
  readonly command: C;
  readonly inventory: readonly InvVect[];
}

// As btcd: a 9-byte CompactSize allowance plus 50,000 vectors (1,800,009 bytes).
const MAX_PAYLOAD = 9 + MAX_INV_PER_MSG * INV_VECT_SIZE;

/** Builds the codec for one of the inventory-list commands. */
export function invListCodec<C extends "inv" | "getdata" | "notfound">(
  command: C,
): MessageCodec<InvListMessage<C>> {
  return {
    command,
    encode(w, m) {
      const raw = m instanceof DecodedInvList ? unbuiltRange(m) : undefined;
      if (raw !== undefined) {
        // Relaying a list nobody looked at: its bytes, as they came.
        w.varInt(raw.length / INV_VECT_SIZE);
        w.bytesRaw(raw);
        return;
      }
      writeInventory(w, m.inventory, command);
    },
    decode(r) {
      const count = r.count(MAX_INV_PER_MSG, "entries");
      const start = r.pos;
      r.skip(count * INV_VECT_SIZE, "inventory");
      return new DecodedInvList(command, r.bytes, r.view, start, count);
    },
    maxPayloadLength() {
      return MAX_PAYLOAD;
    },
  };
}
