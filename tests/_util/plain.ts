// Normalises messages to plain data for deep comparison. Decoded messages hold lazy objects
// (class instances whose fields are getters: inventory lists and entries, headers, block and
// compact-block transactions), which `deepStrictEqual` would compare by own properties only;
// `toPlain` reads every field through its getter into plain objects and arrays.

/** Plain data: what `toPlain` returns. Bytes become fresh `Uint8Array` copies. */
export type Plain =
  | null
  | undefined
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly Plain[]
  | { readonly [key: string]: Plain };

/**
 * Copies `value` into plain data: own enumerable fields and every getter up the prototype chain
 * (below `Object.prototype`) are read; `Uint8Array`s are copied, so two compare equal exactly
 * when their bytes do, whatever buffer they view.
 *
 * @throws {TypeError} On a function, symbol, or an object kind messages never hold.
 */
export function toPlain(value: unknown): Plain {
  switch (typeof value) {
    case "undefined":
    case "boolean":
    case "number":
    case "bigint":
    case "string":
      return value;
    case "object":
      break;
    default:
      throw new TypeError(`toPlain: unexpected ${typeof value}`);
  }
  if (value === null) return null;
  if (value instanceof Uint8Array) return Uint8Array.from(value);
  if (Array.isArray(value)) return value.map(toPlain);
  if (ArrayBuffer.isView(value) || value instanceof Map || value instanceof Set) {
    throw new TypeError(`toPlain: unexpected ${Object.prototype.toString.call(value)}`);
  }
  const source = value as Record<string, unknown>;
  const out: Record<string, Plain> = {};
  for (const key of Object.keys(source)) out[key] = toPlain(source[key]);
  for (
    let proto = Object.getPrototypeOf(source);
    proto !== null && proto !== Object.prototype;
    proto = Object.getPrototypeOf(proto)
  ) {
    for (const [key, d] of Object.entries(Object.getOwnPropertyDescriptors(proto))) {
      if (d.get !== undefined && !(key in out)) out[key] = toPlain(source[key]);
    }
  }
  return out;
}

/** A copy of plain data with every `witness` stack emptied (what `witness: false` keeps). */
export function stripWitness(value: Plain): Plain {
  if (Array.isArray(value)) return value.map(stripWitness);
  if (value === null || typeof value !== "object" || value instanceof Uint8Array) return value;
  const out: Record<string, Plain> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = key === "witness" ? [] : stripWitness(v);
  }
  return out;
}
