// v1 message framing: a 24-byte header (magic, command, length, checksum) then the payload.
// Header checks run in btcd's order, and all of them before any payload is buffered.
import type { CodecContext } from "./_codec.ts";
import { decodeWith, encodeInto, encodeWith } from "./_payload.ts";
import { ByteWriter } from "./_writer.ts";
import { MessageError } from "./errors.ts";
import { checksum } from "./hash.ts";
import {
  codecFor,
  COMMANDS,
  type Message,
  type RawMessage,
  type UnknownMessage,
} from "./message.ts";
import {
  COMMAND_SIZE,
  MAX_PROTOCOL_MESSAGE_LENGTH,
  MESSAGE_HEADER_SIZE,
  type Network,
  type NetworkName,
  NETWORKS,
  PROTOCOL_VERSION,
} from "./protocol.ts";

/** How to frame and serialize messages. Every field is optional. */
export interface WireOptions {
  /** The network whose magic frames carry: a name or a `Network`. Default `"mainnet"`. */
  network?: NetworkName | Network;
  /** Protocol version that gates optional fields. Default 70016. */
  protocolVersion?: number;
  /** BIP 144: serialize and accept witness data. Default `true`. */
  witness?: boolean;
}

/** Options with defaults applied; internal. */
export interface ResolvedWireOptions {
  readonly magic: number;
  readonly ctx: CodecContext;
}

/** Applies the defaults (mainnet, 70016, witness). */
export function resolveWireOptions(options: WireOptions = {}): ResolvedWireOptions {
  const network = typeof options.network === "string"
    ? NETWORKS[options.network]
    : options.network ?? NETWORKS.mainnet;
  if (network === undefined) {
    throw new TypeError(`Unknown network "${options.network}"`);
  }
  const protocolVersion = options.protocolVersion ?? PROTOCOL_VERSION;
  if (!Number.isInteger(protocolVersion) || protocolVersion < 0) {
    throw new RangeError(`Invalid protocol version ${protocolVersion}`);
  }
  return { magic: network.magic >>> 0, ctx: { protocolVersion, witness: options.witness ?? true } };
}

/** A parsed, validated message header. */
export interface FrameHeader {
  /** The command, without NUL padding. */
  readonly command: string;
  /** Payload length in bytes. */
  readonly length: number;
  /** The first four bytes of dSHA-256(payload), read as a big-endian uint32. */
  readonly checksum: number;
}

/** Known commands by their padded header bytes, read as three little-endian words. */
const KNOWN_COMMANDS = new Map<number, { w1: number; w2: number; name: string }[]>();
for (const name of COMMANDS) {
  const padded = new Uint8Array(COMMAND_SIZE);
  for (let i = 0; i < name.length; i++) padded[i] = name.charCodeAt(i);
  const v = new DataView(padded.buffer);
  const w0 = v.getUint32(0, true);
  const list = KNOWN_COMMANDS.get(w0) ?? [];
  list.push({ w1: v.getUint32(4, true), w2: v.getUint32(8, true), name });
  KNOWN_COMMANDS.set(w0, list);
}

/**
 * Reads and checks the 24-byte header at `bytes[offset]`: magic, network limit, command
 * syntax. Per-command limits are checked by the caller, which knows whether it skips
 * unknown commands.
 */
export function parseHeader(
  bytes: Uint8Array,
  offset: number,
  magic: number,
  view: DataView = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
): FrameHeader {
  // As Bitcoin Core (V1Transport::readHeader): the magic first, so that garbage from a
  // non-Bitcoin client reads as what it is; then the size, before anything is buffered.
  const got = view.getUint32(offset, true);
  if (got !== magic) {
    throw new MessageError(
      "bad-magic",
      `Cannot frame message: magic 0x${got.toString(16).padStart(8, "0")} is not the network's 0x${
        magic.toString(16).padStart(8, "0")
      }`,
    );
  }
  const length = view.getUint32(offset + 16, true);
  const command = readCommand(view, bytes, offset + 4);
  if (length > MAX_PROTOCOL_MESSAGE_LENGTH) {
    throw new MessageError(
      "payload-too-large",
      `Cannot frame "${
        command ?? "?"
      }": payload of ${length} bytes exceeds the network limit of ${MAX_PROTOCOL_MESSAGE_LENGTH}`,
      command,
    );
  }
  if (command === undefined) {
    throw new MessageError(
      "invalid-command",
      "Cannot frame message: the command is not NUL-padded printable ASCII",
    );
  }
  return { command, length, checksum: view.getUint32(offset + 20, false) };
}

