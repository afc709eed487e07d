// The stage between a connection's bytes and its messages. v1 is Bitcoin's original framing
// (magic, command, length, checksum); BIP 324's v2 transport encrypts the same messages. The
// peer composes one of them and nothing after it changes: both hand up `{ command, payload }`
// with the payload still encoded, and both frame outgoing messages in write order (v2's cipher
// is stateful, so nothing may be framed early and overtaken).
import {
  FrameDecoder,
  type Network,
  type NetworkName,
  NETWORKS,
  PROTOCOL_VERSION,
  type RawMessage,
} from "../wire/mod.ts";
import { writeV1Header } from "../wire/frame.ts";

/** How a transport reads and writes the connection during its own handshake. */
export interface TransportIo {
  /** The next bytes from the remote, or `undefined` when the connection ended. */
  read(): Promise<Uint8Array | undefined>;
  /** Writes bytes now, ahead of any message. */
  write(bytes: Uint8Array): Promise<void>;
}

/**
 * A peer's transport: v1 framing, or BIP 324's v2 cipher suite. Internal to the peer; each
 * call is made by the peer's own loops in order.
 */
export interface PeerTransport {
  /** `"v1"` or `"v2"`, as Bitcoin Core's `getpeerinfo` `transport_protocol_type`. */
  readonly protocol: "v1" | "v2";
  /** BIP 324's session id once the key exchange completed (v2 only). */
  readonly sessionId: Uint8Array | undefined;
  /**
   * Memory held for a message in progress (the buffers its bytes keep alive): about what
   * arrived, never what a header claims.
   */
  readonly heldBytes: number;
  /**
   * v2 initiators: true while our key is out and nothing came back, so that a connection
   * ending now (closed, or the deadline) may be a v1-only node's doing.
   */
  readonly looksV1Only?: boolean;
  /**
   * Runs the transport's own handshake, before any message (v1 has none). Resolves with any
   * bytes read past it, which the peer feeds to {@linkcode PeerTransport.receive} first.
   */
  open(io: TransportIo): Promise<Uint8Array | undefined>;
  /**
   * Feeds received bytes; each complete message goes to `out` with its size on the wire.
   * Throws a `MessageError` (or the transport's own typed error) on bad input.
   */
  receive(chunk: Uint8Array, out: (message: RawMessage, wireBytes: number) => void): void;
  /** The input ended; throws when it ended inside a message. */
  finish(): void;
  /**
   * The bytes that carry one message. `buffer` is the encoded payload after 24 free bytes,
   * which the transport may overwrite.
   */
  frame(command: string, buffer: Uint8Array): Uint8Array;
  /** The protocol version whose per-message limits are checked as messages arrive. */
  setProtocolVersion(protocolVersion: number): void;
}

/** Options for {@linkcode v1Transport}. */
export interface V1TransportOptions {
  /** The network (default mainnet). */
  network?: NetworkName | Network;
  /** The protocol version whose per-message limits are checked (default 70016). */
  protocolVersion?: number;
}

/** Bitcoin's original framing: a 24-byte header with magic, command, length and checksum. */
export function v1Transport(options: V1TransportOptions = {}): PeerTransport {
  const network = typeof options.network === "string"
    ? NETWORKS[options.network]
    : options.network ?? NETWORKS.mainnet;
  const magic = network.magic >>> 0;
  let onFrame = 0;
  const frames = new FrameDecoder({
    network,
    protocolVersion: options.protocolVersion ?? PROTOCOL_VERSION,
    onFrame: (_command, size) => (onFrame = size),
  });
  return {
    protocol: "v1",
    sessionId: undefined,
    get heldBytes() {
      return frames.heldBytes;
    },
    open: () => Promise.resolve(undefined),
    receive(chunk, out) {
      frames.push(chunk, (message) => out(message, onFrame));
    },
    finish() {
      frames.finish();
    },
    frame(command, buffer) {
      return writeV1Header(buffer, command, magic);
    },
    setProtocolVersion(protocolVersion) {
      frames.setProtocolVersion(protocolVersion);
    },
  };
}
