// A v2 packet's contents: the message type, as one of BIP 324's short ids or as 0x00 and the
// 12-byte command of v1, then the payload, undecoded.
import type { RawMessage } from "../wire/message.ts";

export type { RawMessage };
import { COMMAND_SIZE, MAX_PROTOCOL_MESSAGE_LENGTH } from "../wire/protocol.ts";
import { TransportError } from "./errors.ts";

/**
 * BIP 324's short message type ids: the command at index `id`, for ids 1 to 28. Index 0 is
 * the long form (0x00 followed by the 12-byte command).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { V2_MESSAGE_IDS } from "@btcstream/p2p/transport";
 *
 * assertEquals(V2_MESSAGE_IDS[18], "ping");
 * assertEquals(V2_MESSAGE_IDS.indexOf("addrv2"), 28);
 * ```
 */
export const V2_MESSAGE_IDS: readonly string[] = Object.freeze([
  "",
  "addr",
  "block",
  "blocktxn",
  "cmpctblock",
  "feefilter",
  "filteradd",
  "filterclear",
  "filterload",
  "getblocks",
  "getblocktxn",
  "getdata",
  "getheaders",
  "headers",
  "inv",
  "mempool",
  "merkleblock",
  "notfound",
  "ping",
  "pong",
  "sendcmpct",
  "tx",
  "getcfilters",
  "cfilter",
  "getcfheaders",
  "cfheaders",
  "getcfcheckpt",
  "cfcheckpt",
  "addrv2",
]);

const SHORT_IDS = new Map<string, number>(
  V2_MESSAGE_IDS.map((command, id) => [command, id] as [string, number]).slice(1),
);

/** Bytes of contents before the payload in the long form: 0x00 and the 12-byte command. */
export const LONG_TYPE_SIZE: number = 1 + COMMAND_SIZE;

/** Largest packet contents a v2 peer accepts: long type form and the network's message limit. */
export const MAX_CONTENTS_LENGTH: number = LONG_TYPE_SIZE + MAX_PROTOCOL_MESSAGE_LENGTH;

/**
 * The message type bytes of a command: its short id, or 0x00 and the NUL-padded command.
 * The command must be 1 to 12 printable ASCII characters (as in a v1 header).
 */
export function messageTypeBytes(command: string): Uint8Array {
  const id = SHORT_IDS.get(command);
  if (id !== undefined) return new Uint8Array([id]);
  if (command.length === 0 || command.length > COMMAND_SIZE) {
    throw new TypeError(`Invalid command "${command}": expected 1 to 12 characters`);
  }
  const out = new Uint8Array(LONG_TYPE_SIZE);
  for (let i = 0; i < command.length; i++) {
    const c = command.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) {
      throw new TypeError(`Invalid command "${command}": not printable ASCII`);
    }
    out[1 + i] = c;
  }
  return out;
}

/**
 * Encodes a message as v2 packet contents: its short id when BIP 324 assigns one (the long
 * form otherwise), then the payload.
 *
 * @param message The command and payload.
 * @returns The contents.
 * @throws {TypeError} If the command is not 1 to 12 printable ASCII characters.
 * @throws {RangeError} If the payload exceeds the network's 4,000,000-byte limit.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { encodeContents } from "@btcstream/p2p/transport";
 *
 * assertEquals(encodeContents({ command: "ping", payload: new Uint8Array(8) }).length, 9);
 * assertEquals(encodeContents({ command: "version", payload: new Uint8Array(0) }).length, 13);
 * ```
 */
export function encodeContents(message: RawMessage): Uint8Array {
  checkPayload(message);
  const type = messageTypeBytes(message.command);
  const out = new Uint8Array(type.length + message.payload.length);
  out.set(type, 0);
  out.set(message.payload, type.length);
  return out;
}

/** Throws RangeError when a payload is over the network limit (a caller's bug). */
export function checkPayload(message: RawMessage): void {
  if (message.payload.length > MAX_PROTOCOL_MESSAGE_LENGTH) {
    throw new RangeError(
      `Cannot encode "${message.command}": payload of ${message.payload.length} bytes exceeds the network limit of ${MAX_PROTOCOL_MESSAGE_LENGTH}`,
    );
  }
}

/**
 * Decodes v2 packet contents into a command and a payload (a view of `contents`, not a copy).
 *
 * @param contents The decrypted contents of a non-decoy packet.
 * @returns The message.
 * @throws {TransportError} `unknown-message-id` for a short id BIP 324 does not assign;
 * `bad-command` for empty contents, or a long form that is cut short or whose command is not
 * printable ASCII followed only by NULs (v1's rule, as Bitcoin Core).
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeContents } from "@btcstream/p2p/transport";
 *
 * const message = decodeContents(new Uint8Array([18, 1, 0, 0, 0, 0, 0, 0, 0]));
 * assertEquals(message.command, "ping");
 * assertEquals(message.payload.length, 8);
 * ```
 */
export function decodeContents(contents: Uint8Array): RawMessage {
  if (contents.length === 0) {
    throw new TransportError("bad-command", "Cannot decode v2 contents: empty, no message type");
  }
  const id = contents[0];
  if (id !== 0) {
    const command = V2_MESSAGE_IDS[id];
    if (command === undefined) {
      throw new TransportError(
        "unknown-message-id",
        `Cannot decode v2 contents: message type id ${id} is not assigned (1 to ${
          V2_MESSAGE_IDS.length - 1
        } are)`,
      );
    }
    return { command, payload: contents.subarray(1) };
  }
  if (contents.length < LONG_TYPE_SIZE) {
    throw new TransportError(
      "bad-command",
      `Cannot decode v2 contents: ${contents.length} bytes cannot hold the 12-byte message type`,
    );
  }
  // Bitcoin Core's rule for v1 headers (and V2Transport::GetMessageType): printable ASCII,
  // then only NULs.
  let n = 0;
  while (n < COMMAND_SIZE && contents[1 + n] !== 0) {
    const c = contents[1 + n];
    if (c < 0x20 || c > 0x7e) {
      throw new TransportError(
        "bad-command",
        `Cannot decode v2 contents: message type byte ${n} is 0x${
          c.toString(16).padStart(2, "0")
        }, not printable ASCII`,
      );
    }
    n++;
  }
  for (let i = n; i < COMMAND_SIZE; i++) {
    if (contents[1 + i] !== 0) {
      throw new TransportError(
        "bad-command",
        "Cannot decode v2 contents: the message type has bytes after its NUL padding",
      );
    }
  }
  return {
    command: String.fromCharCode(...contents.subarray(1, 1 + n)),
    payload: contents.subarray(LONG_TYPE_SIZE),
  };
}