/** The command at `bytes[at, at+12)`, or undefined when it is not valid (as Bitcoin Core). */
function readCommand(view: DataView, bytes: Uint8Array, at: number): string | undefined {
  const candidates = KNOWN_COMMANDS.get(view.getUint32(at, true));
  if (candidates !== undefined) {
    const w1 = view.getUint32(at + 4, true), w2 = view.getUint32(at + 8, true);
    for (const c of candidates) if (c.w1 === w1 && c.w2 === w2) return c.name;
  }
  // Bitcoin Core's CMessageHeader::GetMessageType: printable ASCII, then only NULs.
  let n = 0;
  while (n < COMMAND_SIZE && bytes[at + n] !== 0) {
    const c = bytes[at + n];
    if (c < 0x20 || c > 0x7e) return undefined;
    n++;
  }
  for (let i = n; i < COMMAND_SIZE; i++) if (bytes[at + i] !== 0) return undefined;
  return String.fromCharCode(...bytes.subarray(at, at + n));
}

/**
 * Encodes a message as a complete frame: 24-byte header and payload.
 *
 * @param message The message.
 * @param options Network (default mainnet), protocol version (70016), witness (true).
 * @returns The frame, ready for a socket.
 * @throws {RangeError} If the message breaks a protocol limit.
 *
 * @example
 * ```ts
 * import { bytesToHex, encodeMessage } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const frame = encodeMessage({ command: "verack" });
 * assertEquals(bytesToHex(frame), "f9beb4d976657261636b000000000000000000005df6e0e2");
 * ```
 */
export function encodeMessage(message: Message, options: WireOptions = {}): Uint8Array {
  return encodeMessageResolved(message, resolveWireOptions(options));
}

/** The codec for a message the caller built; an unknown command is a caller's bug. */
function encoderFor(message: Message): NonNullable<ReturnType<typeof codecFor>> {
  const codec = codecFor(message.command);
  if (codec === undefined) {
    throw new TypeError(`Cannot encode message: unknown command "${message.command}"`);
  }
  return codec;
}

/** `encodeMessage` with options already resolved (the encoder stream's path). */
export function encodeMessageResolved(message: Message, opts: ResolvedWireOptions): Uint8Array {
  return writeV1Header(encodeWithHeadroom(message, opts.ctx), message.command, opts.magic);
}

/**
 * Decodes one complete frame (header and payload, nothing after).
 *
 * @param frame The frame's bytes.
 * @param options Network (default mainnet), protocol version (70016), witness (true).
 * @returns The message.
 * @throws {MessageError} For any protocol violation, including an unknown command
 * (`unknown-command`) and bytes after the frame (`trailing-bytes`).
 *
 * @example
 * ```ts
 * import { decodeMessage, hexToBytes } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const frame = hexToBytes("f9beb4d970696e6700000000000000000800000008533f6b0100000000000000");
 * assertEquals(decodeMessage(frame), { command: "ping", nonce: 1n });
 * ```
 */
export function decodeMessage(frame: Uint8Array, options: WireOptions = {}): Message {
  const opts = resolveWireOptions(options);
  if (frame.length < MESSAGE_HEADER_SIZE) {
    throw new MessageError(
      "truncated",
      `Cannot frame message: ${frame.length} bytes are fewer than the 24-byte header`,
    );
  }
  const header = parseHeader(frame, 0, opts.magic);
  const codec = checkedCodec(header, opts.ctx.protocolVersion);
  if (codec === undefined) {
    throw new MessageError(
      "unknown-command",
      `Cannot decode "${header.command}": unknown command`,
      header.command,
    );
  }
  const end = MESSAGE_HEADER_SIZE + header.length;
  if (frame.length < end) {
    throw new MessageError(
      "truncated",
      `Cannot decode "${header.command}": the header announces ${header.length} payload bytes, ${
        frame.length - MESSAGE_HEADER_SIZE
      } arrived`,
      header.command,
    );
  }
  if (frame.length > end) {
    throw new MessageError(
      "trailing-bytes",
      `Cannot decode "${header.command}": ${frame.length - end} bytes after the frame`,
      header.command,
    );
  }
  verifyChecksum(header, frame, MESSAGE_HEADER_SIZE, end);
  return decodeWith(codec, frame, opts.ctx, MESSAGE_HEADER_SIZE, end) as Message;
}

