// The remote side of a peer test, played by hand: frames are written and read one at a time
// over one end of `memoryConnectionPair()`, so a test says exactly what the remote sends and
// sees exactly what the peer under test writes. `startPeer` wires a Peer with a FakeClock to
// one of these.
import { assert, assertEquals } from "@std/assert";
import { FakeClock } from "../../peer/fake_clock.ts";
import { type Connection, memoryConnectionPair } from "../../peer/connection.ts";
import { SentNonces } from "../../peer/handshake.ts";
import { Peer, type PeerOptions } from "../../peer/peer.ts";
import {
  ADDR_V2_VERSION,
  doubleSha256,
  encodeMessage,
  type Message,
  MessageDecoderStream,
  type NetworkName,
  NETWORKS,
  PROTOCOL_VERSION,
  ServiceFlag,
  type UnknownMessage,
  type VersionMessage,
  WTXID_RELAY_VERSION,
} from "../../wire/mod.ts";
import { delay } from "@std/async/delay";

/** What the remote reads: a decoded message, known or not. */
export type Received = Message | UnknownMessage;

/** Options for {@linkcode RawRemote}. */
export interface RawRemoteOptions {
  /** The network whose magic frames carry (default `"regtest"`). */
  network?: NetworkName;
  /** The protocol version frames are encoded and decoded at (default 70016). */
  protocolVersion?: number;
}

/** Options for {@linkcode RawRemote.handshake}. */
export interface RemoteHandshakeOptions {
  /** Whether the peer under test is the inbound side (the remote dialed it, so speaks first). */
  peerInbound?: boolean;
  /** Fields of the remote's `version` (see {@linkcode remoteVersion}). */
  version?: Partial<VersionMessage>;
  /** Send `sendaddrv2` before `verack` (default: when the negotiated version allows it). */
  sendAddrV2?: boolean;
  /** Send `wtxidrelay` before `verack` (default: when the negotiated version allows it). */
  wtxidRelay?: boolean;
}

/** What the remote saw of the peer's side of the handshake. */
export interface RemoteHandshakeResult {
  /** The peer's `version`. */
  readonly version: VersionMessage;
  /** min(the remote's version, the peer's). */
  readonly protocolVersion: number;
  /** The peer's messages after its `version`, up to and including its `verack`. */
  readonly preVerack: readonly Received[];
}

interface ReadSlot {
  readonly promise: Promise<void>;
  settled: boolean;
  result?: ReadableStreamReadResult<Received>;
  error?: unknown;
}

let nextNonce = 0x5eed_0000_0000n;

/**
 * A `version` from the remote: protocol 70016, NETWORK|WITNESS, a fresh nonce, height 100.
 *
 * @param fields Fields to override.
 * @returns The message.
 */
export function remoteVersion(fields: Partial<VersionMessage> = {}): VersionMessage {
  return {
    command: "version",
    protocolVersion: PROTOCOL_VERSION,
    services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
    timestamp: BigInt(Math.floor(Date.UTC(2026, 0, 1) / 1000)),
    addrRecv: { services: 0n, ip: new Uint8Array(16), port: 0 },
    addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
    nonce: nextNonce++,
    userAgent: "/raw-remote:0.1.0/",
    startHeight: 100,
    relay: true,
    ...fields,
  };
}

/**
 * The far end of a connection, driven by hand. Reads are never left pending: at most one
 * read is outstanding, a later `next()` takes it over, and `close()` ends it.
 */
export class RawRemote {
  readonly #connection: Connection;
  readonly #network: NetworkName;
  readonly #decoder: MessageDecoderStream;
  readonly #reader: ReadableStreamDefaultReader<Received>;
  readonly #writer: WritableStreamDefaultWriter<Uint8Array>;
  #protocolVersion: number;
  #slot: ReadSlot | undefined;
  #closed = false;

