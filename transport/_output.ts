// What one call to V2Session.receive() produced, collected as it happens; arrays are made
// only when something goes in them.
import type { RawMessage } from "./contents.ts";
import type { TransportError } from "./errors.ts";

const NONE: readonly never[] = Object.freeze([]);

/** The output of one `receive` (see `V2Output` in session.ts for what each field means). */
export interface OutputFields {
  readonly send: readonly Uint8Array[];
  readonly messages: readonly RawMessage[];
  readonly rejected: readonly TransportError[];
  readonly fallbackToV1?: Uint8Array;
  readonly error?: TransportError;
}

/** Collects one call's output. */
export class Output {
  send: Uint8Array[] | undefined;
  messages: RawMessage[] | undefined;
  rejected: TransportError[] | undefined;
  fallbackToV1: Uint8Array | undefined;
  error: TransportError | undefined;

  build(): OutputFields {
    const out: {
      send: readonly Uint8Array[];
      messages: readonly RawMessage[];
      rejected: readonly TransportError[];
      fallbackToV1?: Uint8Array;
      error?: TransportError;
    } = {
      send: this.send ?? NONE,
      messages: this.messages ?? NONE,
      rejected: this.rejected ?? NONE,
    };
    if (this.fallbackToV1 !== undefined) out.fallbackToV1 = this.fallbackToV1;
    if (this.error !== undefined) out.error = this.error;
    return out;
  }
}

/** The concatenation of `parts`. */
export function concat(parts: readonly Uint8Array[]): Uint8Array {
  let length = 0;
  for (const p of parts) length += p.length;
  const out = new Uint8Array(length);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