/**
 * The codec for a header's command with its length checked against the command's own
 * maximum; undefined for an unknown command (which callers skip or report).
 */
export function checkedCodec(
  header: FrameHeader,
  protocolVersion: number,
): ReturnType<typeof codecFor> {
  const codec = codecFor(header.command);
  if (codec === undefined) return undefined;
  const max = codec.maxPayloadLength(protocolVersion);
  if (header.length > max) {
    throw new MessageError(
      "payload-too-large",
      `Cannot decode "${header.command}": payload of ${header.length} bytes exceeds its limit of ${max} at protocol ${protocolVersion}`,
      header.command,
    );
  }
  return codec;
}

/** Throws `bad-checksum` unless `payload[start, end)` matches the header's checksum. */
export function verifyChecksum(
  header: FrameHeader,
  bytes: Uint8Array,
  start: number,
  end: number,
): void {
  const got = checksum(bytes, start, end);
  if (got !== header.checksum) {
    throw new MessageError(
      "bad-checksum",
      `Cannot decode "${header.command}": checksum 0x${
        header.checksum.toString(16).padStart(8, "0")
      } does not match the payload's 0x${got.toString(16).padStart(8, "0")}`,
      header.command,
    );
  }
}

/**
 * Encodes only a message's payload (for transports with their own framing, such as BIP 324).
 *
 * @param message The message.
 * @param options Protocol version and witness; the network is not used.
 * @returns The payload bytes.
 *
 * @example
 * ```ts
 * import { encodePayload } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * const payload = encodePayload({ command: "ping", nonce: 1n });
 * assertEquals(payload, Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0)); // the nonce, little-endian
 * ```
 */
export function encodePayload(message: Message, options: WireOptions = {}): Uint8Array {
  const codec = encoderFor(message);
  return encodeWith(codec, message, resolveWireOptions(options).ctx);
}

/**
 * Decodes a payload given its command (for transports with their own framing).
 *
 * @param command The message's command.
 * @param payload Its payload.
 * @param options Protocol version and witness; the network is not used.
 * @returns The message.
 * @throws {MessageError} For an unknown command or any protocol violation.
 *
 * @example
 * ```ts
 * import { decodePayload } from "@btcstream/p2p/wire";
 * import { assertEquals } from "@std/assert";
 * assertEquals(decodePayload("pong", new Uint8Array(8)), { command: "pong", nonce: 0n });
 * ```
 */
export function decodePayload(
  command: string,
  payload: Uint8Array,
  options: WireOptions = {},
): Message {
  const opts = resolveWireOptions(options);
  const codec = checkedCodec(
    { command, length: payload.length, checksum: 0 },
    opts.ctx.protocolVersion,
  );
  if (codec === undefined) {
    throw new MessageError(
      "unknown-command",
      `Cannot decode "${command}": unknown command`,
      command,
    );
  }
  return decodeWith(codec, payload, opts.ctx) as Message;
}

/**
 * Decodes a raw message (what {@linkcode FrameDecoderStream} or a BIP 324 transport hands
 * up): a known command becomes its typed message, checked against its maximum at the given
 * protocol version; an unknown one becomes an {@linkcode UnknownMessage}.
 *
 * @param raw The command and payload.
 * @param options Protocol version (default 70016) and witness (true); the network is not used.
 * @returns The message.
 * @throws {MessageError} When the payload breaks the protocol.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeRawMessage } from "@btcstream/p2p/wire";
 * const payload = new Uint8Array([7, 0, 0, 0, 0, 0, 0, 0]);
 * assertEquals(decodeRawMessage({ command: "ping", payload }), { command: "ping", nonce: 7n });
 * assertEquals(decodeRawMessage({ command: "hello", payload }).command, "unknown");
 * ```
 */
export function decodeRawMessage(
  raw: RawMessage,
  options: WireOptions = {},
): Message | UnknownMessage {
  return decodeRawWith(raw, resolveWireOptions(options).ctx);
}

