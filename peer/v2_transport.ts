// BIP 324's v2 transport as a peer's stage: the sans-IO `V2Session` driven by the peer's reads
// and writes. Its key exchange runs in `open`, before the version handshake and under the
// same deadline; after it, packets carry the same `{ command, payload }` as v1 frames.
//
// A responder tells a v1 peer from a v2 one by its first 16 bytes, as Bitcoin Core's
// V2Transport does, and then continues as a v1 transport on the same connection. An initiator
// whose connection is closed before the remote answered its key may be talking to a v1-only
// node: it ends with `v2-not-supported`, and whoever dialed (the server's connection manager)
// dials again with v1.
import { getLogger } from "@logtape/logtape";
import { messageTypeBytes } from "../transport/contents.ts";
import type { TransportError } from "../transport/errors.ts";
import { V2Session } from "../transport/session.ts";
import { type Network, type NetworkName, NETWORKS, type RawMessage } from "../wire/mod.ts";
import { MESSAGE_HEADER_SIZE } from "../wire/protocol.ts";
import { type PeerTransport, type TransportIo, v1Transport } from "./transport.ts";

/** Options for {@linkcode v2Transport}. */
export interface V2TransportOptions {
  /** The network (default mainnet): its magic salts the keys. */
  network?: NetworkName | Network;
  /** `"initiator"` when we dialed, `"responder"` when the remote did. */
  role: "initiator" | "responder";
  /** The protocol version whose per-message limits v1 framing checks after a fallback. */
  protocolVersion?: number;
  /** The LogTape category for dropped packets (default `["btcstream", "peer"]`). */
  logCategory?: readonly string[];
  /** The remote's `host:port`, for log lines. */
  address?: string;
}

/**
 * The connection closed before the remote answered our v2 key: perhaps a v1-only node that
 * dropped it (Bitcoin Core's `ShouldReconnectV1`).
 */
export class V2NotSupportedError extends Error {
  constructor(
    message = "The remote closed the connection before answering our v2 key: it may speak v1 only",
  ) {
    super(message);
  }
}

/** The connection ended in the middle of the v2 key exchange. */
export class ClosedDuringKeyExchange extends Error {
  constructor() {
    super("The remote closed the connection during the v2 key exchange");
  }
}

/** BIP 324's encrypted transport, with Bitcoin Core's v1 detection for responders. */
export function v2Transport(options: V2TransportOptions): PeerTransport {
  return new V2PeerTransport(options);
}

class V2PeerTransport implements PeerTransport {
  readonly #session: V2Session;
  readonly #options: V2TransportOptions;
  readonly #log;
  /** Set when a responder found a v1 peer: everything goes through v1 framing then. */
  #v1: PeerTransport | undefined;
  #io: TransportIo | undefined;
  /** Messages decrypted in the same read that finished the key exchange. */
  #early: RawMessage[] = [];
  #protocolVersion: number | undefined;
  /** The first bytes an initiator received, until there are 4 (see `open`). */
  #head: number[] | undefined = [];
  readonly #magic: number;

  constructor(options: V2TransportOptions) {
    this.#options = options;
    const network = typeof options.network === "string"
      ? NETWORKS[options.network]
      : options.network ?? NETWORKS.mainnet;
    this.#magic = network.magic >>> 0;
    this.#session = new V2Session(options.role, { network: options.network });
    this.#log = getLogger([...(options.logCategory ?? ["btcstream", "peer"])]);
  }

  get protocol(): "v1" | "v2" {
    return this.#v1 === undefined ? "v2" : "v1";
  }

  get sessionId(): Uint8Array | undefined {
    return this.#v1 === undefined ? this.#session.sessionId : undefined;
  }

  get heldBytes(): number {
    return this.#v1?.heldBytes ?? this.#session.bufferedBytes;
  }

