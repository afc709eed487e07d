// `version`: the first message each side sends, announcing its protocol version, services,
// clock, best height and (BIP 37) whether it wants transactions relayed.
import type { MessageCodec } from "./_codec.ts";
import { checkUint64, readNetAddress, writeNetAddress } from "./_net_address_io.ts";
import type { NetAddress } from "./net_address.ts";
import { BIP0037_VERSION, MAX_USER_AGENT_LEN } from "./protocol.ts";
import { wireStringToBytes } from "./wire_string.ts";

/**
 * `version`: opens the handshake.
 *
 * @example
 * ```ts
 * import {
 *   decodeMessage,
 *   encodeMessage,
 *   netAddressFromHost,
 *   type VersionMessage,
 * } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const version: VersionMessage = {
 *   command: "version",
 *   protocolVersion: 70016,
 *   services: 1033n,
 *   timestamp: 1_700_000_000n,
 *   addrRecv: netAddressFromHost("203.0.113.7", 8333),
 *   addrFrom: netAddressFromHost("::", 0),
 *   nonce: 0x1234n,
 *   userAgent: "/btcstream:0.1.0/",
 *   startHeight: 850_000,
 *   relay: true,
 * };
 * assertEquals(decodeMessage(encodeMessage(version)), version);
 * ```
 */
export interface VersionMessage {
  /** The command, `version`. */
  readonly command: "version";
  /** The sender's protocol version (int32). */
  readonly protocolVersion: number;
  /** The sender's service flags (uint64). */
  readonly services: bigint;
  /** The sender's clock (int64 unix seconds). */
  readonly timestamp: bigint;
  /** The receiver's address as the sender sees it (no timestamp). */
  readonly addrRecv: NetAddress;
  /**
   * The sender's address (no timestamp); Bitcoin Core sends all zeros. Defaults to `::`,
   * port 0, when absent.
   */
  readonly addrFrom: NetAddress;
  /** Random nonce to detect connections to self (uint64); 0 when absent. */
  readonly nonce: bigint;
  /**
   * BIP 14 user agent, at most 256 bytes; "" when absent. Meant to be UTF-8, but Bitcoin
   * Core neither checks nor changes it, so neither does this codec: a byte that is not part of
   * valid UTF-8 is decoded as the lone surrogate U+DC00 + byte and encoded back as that byte
   * (see `bytesToWireString`), so the field keeps the bytes the peer sent. Show it
   * with such characters replaced or escaped, as Core does for its logs.
   */
  readonly userAgent: string;
  /** The sender's best block height (int32); 0 when absent. */
  readonly startHeight: number;
  /**
   * BIP 37: whether the sender wants transactions relayed; true when absent. Read as Bitcoin
   * Core reads a bool: any non-zero byte is true, and is written back as 1 (the one value
   * this codec does not keep).
   */
  readonly relay: boolean;
  /**
   * The last field the payload carried, set when decoding a payload laid out otherwise than
   * the encoder would write it: a peer may stop after any field from `addrRecv` on (older
   * nodes did; the fields left out take their defaults), and may send the relay byte or not
   * whatever its version (Bitcoin Core always sends it). The encoder then writes the fields up
   * to this one, so that the message encodes to the bytes it came from. Without it (any
   * message built by hand, and every ordinary one decoded), every field is written and the
   * relay byte from protocol 70001 on (BIP 37). Drop it from a copy that should be written
   * whole.
   */
  readonly lastField?: VersionField;
}

/** The fields of `version` that a payload may end with, in order. */
export type VersionField =
  | "addrRecv"
  | "addrFrom"
  | "nonce"
  | "userAgent"
  | "startHeight"
  | "relay";

const FIELD_ORDER: readonly VersionField[] = [
  "addrRecv",
  "addrFrom",
  "nonce",
  "userAgent",
  "startHeight",
  "relay",
];

/**
 * Largest `version` payload (344 bytes): protocol version 4 + services 8 + timestamp 8 + two
 * addresses without timestamps 2 * 26 + nonce 8 + user agent (3-byte CompactSize for 256 + 256)
 * + start height 4 + relay 1. btcd's bound of 358 counts addresses with timestamps (30 bytes)
 * and a 9-byte CompactSize, neither of which a valid `version` can carry.
 */
const MAX_VERSION_PAYLOAD = 4 + 8 + 8 + 26 * 2 + 8 + 3 + MAX_USER_AGENT_LEN + 4 + 1;

/** What the encoder writes when told nothing: every field, the relay byte from BIP 37 on. */
function defaultLastField(protocolVersion: number): VersionField {
  return protocolVersion >= BIP0037_VERSION ? "relay" : "startHeight";
}

/** The address Bitcoin Core sends as `addr_from`, and the default when the field is absent. */
function emptyAddress(): NetAddress {
  return { services: 0n, ip: new Uint8Array(16), port: 0 };
}

