// Cuts the received byte stream into v2 packets: the 3-byte length, decrypted and checked
// against the limit before anything else is kept, then the rest of the packet, decrypted in
// place when a chunk holds all of it and otherwise gathered in a buffer that grows with what
// arrives (never to the declared length up front).
import { TAG_SIZE } from "./cipher.ts";
import { MAX_CONTENTS_LENGTH } from "./contents.ts";
import { TransportError } from "./errors.ts";
import { HEADER_SIZE, LENGTH_FIELD_SIZE, type PacketCipher } from "./packet.ts";

// The buffer of a split packet at most doubles, starting here, so what it holds stays within
// twice what arrived plus this much.
const MIN_BODY_CAPACITY = 4096;

/** Reads packets for one session; its cipher decrypts the lengths. */
export class PacketReader {
  readonly #cipher: PacketCipher;
  readonly #lengthField = new Uint8Array(LENGTH_FIELD_SIZE);
  #lengthHave = 0;
  #bodySize = -1;
  #body: Uint8Array | undefined;
  #bodyHave = 0;

  constructor(cipher: PacketCipher) {
    this.#cipher = cipher;
  }

  /** Bytes held for a packet not yet complete. */
  get bufferedBytes(): number {
    return this.#body?.length ?? 0;
  }

  /**
   * Takes bytes of `chunk` from `at` on, up to the end of the current packet. Returns where
   * it stopped and, once the packet is complete, its body after the length field (header,
   * contents and tag, still encrypted; a view of `chunk` or of the reader's buffer, valid
   * until the next call).
   *
   * @throws {TransportError} `packet-too-large` as soon as the length says so.
   */
  read(chunk: Uint8Array, at: number): [number, Uint8Array | undefined] {
    if (this.#bodySize < 0) {
      const take = Math.min(LENGTH_FIELD_SIZE - this.#lengthHave, chunk.length - at);
      this.#lengthField.set(chunk.subarray(at, at + take), this.#lengthHave);
      this.#lengthHave += take;
      at += take;
      if (this.#lengthHave < LENGTH_FIELD_SIZE) return [at, undefined];
      this.#lengthHave = 0;
      const length = this.#cipher.decryptLength(this.#lengthField);
      // As Core's V2Transport::ProcessReceivedPacketBytes: refuse from the length alone.
      if (length > MAX_CONTENTS_LENGTH) {
        throw new TransportError(
          "packet-too-large",
          `Cannot receive v2 packet: ${length} bytes of contents exceed the limit of ${MAX_CONTENTS_LENGTH}`,
        );
      }
      this.#bodySize = length + HEADER_SIZE + TAG_SIZE;
    }
    const size = this.#bodySize;
    if (this.#bodyHave === 0 && chunk.length - at >= size) {
      // The whole packet is in this chunk: no copy.
      this.#bodySize = -1;
      return [at + size, chunk.subarray(at, at + size)];
    }
    const take = Math.min(size - this.#bodyHave, chunk.length - at);
    const have = this.#bodyHave + take;
    let body = this.#body;
    if (body === undefined || body.length < have) {
      const capacity = Math.min(size, Math.max(have, 2 * (body?.length ?? 0), MIN_BODY_CAPACITY));
      const grown = new Uint8Array(capacity);
      if (body !== undefined) grown.set(body.subarray(0, this.#bodyHave));
      body = this.#body = grown;
    }
    body.set(chunk.subarray(at, at + take), this.#bodyHave);
    this.#bodyHave = have;
    if (have < size) return [at + take, undefined];
    this.#body = undefined;
    this.#bodyHave = 0;
    this.#bodySize = -1;
    return [at + take, body.subarray(0, size)];
  }
}