  /**
   * Until the keys are known (or a responder has seen a v1 header): our key and garbage, the
   * remote's, our terminator and version packet. Whatever came after is handed on.
   */
  async open(io: TransportIo): Promise<Uint8Array | undefined> {
    this.#io = io;
    const first = this.#session.start();
    if (first.length > 0) await io.write(first);
    for (;;) {
      const chunk = await io.read();
      if (chunk === undefined) {
        throw this.#session.shouldReconnectV1
          ? new V2NotSupportedError()
          : new ClosedDuringKeyExchange();
      }
      if (this.#answeredInV1(chunk)) {
        throw new V2NotSupportedError(
          "The remote answered our v2 key with a v1 message: it speaks v1 only",
        );
      }
      const out = this.#session.receive(chunk);
      await this.#writeAll(out.send);
      if (out.fallbackToV1 !== undefined) {
        this.#v1 = v1Transport({
          network: this.#options.network,
          protocolVersion: this.#protocolVersion,
        });
        return out.fallbackToV1;
      }
      if (out.error !== undefined) throw out.error;
      this.#reportRejected(out.rejected);
      this.#early.push(...out.messages);
      const state = this.#session.state;
      // The keys are known: our version packet is out, messages can be encrypted.
      if (state === "garbage" || state === "version" || state === "app") {
        // An empty chunk makes the peer call `receive` at once, which hands over `#early`.
        return this.#early.length > 0 ? new Uint8Array(0) : undefined;
      }
    }
  }

  /**
   * Whether we dialed, sent our key and have received nothing: if the connection ends now
   * (closed, or the deadline), the remote may be a v1-only node (Core's `ShouldReconnectV1`).
   */
  get looksV1Only(): boolean {
    return this.#session.shouldReconnectV1;
  }

  /**
   * An initiator whose first 4 bytes back are the network magic is talking to a v1 node:
   * btcd and bcoin answer bytes they cannot parse with a v1 `reject` and keep the
   * connection open, where Bitcoin Core closes it. A v2 responder's key starts with the
   * magic once in 2^32. Bitcoin Core only retries with v1 after a close without a byte;
   * this lets the v1 retry happen with those nodes too, instead of after the deadline.
   */
  #answeredInV1(chunk: Uint8Array): boolean {
    const head = this.#head;
    if (head === undefined || this.#options.role !== "initiator") return false;
    for (let i = 0; i < chunk.length && head.length < 4; i++) head.push(chunk[i]);
    if (head.length < 4) return false;
    this.#head = undefined;
    const got = (head[0] | head[1] << 8 | head[2] << 16 | head[3] << 24) >>> 0;
    return got === this.#magic;
  }

  receive(chunk: Uint8Array, out: (message: RawMessage, wireBytes: number) => void): void {
    if (this.#v1 !== undefined) {
      this.#v1.receive(chunk, out);
      return;
    }
    for (const message of this.#early.splice(0)) out(message, wireSize(message));
    if (chunk.length === 0) return;
    const result = this.#session.receive(chunk);
    // Nothing is sent after the key exchange but its own last bytes (terminator and version
    // packet), which `open` wrote; written in order all the same should there be any.
    if (result.send.length > 0) void this.#writeAll(result.send).catch(() => {});
    this.#reportRejected(result.rejected);
    for (const message of result.messages) out(message, wireSize(message));
    if (result.error !== undefined) throw result.error;
  }

  finish(): void {
    this.#v1?.finish();
  }

  frame(command: string, buffer: Uint8Array): Uint8Array {
    if (this.#v1 !== undefined) return this.#v1.frame(command, buffer);
    return this.#session.encrypt({ command, payload: buffer.subarray(MESSAGE_HEADER_SIZE) });
  }

  setProtocolVersion(protocolVersion: number): void {
    this.#protocolVersion = protocolVersion;
    this.#v1?.setProtocolVersion(protocolVersion);
  }

  async #writeAll(chunks: readonly Uint8Array[]): Promise<void> {
    for (const bytes of chunks) await this.#io!.write(bytes);
  }

  #reportRejected(rejected: readonly TransportError[]): void {
    for (const error of rejected) {
      this.#log.info("Peer {peer} sent a v2 packet that was dropped ({code}): {message}", {
        peer: this.#options.address ?? "unknown",
        code: error.code,
        message: error.message,
      });
    }
  }
}

/** A packet's size on the wire: length, header byte, message type, payload, tag. */
function wireSize(message: RawMessage): number {
  return 3 + 1 + messageTypeBytes(message.command).length + message.payload.length + 16;
}
