// The codec shared by `getblocks` and `getheaders`: `version u32le | CompactSize count | locator
// hashes | hashStop`.
import type { MessageCodec } from "./_codec.ts";
import { checkHash, checkUint, HASH_SIZE, readHashes, writeHashes } from "./_fields.ts";
import { MAX_BLOCK_LOCATORS_PER_MSG } from "./protocol.ts";

/** A block-locator request. */
export interface LocatorMessage<C extends string> {
  readonly command: C;
  readonly protocolVersion: number;
  readonly locator: readonly Uint8Array[];
  readonly hashStop: Uint8Array;
}

// As btcd: version + 9-byte CompactSize allowance + 500 hashes + hashStop (16,045 bytes).
const MAX_PAYLOAD = 4 + 9 + MAX_BLOCK_LOCATORS_PER_MSG * HASH_SIZE + HASH_SIZE;

/** Builds the codec for `getblocks` or `getheaders`. */
export function locatorCodec<C extends "getblocks" | "getheaders">(
  command: C,
): MessageCodec<LocatorMessage<C>> {
  return {
    command,
    encode(w, m) {
      checkUint(command, "protocolVersion", m.protocolVersion, 0xffffffff);
      checkHash(command, "hashStop", m.hashStop);
      w.u32le(m.protocolVersion);
      writeHashes(w, m.locator, MAX_BLOCK_LOCATORS_PER_MSG, command, "locator", "locator hashes");
      w.bytesRaw(m.hashStop);
    },
    decode(r) {
      const protocolVersion = r.u32le("protocolVersion");
      // btcd's bound of 500 applies while decoding. Bitcoin Core's MAX_LOCATOR_SZ (101) is a
      // policy limit it checks after decoding (and disconnects for), so it is the caller's to
      // enforce, not a malformed message.
      const count = r.count(MAX_BLOCK_LOCATORS_PER_MSG, "locator hashes");
      const locator = readHashes(r, count, "locator");
      const hashStop = r.hash("hashStop");
      return { command, protocolVersion, locator, hashStop };
    },
    maxPayloadLength() {
      return MAX_PAYLOAD;
    },
  };
}