/** {@linkcode decodeRawMessage} with a resolved context: the peer's path. */
export function decodeRawWith(raw: RawMessage, ctx: CodecContext): Message | UnknownMessage {
  const { command, payload } = raw;
  const codec = codecFor(command);
  if (codec === undefined) return { command: "unknown", name: command, payload };
  const max = codec.maxPayloadLength(ctx.protocolVersion);
  if (payload.length > max) {
    throw new MessageError(
      "payload-too-large",
      `Cannot decode "${command}": payload of ${payload.length} bytes exceeds its limit of ${max} at protocol ${ctx.protocolVersion}`,
      command,
    );
  }
  // The messages of one read share its buffer: one view of it serves them all, instead of
  // a DataView per message (small messages come by the thousand).
  const buffer = payload.buffer;
  if (buffer !== lastBuffer) {
    lastBuffer = buffer;
    lastBytes = new Uint8Array(buffer);
    lastView = new DataView(buffer);
  }
  const start = payload.byteOffset;
  return decodeWith(codec, lastBytes!, ctx, start, start + payload.length, lastView) as Message;
}

// The buffer the last raw message decoded lay in, and views of all of it.
let lastBuffer: ArrayBufferLike | undefined;
let lastBytes: Uint8Array | undefined;
let lastView: DataView | undefined;

/**
 * Frames a raw message for v1: the 24-byte header (magic, command, length, checksum) and the
 * payload, in a new buffer.
 *
 * @param raw The command (at most 12 printable ASCII characters) and payload.
 * @param options The network (default mainnet).
 * @returns The frame.
 * @throws {RangeError} For a command or payload the protocol cannot carry.
 *
 * @example
 * ```ts
 * import { assertEquals } from "@std/assert";
 * import { decodeMessage, frameMessage } from "@btcstream/p2p/wire";
 * const frame = frameMessage({ command: "pong", payload: new Uint8Array(8) });
 * assertEquals(decodeMessage(frame), { command: "pong", nonce: 0n });
 * ```
 */
export function frameMessage(raw: RawMessage, options: WireOptions = {}): Uint8Array {
  const { magic } = resolveWireOptions(options);
  const out = new Uint8Array(MESSAGE_HEADER_SIZE + raw.payload.length);
  out.set(raw.payload, MESSAGE_HEADER_SIZE);
  return writeV1Header(out, raw.command, magic);
}

/**
 * A message's payload encoded after {@linkcode MESSAGE_HEADER_SIZE} free bytes: the buffer a
 * peer queues. v1 framing then writes its header into the free bytes (no copy); other
 * transports read the payload after them.
 */
export function encodeWithHeadroom(message: Message, ctx: CodecContext): Uint8Array {
  const codec = encoderFor(message);
  const max = codec.maxPayloadLength(ctx.protocolVersion);
  const w = new ByteWriter(MESSAGE_HEADER_SIZE + Math.min(max, 1000), MESSAGE_HEADER_SIZE);
  const length = encodeInto(codec, message, w, ctx);
  if (length > MAX_PROTOCOL_MESSAGE_LENGTH) {
    throw new RangeError(
      `Cannot encode "${message.command}": payload of ${length} bytes exceeds the network limit of ${MAX_PROTOCOL_MESSAGE_LENGTH}`,
    );
  }
  return w.finish();
}

/**
 * Fills the first 24 bytes of `frame` with the v1 header for the payload after them.
 *
 * @returns `frame`.
 */
export function writeV1Header(frame: Uint8Array, command: string, magic: number): Uint8Array {
  const n = command.length;
  if (n === 0 || n > COMMAND_SIZE) {
    throw new RangeError(
      `Cannot frame "${command}": a command has 1 to ${COMMAND_SIZE} characters`,
    );
  }
  const length = frame.length - MESSAGE_HEADER_SIZE;
  if (length > MAX_PROTOCOL_MESSAGE_LENGTH) {
    throw new RangeError(
      `Cannot frame "${command}": payload of ${length} bytes exceeds the network limit of ${MAX_PROTOCOL_MESSAGE_LENGTH}`,
    );
  }
  const view = new DataView(frame.buffer, frame.byteOffset, MESSAGE_HEADER_SIZE);
  view.setUint32(0, magic, true);
  for (let i = 0; i < COMMAND_SIZE; i++) {
    const c = i < n ? command.charCodeAt(i) : 0;
    if (i < n && (c < 0x20 || c > 0x7e)) {
      throw new RangeError(`Cannot frame "${command}": a command is printable ASCII`);
    }
    frame[4 + i] = c;
  }
  view.setUint32(16, length, true);
  view.setUint32(20, checksum(frame, MESSAGE_HEADER_SIZE, frame.length), false);
  return frame;
}
