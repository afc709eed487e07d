// The two ways `writeTx` (in `tx.ts`) puts a transaction on the wire. A decoded one is copied
// from its original bytes, range by range. One the caller built is serialized field by field,
// and since nothing has checked such an object, every field is validated before it is written.
import type { ByteWriter } from "./_writer.ts";
import {
  MAX_SCRIPT_SIZE,
  MAX_TX_IN_PER_TX,
  MAX_TX_OUT_PER_TX,
  MAX_WITNESS_ITEM_SIZE,
  MAX_WITNESS_ITEMS_PER_INPUT,
} from "./_tx_limits.ts";
import type { Tx } from "./tx.ts";

export function copyRange(w: ByteWriter, b: Uint8Array, from: number, to: number): void {
  const n = to - from;
  if (w.pos + n > w.bytes.length) w.reserve(n);
  if (n < 64) {
    const out = w.bytes;
    let q = w.pos;
    for (let k = from; k < to; k++) out[q++] = b[k];
  } else {
    w.bytes.set(b.subarray(from, to), w.pos);
  }
  w.pos += n;
}

export function writeTxFields(w: ByteWriter, tx: Tx, segwit: boolean, command: string): void {
  const { version, inputs, outputs, lockTime } = tx;
  if ((version | 0) !== version) {
    throw new RangeError(
      `Cannot encode "${command}": tx version must be an integer in -2147483648..2147483647`,
    );
  }
  if (!Array.isArray(inputs) || !Array.isArray(outputs)) {
    throw new TypeError(`Cannot encode "${command}": tx inputs and outputs must be arrays`);
  }
  const nIn = inputs.length;
  const nOut = outputs.length;
  if (nIn > MAX_TX_IN_PER_TX) {
    throw new RangeError(
      `Cannot encode "${command}": ${nIn} inputs exceed the limit of ${MAX_TX_IN_PER_TX}`,
    );
  }
  if (nOut > MAX_TX_OUT_PER_TX) {
    throw new RangeError(
      `Cannot encode "${command}": ${nOut} outputs exceed the limit of ${MAX_TX_OUT_PER_TX}`,
    );
  }
  if ((lockTime >>> 0) !== lockTime) {
    throw new RangeError(
      `Cannot encode "${command}": tx lockTime must be an integer in 0..4294967295`,
    );
  }
  w.i32le(version);
  if (segwit) {
    w.u8(0x00);
    w.u8(0x01);
  }
  w.varInt(nIn);
  for (let i = 0; i < nIn; i++) {
    const input = inputs[i];
    const hash = input.previousOutput.hash;
    const index = input.previousOutput.index;
    const script = input.signatureScript;
    const sequence = input.sequence;
    if (!(hash instanceof Uint8Array) || hash.length !== 32) {
      throw new TypeError(
        `Cannot encode "${command}": inputs[${i}].previousOutput.hash must be 32 bytes`,
      );
    }
    if ((index >>> 0) !== index) {
      throw new RangeError(
        `Cannot encode "${command}": inputs[${i}].previousOutput.index must be an integer in 0..4294967295`,
      );
    }
    checkScript(script, MAX_SCRIPT_SIZE, command, "inputs", i, "signatureScript");
    if ((sequence >>> 0) !== sequence) {
      throw new RangeError(
        `Cannot encode "${command}": inputs[${i}].sequence must be an integer in 0..4294967295`,
      );
    }
    w.bytesRaw(hash);
    w.u32le(index);
    w.varBytes(script);
    w.u32le(sequence);
  }
  w.varInt(nOut);
  for (let i = 0; i < nOut; i++) {
    const output = outputs[i];
    const value = output.value;
    if (typeof value !== "bigint" || BigInt.asIntN(64, value) !== value) {
      throw new RangeError(
        `Cannot encode "${command}": outputs[${i}].value must be a bigint in the int64 range`,
      );
    }
    checkScript(output.pkScript, MAX_SCRIPT_SIZE, command, "outputs", i, "pkScript");
    w.i64le(value);
    w.varBytes(output.pkScript);
  }
  if (segwit) {
    for (let i = 0; i < nIn; i++) {
      const stack = inputs[i].witness;
      if (!Array.isArray(stack)) {
        throw new TypeError(`Cannot encode "${command}": inputs[${i}].witness must be an array`);
      }
      const count = stack.length;
      if (count > MAX_WITNESS_ITEMS_PER_INPUT) {
        throw new RangeError(
          `Cannot encode "${command}": ${count} witness items exceed the limit of ${MAX_WITNESS_ITEMS_PER_INPUT}`,
        );
      }
      w.varInt(count);
      for (let k = 0; k < count; k++) {
        checkScript(stack[k], MAX_WITNESS_ITEM_SIZE, command, "inputs", i, `witness[${k}]`);
        w.varBytes(stack[k]);
      }
    }
  }
  w.u32le(lockTime);
}

function checkScript(
  bytes: Uint8Array,
  max: number,
  command: string,
  list: string,
  i: number,
  field: string,
): void {
  if (!(bytes instanceof Uint8Array)) {
    throw new TypeError(`Cannot encode "${command}": ${list}[${i}].${field} must be a Uint8Array`);
  }
  if (bytes.length > max) {
    throw new RangeError(
      `Cannot encode "${command}": ${list}[${i}].${field} of ${bytes.length} bytes exceeds the limit of ${max}`,
    );
  }
}