/** Codec for `version`. */
export const versionCodec: MessageCodec<VersionMessage> = {
  command: "version",
  encode(w, m) {
    if (!Number.isInteger(m.protocolVersion) || m.protocolVersion !== (m.protocolVersion | 0)) {
      throw new RangeError(`Cannot encode "version": protocolVersion must be an int32`);
    }
    if (!Number.isInteger(m.startHeight) || m.startHeight !== (m.startHeight | 0)) {
      throw new RangeError(`Cannot encode "version": startHeight must be an int32`);
    }
    if (
      typeof m.timestamp !== "bigint" || m.timestamp !== BigInt.asIntN(64, m.timestamp)
    ) {
      throw new RangeError(`Cannot encode "version": timestamp must be an int64 bigint`);
    }
    checkUint64("version", "services", m.services);
    checkUint64("version", "nonce", m.nonce);
    const userAgent = wireStringToBytes(m.userAgent);
    const n = userAgent.length;
    if (n > MAX_USER_AGENT_LEN) {
      throw new RangeError(
        `Cannot encode "version": user agent of ${n} bytes exceeds the limit of ${MAX_USER_AGENT_LEN}`,
      );
    }
    // BIP 37 added the relay byte at 70001. btcd decides by the negotiated version, which is
    // not yet known when `version` is sent; the sender's own version says whether it speaks
    // BIP 37, and Bitcoin Core (which always sends 70016+) always writes the byte. A decoded
    // message says where its payload ended instead.
    const last = m.lastField ?? defaultLastField(m.protocolVersion);
    const fields = FIELD_ORDER.indexOf(last);
    if (fields < 0) {
      throw new TypeError(`Cannot encode "version": unknown lastField ${JSON.stringify(last)}`);
    }
    w.i32le(m.protocolVersion);
    w.u64le(m.services);
    w.i64le(m.timestamp);
    writeNetAddress(w, m.addrRecv, false, "version", "addrRecv");
    if (fields >= 1) writeNetAddress(w, m.addrFrom, false, "version", "addrFrom");
    if (fields >= 2) w.u64le(m.nonce);
    if (fields >= 3) w.varBytes(userAgent);
    if (fields >= 4) w.i32le(m.startHeight);
    if (fields >= 5) w.u8(m.relay ? 1 : 0);
  },
  decode(r) {
    const protocolVersion = r.i32le("protocol version");
    const services = r.u64le("services");
    const timestamp = r.i64le("timestamp");
    const addrRecv = readNetAddress(r, false);
    // As btcd and Bitcoin Core: every field after addr_recv is optional (older peers stop
    // early), so each is read only when bytes remain, and where the payload ended is kept.
    let last: VersionField = "addrRecv";
    let addrFrom = emptyAddress();
    let nonce = 0n;
    let userAgent = "";
    let startHeight = 0;
    // The relay byte is read whenever present, whatever the version (as btcd and Bitcoin
    // Core); any non-zero value means true, as Core reads a bool. Absent means true (BIP 37).
    let relay = true;
    if (r.remaining > 0) [addrFrom, last] = [readNetAddress(r, false), "addrFrom"];
    if (r.remaining > 0) [nonce, last] = [r.u64le("nonce"), "nonce"];
    if (r.remaining > 0) {
      [userAgent, last] = [r.varString(MAX_USER_AGENT_LEN, "user agent"), "userAgent"];
    }
    if (r.remaining > 0) [startHeight, last] = [r.i32le("start height"), "startHeight"];
    if (r.remaining > 0) [relay, last] = [r.u8("relay") !== 0, "relay"];
    const version: VersionMessage = {
      command: "version",
      protocolVersion,
      services,
      timestamp,
      addrRecv,
      addrFrom,
      nonce,
      userAgent,
      startHeight,
      relay,
    };
    return last === defaultLastField(protocolVersion) ? version : { ...version, lastField: last };
  },
  maxPayloadLength() {
    return MAX_VERSION_PAYLOAD;
  },
};

/** One product in a BIP 14 user agent. */
export interface UserAgentPart {
  /** Product name, e.g. `"Satoshi"`. */
  readonly name: string;
  /** Product version, e.g. `"27.0.0"`. */
  readonly version: string;
  /** Comments, written in parentheses and separated by `"; "`. */
  readonly comments?: readonly string[];
}

const FORBIDDEN_UA_CHARS = /[/:()]/;

/**
 * Formats a BIP 14 user agent: `/name:version(comment; comment)/` for each part, in order.
 *
 * @param parts The products, outermost (the node software) first.
 * @returns The user agent, e.g. `"/Satoshi:27.0.0/"`.
 * @throws {TypeError} When a name, version or comment contains `/`, `:`, `(` or `)`, or a name
 * is empty.
 * @throws {RangeError} When the result exceeds 256 bytes of UTF-8.
 *
 * @example
 * ```ts
 * import { formatUserAgent } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(
 *   formatUserAgent([{ name: "btcstream", version: "0.1.0", comments: ["deno", "linux"] }]),
 *   "/btcstream:0.1.0(deno; linux)/",
 * );
 * ```
 */
export function formatUserAgent(parts: readonly UserAgentPart[]): string {
  let out = "/";
  for (const part of parts) {
    checkUserAgentText("name", part.name);
    if (part.name.length === 0) {
      throw new TypeError("Cannot format user agent: a name is empty");
    }
    checkUserAgentText("version", part.version);
    out += `${part.name}:${part.version}`;
    const comments = part.comments ?? [];
    for (const comment of comments) checkUserAgentText("comment", comment);
    if (comments.length > 0) out += `(${comments.join("; ")})`;
    out += "/";
  }
  const length = wireStringToBytes(out).length;
  if (length > MAX_USER_AGENT_LEN) {
    throw new RangeError(
      `Cannot format user agent: ${length} bytes exceed the limit of ${MAX_USER_AGENT_LEN}`,
    );
  }
  return out;
}

function checkUserAgentText(field: string, text: string): void {
  if (typeof text !== "string") {
    throw new TypeError(`Cannot format user agent: ${field} must be a string`);
  }
  // BIP 14 reserves these as separators; Bitcoin Core refuses them in -uacomment too.
  if (FORBIDDEN_UA_CHARS.test(text)) {
    throw new TypeError(
      `Cannot format user agent: ${field} ${JSON.stringify(text)} contains one of / : ( )`,
    );
  }
}