  /**
   * Plays the remote over `connection`.
   *
   * @param connection One end of a `memoryConnectionPair()`.
   * @param options Network and protocol version.
   */
  constructor(connection: Connection, options: RawRemoteOptions = {}) {
    this.#connection = connection;
    this.#network = options.network ?? "regtest";
    this.#protocolVersion = options.protocolVersion ?? PROTOCOL_VERSION;
    this.#decoder = new MessageDecoderStream({
      network: this.#network,
      protocolVersion: this.#protocolVersion,
    });
    this.#reader = connection.readable.pipeThrough(this.#decoder).getReader();
    this.#writer = connection.writable.getWriter();
    // Writes fail once either side closed; tests look at what `send` returns instead.
    this.#writer.closed.catch(() => {});
  }

  /** The protocol version frames are encoded and decoded at. */
  get protocolVersion(): number {
    return this.#protocolVersion;
  }

  /** Encodes and decodes at `protocolVersion` from now on (after a handshake negotiated it). */
  setProtocolVersion(protocolVersion: number): void {
    this.#protocolVersion = protocolVersion;
    this.#decoder.setProtocolVersion(protocolVersion);
  }

  /** Bytes the connection still accepts before a write has to wait (0 or less: it waits). */
  get desiredSize(): number {
    return this.#writer.desiredSize ?? 0;
  }

  /**
   * Encodes and writes one message.
   *
   * @returns `true` once written, `false` if the connection is closed; never rejects.
   */
  send(message: Message): Promise<boolean> {
    return this.sendBytes(
      encodeMessage(message, { network: this.#network, protocolVersion: this.#protocolVersion }),
    );
  }

  /**
   * Writes raw bytes.
   *
   * @returns `true` once written, `false` if the connection is closed; never rejects.
   */
  sendBytes(bytes: Uint8Array): Promise<boolean> {
    return this.#writer.write(bytes).then(() => true, () => false);
  }

  /** Encodes a message as a frame for this remote's network and version, to alter by hand. */
  frame(message: Message): Uint8Array {
    return encodeMessage(message, {
      network: this.#network,
      protocolVersion: this.#protocolVersion,
    });
  }

  /**
   * The next message the peer wrote, or `undefined` once the connection ended.
   *
   * @throws {MessageError} If the peer's bytes do not decode.
   */
  async next(): Promise<Received | undefined> {
    const slot = this.#read();
    await slot.promise;
    return this.#take(slot);
  }

  /**
   * Every message the peer has written so far, without waiting for more.
   *
   * @returns The messages, possibly none; an ended connection ends the list.
   */
  async received(): Promise<Received[]> {
    const out: Received[] = [];
    for (;;) {
      const slot = this.#read();
      await settle();
      if (!slot.settled) return out;
      const message = this.#take(slot);
      if (message === undefined) return out;
      out.push(message);
    }
  }

  /**
   * Reads the next message and asserts its command.
   *
   * @param command The command expected (`"unknown"` for an unknown one).
   * @param skip Commands to pass over first (pings the peer sends on its own, say).
   * @returns The message.
   */
  async expect<C extends Received["command"]>(
    command: C,
    skip: readonly string[] = [],
  ): Promise<Extract<Received, { command: C }>> {
    for (;;) {
      const message = await this.next();
      assert(message !== undefined, `expected "${command}", the connection ended`);
      if (message.command !== command && skip.includes(message.command)) continue;
      assertEquals(message.command, command, `expected "${command}", got "${message.command}"`);
      return message as Extract<Received, { command: C }>;
    }
  }

  /** Reads until the connection ends, and returns what came before. */
  async rest(): Promise<Received[]> {
    const out: Received[] = [];
    for (;;) {
      const message = await this.next();
      if (message === undefined) return out;
      out.push(message);
    }
  }

  /**
   * Completes a standard handshake from the remote side: the `version`s in the order the
   * direction calls for, `sendaddrv2`/`wtxidrelay` where the negotiated version allows them,
   * and `verack` each way. Switches this remote to the negotiated version.
   *
   * @param options The peer's direction and the remote's `version` fields.
   * @returns The peer's `version` and its messages before its `verack`.
   */
  async handshake(options: RemoteHandshakeOptions = {}): Promise<RemoteHandshakeResult> {
    const ours = remoteVersion(options.version);
    let theirs: VersionMessage;
    if (options.peerInbound ?? false) {
      await this.send(ours);
      theirs = await this.expect("version");
    } else {
      theirs = await this.expect("version");
      await this.send(ours);
    }
    const negotiated = Math.min(ours.protocolVersion, theirs.protocolVersion);
    this.setProtocolVersion(negotiated);
    if (options.sendAddrV2 ?? negotiated >= ADDR_V2_VERSION) {
      await this.send({ command: "sendaddrv2" });
    }
    if (options.wtxidRelay ?? negotiated >= WTXID_RELAY_VERSION) {
      await this.send({ command: "wtxidrelay" });
    }
    await this.send({ command: "verack" });
    const preVerack: Received[] = [];
    for (;;) {
      const message = await this.next();
      assert(message !== undefined, "the connection ended before the peer's verack");
      preVerack.push(message);
      if (message.command === "verack") break;
    }
    return { version: theirs, protocolVersion: negotiated, preVerack };
  }

  /** Closes both directions and waits for the outstanding read, if any, to end. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#connection.close();
    } catch {
      // Closed already.
    }
    await this.#slot?.promise;
    this.#slot = undefined;
    await this.#reader.cancel().catch(() => {});
  }

  #read(): ReadSlot {
    if (this.#slot !== undefined) return this.#slot;
    const slot: ReadSlot = {
      settled: false,
      promise: this.#reader.read().then(
        (result) => {
          slot.result = result;
        },
        (error) => {
          slot.error = error;
        },
      ).finally(() => {
        slot.settled = true;
      }),
    };
    this.#slot = slot;
    return slot;
  }

  #take(slot: ReadSlot): Received | undefined {
    if (this.#slot === slot) this.#slot = undefined;
    if (slot.error !== undefined) throw slot.error;
    return slot.result?.done ? undefined : slot.result?.value;
  }
}

/** Options for {@linkcode rawFrame}. */
export interface RawFrameOptions {
  /** The network (default `"regtest"`). */
  network?: NetworkName;
  /** The checksum to put in the header (default: the right one). */
  checksum?: number;
  /** The length to put in the header (default: the payload's). */
  length?: number;
}

/**
 * A frame built by hand, for commands the encoder does not know and headers that lie.
 *
 * @param command Up to 12 ASCII characters.
 * @param payload The payload.
 * @param options Network, and a checksum or length to lie with.
 * @returns The header and the payload.
 */
export function rawFrame(
  command: string,
  payload: Uint8Array = new Uint8Array(0),
  options: RawFrameOptions = {},
): Uint8Array {
  const out = new Uint8Array(24 + payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, NETWORKS[options.network ?? "regtest"].magic, true);
  for (let i = 0; i < command.length; i++) out[4 + i] = command.charCodeAt(i);
  view.setUint32(16, options.length ?? payload.length, true);
  if (options.checksum === undefined) out.set(doubleSha256(payload).subarray(0, 4), 20);
  else view.setUint32(20, options.checksum, false);
  out.set(payload, 24);
  return out;
}

/** Lets promise jobs and stream callbacks run: a few turns of the real event loop. */
export async function settle(): Promise<void> {
  for (let i = 0; i < 4; i++) await delay(0);
}

/** Options for {@linkcode startPeer}. */
export interface StartPeerOptions extends PeerOptions {
  /** Bytes each direction of the connection buffers (default 64 KiB). */
  bufferBytes?: number;
  /** The remote's protocol version for encoding and decoding (default 70016). */
  remoteProtocolVersion?: number;
}

/** A peer under test, its remote and its clock. */
export interface PeerHarness {
  readonly peer: Peer;
  readonly remote: RawRemote;
  readonly clock: FakeClock;
  /** Disconnects the peer, closes the remote and waits for both. */
  close(): Promise<void>;
}

/**
 * A Peer on regtest with a FakeClock (unless one is given) and its own nonces, over a memory
 * connection whose other end is a {@linkcode RawRemote}.
 *
 * @param options Peer options, plus the connection's buffer size.
 * @returns The peer, the remote and the clock.
 */
export function startPeer(options: StartPeerOptions = {}): PeerHarness {
  const { bufferBytes, remoteProtocolVersion, ...peerOptions } = options;
  const clock = (peerOptions.clock as FakeClock | undefined) ?? new FakeClock();
  const [near, far] = memoryConnectionPair({ bufferBytes });
  const remote = new RawRemote(far, { protocolVersion: remoteProtocolVersion });
  const peer = new Peer(near, {
    network: "regtest",
    address: "203.0.113.5:18444",
    sentNonces: new SentNonces(),
    ...peerOptions,
    clock,
  });
  return {
    peer,
    remote,
    clock,
    async close() {
      peer.disconnect();
      await peer.closed;
      await remote.close();
    },
  };
}

/**
 * A peer that completed a standard handshake with its remote.
 *
 * @param options Peer options, plus the remote's handshake options.
 * @returns The harness and what the remote saw of the handshake.
 */
export async function connectedPeer(
  options: StartPeerOptions & { handshake?: Omit<RemoteHandshakeOptions, "peerInbound"> } = {},
): Promise<PeerHarness & { handshake: RemoteHandshakeResult }> {
  const { handshake: handshakeOptions, ...rest } = options;
  const harness = startPeer(rest);
  const handshake = await harness.remote.handshake({
    ...handshakeOptions,
    peerInbound: rest.inbound ?? false,
  });
  assertEquals(await harness.peer.ready, true);
  return { ...harness, handshake };
}
