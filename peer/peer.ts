// One connection to a Bitcoin node, as btcd's `peer.Peer`, composed from small stages:
//
//   Inbound:  connection ─▶ ChunkReader (buffers sized to the traffic) ─▶ transport (v1
//             framing or BIP 324 v2: `{ command, payload }`, read only when the last read's
//             messages were taken) ─▶ [the transport's own handshake, then the version
//             handshake, then] the send-pause gate ─▶ decode (at the negotiated version)
//             ─▶ receive taps (Keepalive, StallDetector) ─▶ dispatcher (built-in handling,
//             the listener, messages() readers; one message at a time, a few per turn)
//   Outbound: queueMessage / InventoryTrickle / Keepalive's ping ─▶ encode ─▶ OutboundMux
//             (pull-based ReadableStream, charged bytes, pause level and cap) ─▶ send taps
//             (StallDetector, Keepalive) ─▶ transport framing ─▶ connection
//
// Payloads are encoded when queued, so the mux charges what each message really holds and a
// message that cannot be encoded fails its own `queueMessage` call instead of the connection;
// they are framed when written, in write order, because v2's cipher is stateful. Inbound
// payloads are decoded when the dispatcher takes them, so a message that arrived in the same
// read as the `verack` is decoded at the version the handshake negotiated.
//
// Backpressure both ways, as Bitcoin Core: while the send queue is over its pause level (the
// remote is not reading our answers), the receive loop stops taking the remote's messages;
// the transport then stops reading the socket and TCP pushes back on the remote. A remote
// that stays paused past `sendStallTimeoutMs` without taking a byte is dropped as stalled.
//
// The taps are the stages' observer methods, called in line by the two loops (`#receiveLoop`,
// `#sendLoop`) rather than as TransformStreams of their own: each stream stage costs an idle
// peer about 6 KiB (a TransformStream and a pipe), and a node keeps hundreds of mostly idle
// peers.
import { getLogger, type Logger } from "@logtape/logtape";
import {
  type AddrMessage,
  type AddrV2Message,
  BIP0031_VERSION,
  bytesToHex,
  type InvVect,
  MAX_ADDR_PER_MSG,
  type Message,
  MessageError,
  type NetAddress,
  type NetAddressV2,
  netAddressV2FromString,
  type RawMessage,
  REJECT_VERSION,
  RejectCode,
  type RejectMessage,
  ServiceFlag,
  type UnknownMessage,
  type VersionMessage,
} from "../wire/mod.ts";
import { decodeRawWith, encodeWithHeadroom } from "../wire/frame.ts";
import type { Timer } from "./clock.ts";
import { type PeerConfig, type ResolvedPeerConfig, resolvePeerConfig } from "./config.ts";
import type { Connection } from "./connection.ts";
import type { DisconnectCode, DisconnectReason } from "./disconnect.ts";
import { HandshakeFailure, type HandshakeResult, negotiate, reject } from "./handshake.ts";
import { InventoryTrickle } from "./inventory_trickle.ts";
import { Keepalive, randomNonce } from "./keepalive.ts";
import { type Listener, LISTENER_NAMES } from "./listeners.ts";
import { OutboundMux, type Outgoing } from "./outbound_mux.ts";
import { remoteNetAddress, splitHostPort } from "./_address.ts";
import { ChunkReader, type ChunkWriter, chunkWriter, rawMessages } from "./_connection_io.ts";
import { Subscriber } from "./_subscriber.ts";
import { randomSubset, repeatsRequest, type RequestKey } from "./_push.ts";
import { StallDetector } from "./stall_detector.ts";
import { type PeerStatsSnapshot, snapshotOf } from "./stats_snapshot.ts";
import { TrafficStats } from "./stats.ts";
import { type PeerTransport, v1Transport } from "./transport.ts";
import { ClosedDuringKeyExchange, V2NotSupportedError, v2Transport } from "./v2_transport.ts";
import { TransportError } from "../transport/errors.ts";
import { TURN_MS, yieldToEventLoop } from "./_yield.ts";

/** Options for {@linkcode Peer}: its configuration, direction and remote address. */
export interface PeerOptions extends PeerConfig {
  /** Whether the remote dialed us (default false: we dialed). */
  inbound?: boolean;
  /** The remote's `host:port`, for logs, statistics and our `version` (default `"unknown"`). */
  address?: string;
  /**
   * Called once when the handshake completes, before any later message is handled and
   * before `ready` resolves: the place to set a peer up (a node accepts it there). If it
   * throws, the peer ends with `listener-error`.
   */
  onReady?: (peer: Peer) => void;
}

/** Options for {@linkcode Peer.queueMessage}. */
export interface QueueOptions {
  /**
   * BIP 144: serialize transactions with their witnesses. Default: when the remote advertises
   * `NODE_WITNESS`.
   */
  witness?: boolean;
}

/** How long a reject written just before a disconnect may wait for the connection. */
const REJECT_WRITE_TIMEOUT_MS = 1_000;

/** Small messages queued together are written together, up to about this many bytes. */
const WRITE_BATCH_BYTES = 64 * 1024;

/** Settles nothing: for the messages the peer sends on its own (pongs, pings, invs). */
const NO_SETTLE = (_written: boolean) => {};

/** IDs in order of the remote `version`s read, as btcd's `nodeCount`. */
let lastPeerId = 0;

/**
 * One peer connection: the handshake, then message listeners, an outbound queue with
 * backpressure, inventory trickling, pings, stall detection and statistics.
 *
 * It starts the handshake as soon as it is created. Bad input from the remote never throws:
 * it ends the peer, with the reason in {@linkcode Peer.closed}.
 *
 * @example
 * ```ts
 * import { memoryConnectionPair, Peer, SentNonces } from "@btcstream/p2p/peer";
 * import { assertEquals } from "@std/assert";
 * const [a, b] = memoryConnectionPair();
 * // Two nodes in one process: each has its own nonces, or they would look like one node.
 * const alice = new Peer(a, { network: "regtest", address: "127.0.0.1:18444" });
 * const pinged = Promise.withResolvers<bigint>();
 * const bob = new Peer(b, {
 *   network: "regtest",
 *   inbound: true,
 *   sentNonces: new SentNonces(),
 *   listeners: { onPing: (_peer, ping) => pinged.resolve(ping.nonce) },
 * });
 * assertEquals([await alice.ready, await bob.ready], [true, true]);
 * assertEquals(await alice.queueMessage({ command: "ping", nonce: 7n }), true); // written
 * assertEquals(await pinged.promise, 7n);
 * alice.disconnect();
 * assertEquals((await bob.closed).code, "remote-closed");
 * ```
 */
export class Peer {
  readonly #connection: Connection;
  readonly #config: ResolvedPeerConfig;
  readonly #inbound: boolean;
  readonly #address: string;
  readonly #onReady: ((peer: Peer) => void) | undefined;
  readonly #log: Logger;
  readonly #stats: TrafficStats;
  readonly #transport: PeerTransport;
  readonly #source: ChunkReader;
  readonly #writer: ChunkWriter;
  readonly #mux: OutboundMux;
  readonly #stall: StallDetector;
  readonly #keepalive: Keepalive;
  readonly #trickle: InventoryTrickle;
  // Made when first needed: most peers never have a `messages()` reader, an `onRead` listener
  // or a message queued during the handshake, and a node keeps hundreds of peers.
  #subscribers: Set<Subscriber> | undefined;
  /** Frame sizes awaiting their message's `onRead`, oldest first. */
  #frameSizes: number[] | undefined;
  /** Messages queued before the handshake completed; sent right after it. */
  #early: { message: Message; options: QueueOptions; settle: (ok: boolean) => void }[] | undefined;
  #negotiateTimer: Timer | undefined;
  /** Armed while the send queue is paused; ends the peer if the remote takes nothing. */
  #sendStallTimer: Timer | undefined;
  #lastWriteAt = 0;
  /** Reads from the connection so far: each one let the event loop serve others. */
  #socketReads = 0;
  /** A `reject` the remote sent during the handshake. */
  #remoteReject: RejectMessage | undefined;
  #state: "negotiating" | "connected" | "disconnected" = "negotiating";
  #pipelines: Promise<unknown>[] = [];
  #resolveReady!: (ok: boolean) => void;
  #resolveClosed!: (reason: DisconnectReason) => void;
  readonly #ready: Promise<boolean>;
  readonly #closed: Promise<DisconnectReason>;

  #id = 0;
  #remoteVersion: VersionMessage | undefined;
  #protocolVersion: number;
  #verAckReceived = false;
  #wantsAddrV2 = false;
  #wtxidRelay = false;
  #wantsHeaders = false;
  #feeFilter = 0n;
  #timeOffset = 0;
  #lastBlock = 0;
  #lastAnnouncedBlock: Uint8Array | undefined;
  #connectedAt: number;
  #lastGetBlocks: RequestKey | undefined;
  #lastGetHeaders: RequestKey | undefined;

  /**
   * Creates a peer over `connection` and starts the handshake.
   *
   * @param connection The byte streams (a `Deno.TcpConn`, or anything of that shape).
   * @param options Direction, remote address and configuration.
   * @throws {TypeError} For an unknown network or an invalid user agent part.
   * @throws {RangeError} For a user agent over 256 bytes, or an invalid number.
   */
  constructor(connection: Connection, options: PeerOptions = {}) {
    this.#connection = connection;
    this.#config = resolvePeerConfig(options);
    this.#inbound = options.inbound ?? false;
    this.#address = options.address ?? "unknown";
    this.#onReady = options.onReady;
    this.#protocolVersion = this.#config.protocolVersion;
    const { clock } = this.#config;
    this.#connectedAt = clock.now();
    this.#log = getLogger([...this.#config.logCategory]);
    this.#stats = new TrafficStats(clock);
    this.#ready = new Promise((resolve) => (this.#resolveReady = resolve));
    this.#closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    this.#transport = this.#config.transport === "v2"
      ? v2Transport({
        network: this.#config.network,
        role: this.#inbound ? "responder" : "initiator",
        protocolVersion: this.#protocolVersion,
        logCategory: this.#config.logCategory,
        address: this.toString(),
      })
      : v1Transport({ network: this.#config.network, protocolVersion: this.#protocolVersion });
    this.#source = new ChunkReader(connection);
    this.#mux = new OutboundMux({
      capBytes: this.#config.sendQueueCapBytes,
      pauseBytes: this.#config.sendBufferBytes,
    });
    this.#stall = new StallDetector({
      clock,
      responseTimeoutMs: this.#config.stallResponseTimeoutMs,
      tickIntervalMs: this.#config.stallTickIntervalMs,
      onStall: (command) =>
        this.#end("stalled", `No "${command}" in time: the peer appears to be stalled`),
    });
    this.#keepalive = new Keepalive({
      clock,
      pingIntervalMs: this.#config.pingIntervalMs,
      idleTimeoutMs: this.#config.idleTimeoutMs,
      sendPing: (nonce) => this.#send({ command: "ping", nonce }),
      onIdle: () =>
        this.#end("idle", `No message received for ${this.#config.idleTimeoutMs / 1000} s`),
    });
    this.#trickle = new InventoryTrickle({
      clock,
      intervalMs: this.#config.trickleIntervalMs,
      send: (inventory) => this.#send({ command: "inv", inventory }),
    });
    this.#writer = chunkWriter(connection);
    this.#pipelines.push(this.#run());
  }

  // ─── Lifecycle ─────────────────────────────────────────────────────────────────────────

  /** Resolves `true` once the handshake completed, `false` if the peer ended before. */
  get ready(): Promise<boolean> {
    return this.#ready;
  }

  /** Resolves with the reason once the peer has ended and released everything. */
  get closed(): Promise<DisconnectReason> {
    return this.#closed;
  }

  /** Whether the handshake completed and the peer has not ended. */
  get connected(): boolean {
    return this.#state === "connected";
  }

  /**
   * Whether the peer has ended (disconnected, or its connection failed); `closed` resolves
   * once it has released everything.
   */
  get ended(): boolean {
    return this.#state === "disconnected";
  }

  /**
   * Ends the peer: closes the connection, stops every timer, drops queued messages (their
   * promises resolve `false`) and resolves {@linkcode Peer.closed}. Idempotent.
   *
   * @param message Why, for the log and the reason (default "Disconnected locally").
   */
  disconnect(message: string = "Disconnected locally"): void {
    this.#end("local", message);
  }

  /**
   * Disconnects and waits until the peer released everything: `await using peer = new
   * Peer(...)` ends it when the scope does.
   */
  async [Symbol.asyncDispose](): Promise<void> {
    this.disconnect();
    await this.#closed;
  }

  // ─── The data flow (see the diagram at the top of this file) ──────────────────────────

  async #run(): Promise<void> {
    this.#negotiateTimer = this.#config.clock.setTimeout(() => {
      const seconds = this.#config.negotiateTimeoutMs / 1000;
      if (this.#transport.looksV1Only === true) {
        // Our v2 key went unanswered: perhaps a v1 node waiting for the rest of a message.
        this.#end("v2-not-supported", `No answer to our v2 key in ${seconds} s`);
      } else {
        this.#end("negotiation-timeout", `Handshake not complete after ${seconds} s`);
      }
    }, this.#config.negotiateTimeoutMs);
    let reader: ReadableStreamDefaultReader<RawMessage> | undefined;
    let result: HandshakeResult;
    try {
      // The transport's own handshake (BIP 324's key exchange; none for v1), then the
      // version handshake, both under the negotiation deadline.
      const first = await this.#transport.open({
        read: () => this.#source.read(),
        write: (bytes) => this.#writer.write(bytes),
      });
      if (this.#state !== "negotiating") return;
      reader = rawMessages(this.#source, this.#transport, first, {
        onRead: () => this.#socketReads++,
        onMessage: (command, bytes) => {
          this.#stats.recordReceived(command, bytes);
          if (this.#config.listeners.onRead !== undefined) (this.#frameSizes ??= []).push(bytes);
        },
      }).getReader();
      const messages = reader;
      result = await negotiate({
        read: async () => {
          const { done, value } = await messages.read();
          if (done) return undefined;
          const message = this.#decode(value);
          this.#reportRead(message);
          return message;
        },
        write: (message) => this.#writeNow(message),
      }, {
        inbound: this.#inbound,
        protocolVersion: this.#config.protocolVersion,
        buildVersion: () => this.#buildVersion(),
        allowSelfConnections: this.#config.allowSelfConnections,
        sentNonces: this.#config.sentNonces,
        wtxidRelay: this.#config.wtxidRelay,
        onVersion: (version, negotiated) => this.#acceptVersion(version, negotiated),
        onMessage: (message) => this.#notify(message),
        onReject: (message) => {
          this.#remoteReject = message;
          this.#log.info("Peer {peer} rejected us: {command} {code} {reason}", {
            peer: this.toString(),
            command: message.message,
            code: message.code,
            reason: message.reason,
          });
        },
      });
    } catch (error) {
      reader?.cancel().catch(() => {});
      await this.#handshakeFailed(error);
      return;
    } finally {
      this.#negotiateTimer.cancel();
    }
    if (this.#state !== "negotiating") {
      reader.cancel().catch(() => {});
      return;
    }
    this.#start(reader, result);
  }

  /** After the handshake: the two loops and the timers, then whatever was queued early. */
  #start(reader: ReadableStreamDefaultReader<RawMessage>, result: HandshakeResult): void {
    this.#verAckReceived = true;
    this.#wantsAddrV2 = result.wantsAddrV2;
    this.#wtxidRelay = result.wtxidRelay;
    this.#transport.setProtocolVersion(this.#protocolVersion);
    this.#state = "connected";
    try {
      this.#onReady?.(this);
    } catch (error) {
      this.#end("listener-error", new ListenerError("onReady", error).message, error);
    }
    if (this.#state !== "connected") {
      // onReady threw, or disconnected the peer.
      reader.cancel().catch(() => {});
      this.#resolveReady(false);
      return;
    }
    this.#pipelines.push(this.#receiveLoop(reader), this.#sendLoop());
    this.#keepalive.start();
    if (!this.#config.disableStallDetection) this.#stall.start();
    this.#trickle.start();
    const early = this.#early ?? [];
    this.#early = undefined;
    for (const { message, options, settle } of early) {
      this.queueMessage(message, options).then(settle, () => settle(false));
    }
    this.#log.debug("Peer {peer} connected, protocol {version}, user agent {userAgent}", {
      peer: this.toString(),
      version: this.#protocolVersion,
      userAgent: this.userAgent,
    });
    this.#resolveReady(true);
  }

  /**
   * Raw messages ─▶ send-pause gate ─▶ decode ─▶ receive taps ─▶ dispatcher. Reading waits
   * while a handler runs, and while the remote is not reading our answers.
   */
  async #receiveLoop(reader: ReadableStreamDefaultReader<RawMessage>): Promise<void> {
    let turnStart = performance.now();
    let reads = this.#socketReads;
    try {
      for (;;) {
        if (this.#mux.paused) await this.#sendRoom();
        if (this.#state !== "connected") return;
        const { done, value } = await reader.read();
        if (this.#state !== "connected") return;
        if (done) {
          this.#end("remote-closed", "The remote closed the connection");
          return;
        }
        const message = this.#decode(value);
        this.#keepalive.received(message);
        this.#stall.received(message.command);
        await this.#dispatch(message);
        // Fairness: see _yield.ts.
        if (reads !== this.#socketReads) {
          reads = this.#socketReads;
          turnStart = performance.now();
        } else if (performance.now() - turnStart >= TURN_MS) {
          await yieldToEventLoop();
          turnStart = performance.now();
        }
      }
    } catch (error) {
      await this.#readFailed(error);
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  /** Decodes a payload at the protocol version known now; a `MessageError` if it is bad. */
  #decode(raw: RawMessage): Message | UnknownMessage {
    return decodeRawWith(raw, { protocolVersion: this.#protocolVersion, witness: true });
  }

  /**
   * Waits until the send queue drained to its resume level (or the peer ended). Counted as
   * handler time: our own pause never makes the remote look stalled.
   */
  async #sendRoom(): Promise<void> {
    this.#stall.handlerStarted();
    try {
      await this.#mux.resumed();
    } finally {
      this.#stall.handlerDone();
    }
  }

  /**
   * Encoded messages pulled from the mux when the connection took the last ─▶ send taps ─▶
   * transport ─▶ socket. Small messages queued together go out in one write (a flood of pings
   * answered a write per pong would spend its time in system calls); large ones alone.
   */
  async #sendLoop(): Promise<void> {
    const reader = this.#mux.readable.getReader();
    const batch: Outgoing[] = [];
    const frames: Uint8Array[] = [];
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        let size = 0;
        for (let entry: Outgoing | undefined = value; entry !== undefined;) {
          const { message, buffer } = entry;
          this.#stall.sent(message.command);
          this.#keepalive.sent(message);
          const bytes = this.#transport.frame(message.command, buffer);
          batch.push(entry);
          frames.push(bytes);
          size += bytes.length;
          if (size >= WRITE_BATCH_BYTES) break;
          entry = this.#mux.takeQueued();
        }
        await this.#writer.write(frames.length === 1 ? frames[0] : concat(frames, size));
        this.#lastWriteAt = this.#config.clock.now();
        for (let i = 0; i < batch.length; i++) {
          // Settled first: the message is written even if the onWrite listener then throws.
          this.#mux.written(batch[i]);
          this.#wrote(batch[i].message, frames[i].length);
        }
        batch.length = 0;
        frames.length = 0;
      }
    } catch (error) {
      if (error instanceof ListenerError) {
        this.#end("listener-error", error.message, error.cause);
      } else {
        this.#end("network-error", `Write failed: ${describe(error)}`, error);
      }
    } finally {
      reader.cancel().catch(() => {});
    }
  }

  /** Ends the peer once, releasing everything; `closed` resolves when the pipelines settled. */
  #end(code: DisconnectCode, why: string, error?: unknown): void {
    if (this.#state === "disconnected") return;
    const wasConnected = this.#state === "connected";
    this.#state = "disconnected";
    const reject = this.#verAckReceived ? undefined : this.#remoteReject;
    const message = reject === undefined
      ? why
      : `${why} (it rejected us: "${reject.reason}", code 0x${reject.code.toString(16)})`;
    const level = code === "local" || code === "remote-closed" ? "debug" : "info";
    this.#log[level]("Peer {peer} disconnected ({code}): {message}", {
      peer: this.toString(),
      code,
      message,
    });
    this.#negotiateTimer?.cancel();
    this.#sendStallTimer?.cancel();
    this.#keepalive.stop();
    this.#stall.stop();
    this.#trickle.stop();
    this.#mux.close();
    for (const { settle } of this.#early ?? []) settle(false);
    this.#early = undefined;
    for (const subscriber of this.#subscribers ?? []) subscriber.close();
    this.#subscribers = undefined;
    try {
      this.#connection.close();
    } catch {
      // Already closed by the remote or the runtime: nothing left to release.
    }
    if (!wasConnected) this.#resolveReady(false);
    const reason: DisconnectReason = {
      code,
      message,
      ...(error === undefined ? {} : { error }),
      ...(reject === undefined ? {} : { reject }),
    };
    // Closed once every loop ended and the read left pending on the connection (which
    // closing it ends) settled.
    Promise.allSettled(this.#pipelines)
      .then(() => this.#source.idle())
      .then(() => this.#resolveClosed(reason));
  }

  async #handshakeFailed(error: unknown): Promise<void> {
    if (this.#state === "disconnected") return;
    if (error instanceof HandshakeFailure) {
      if (error.reject !== undefined) await this.#sendReject(error.reject);
      this.#end(error.code, error.message);
    } else if (error instanceof MessageError) {
      await this.#rejectMalformed(error);
      this.#end("protocol-error", `Bad message during the handshake: ${error.message}`, error);
    } else if (error instanceof TransportError) {
      this.#end("protocol-error", `v2 transport: ${error.message}`, error);
    } else if (error instanceof V2NotSupportedError) {
      this.#end("v2-not-supported", error.message);
    } else if (error instanceof ClosedDuringKeyExchange) {
      this.#end("remote-closed", error.message);
    } else if (error instanceof ListenerError) {
      this.#end("listener-error", error.message, error.cause);
    } else {
      this.#end("network-error", `Handshake failed: ${describe(error)}`, error);
    }
  }

  async #readFailed(error: unknown): Promise<void> {
    if (this.#state === "disconnected") return;
    try {
      this.#config.listeners.onRead?.(this, 0, undefined, error);
    } catch {
      // The peer ends for `error` anyway; a listener failing to hear about it changes nothing.
    }
    if (error instanceof MessageError) {
      // As btcd: a malformed message gets a reject, then the connection ends.
      await this.#rejectMalformed(error);
      this.#end("protocol-error", error.message, error);
    } else if (error instanceof TransportError) {
      this.#end("protocol-error", `v2 transport: ${error.message}`, error);
    } else {
      this.#end("network-error", `Read failed: ${describe(error)}`, error);
    }
  }

  async #rejectMalformed(error: MessageError): Promise<void> {
    // As Bitcoin Core: bytes that do not start with our magic, before any message, are not
    // our protocol (an HTTP request, a BIP 324 key from a v2 initiator): answering them in
    // v1 would only stop a v2 initiator from retrying with v1.
    if (error.code === "bad-magic" && this.#remoteVersion === undefined) return;
    const reason = error.message.slice(0, 111);
    await this.#sendReject(reject(error.command ?? "", RejectCode.MALFORMED, reason));
  }

  /**
   * Writes a reject now, ahead of the queue, if the remote may understand it; never throws.
   * Waits at most {@linkcode REJECT_WRITE_TIMEOUT_MS}: a remote that stopped reading would
   * hold the write, and the disconnect after it, forever (and would not read it anyway). The
   * write left behind fails when the connection closes.
   */
  async #sendReject(message: RejectMessage): Promise<void> {
    if (this.#remoteVersion !== undefined && this.#protocolVersion < REJECT_VERSION) return;
    let timer: Timer | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = this.#config.clock.setTimeout(resolve, REJECT_WRITE_TIMEOUT_MS);
    });
    await Promise.race([this.#writeNow(message).catch(() => {}), timeout]);
    timer?.cancel();
  }

  async #rejectAndEnd(message: RejectMessage, code: DisconnectCode, why: string): Promise<false> {
    await this.#sendReject(message);
    this.#end(code, why);
    return false;
  }

  // ─── Inbound ───────────────────────────────────────────────────────────────────────────

  async #dispatch(message: Message | UnknownMessage): Promise<void> {
    if (this.#state !== "connected") return;
    this.#stall.handlerStarted();
    try {
      this.#reportRead(message);
      const proceed = this.#handleBuiltIn(message);
      if (proceed !== true) {
        await proceed;
        return;
      }
      await this.#notify(message);
      if (this.#subscribers !== undefined) {
        for (const subscriber of this.#subscribers) await subscriber.deliver(message);
      }
    } catch (error) {
      const cause = error instanceof ListenerError ? error.cause : error;
      this.#end(
        "listener-error",
        `A listener threw on "${message.command}": ${describe(cause)}`,
        cause,
      );
    } finally {
      this.#stall.handlerDone();
    }
  }

  /**
   * What the peer itself does with a message: `true` to go on to the listeners, or `false`
   * (or a promise of it) when the message ended the peer.
   */
  #handleBuiltIn(message: Message | UnknownMessage): boolean | Promise<false> {
    switch (message.command) {
      case "version":
      case "verack": {
        // A second one: rejected as a duplicate (to peers that know reject), then dropped.
        const reason = `duplicate ${message.command} message`;
        return this.#rejectAndEnd(
          reject(message.command, RejectCode.DUPLICATE, reason),
          "duplicate",
          `Received a ${reason}`,
        );
      }
      case "sendaddrv2":
      case "wtxidrelay":
      case "sendtxrcncl":
        // As Bitcoin Core: feature negotiation after verack is a protocol violation.
        this.#end("misbehaving", `Received "${message.command}" after "verack"`);
        return false;
      case "ping":
        // BIP 31: answer with the same nonce (older peers expect no pong).
        if (this.#protocolVersion > BIP0031_VERSION) {
          this.#send({ command: "pong", nonce: message.nonce });
        }
        return true;
      case "sendheaders":
        this.#wantsHeaders = true;
        return true;
      case "feefilter":
        this.#feeFilter = message.feeRate;
        return true;
      case "unknown":
        this.#log.debug("Peer {peer} sent unknown command {name}, ignored", {
          peer: this.toString(),
          name: message.name,
        });
        return true;
      default:
        return true;
    }
  }

  /** Calls the listener for `message`, if any. */
  async #notify(message: Message | UnknownMessage): Promise<void> {
    const name = LISTENER_NAMES[message.command];
    if (name === undefined) return;
    const listener = this.#config.listeners[name] as Listener<typeof message> | undefined;
    if (listener === undefined) return;
    try {
      await listener(this, message);
    } catch (error) {
      throw new ListenerError(name, error);
    }
  }

  #reportRead(message: Message | UnknownMessage): void {
    const onRead = this.#config.listeners.onRead;
    if (onRead === undefined) return;
    try {
      onRead(this, this.#frameSizes?.shift() ?? 0, message);
    } catch (error) {
      throw new ListenerError("onRead", error);
    }
  }

  async #acceptVersion(
    version: VersionMessage,
    negotiated: number,
  ): Promise<RejectMessage | undefined> {
    this.#id = ++lastPeerId;
    // Kept for the peer's life: own copies of its byte fields, not views that would keep the
    // whole read buffer they came in alive.
    this.#remoteVersion = {
      ...version,
      addrRecv: { ...version.addrRecv, ip: version.addrRecv.ip.slice() },
      addrFrom: { ...version.addrFrom, ip: version.addrFrom.ip.slice() },
    };
    this.#protocolVersion = negotiated;
    this.#timeOffset = Number(version.timestamp) - Math.floor(this.#config.clock.now() / 1000);
    this.#lastBlock = version.startHeight;
    const onVersion = this.#config.listeners.onVersion;
    if (onVersion === undefined) return undefined;
    try {
      return (await onVersion(this, version)) ?? undefined;
    } catch (error) {
      throw new ListenerError("onVersion", error);
    }
  }

  /**
   * Messages received after the handshake, for `for await` loops, after the listeners ran.
   * Each call gives a new stream; while a reader holds messages unread, the peer stops
   * reading from the connection (backpressure). Ends when the peer does; cancelling it (or
   * leaving the loop) detaches it.
   *
   * @returns A stream of messages.
   */
  messages(): ReadableStream<Message | UnknownMessage> {
    let subscriber!: Subscriber;
    return new ReadableStream<Message | UnknownMessage>({
      start: (controller) => {
        subscriber = new Subscriber(controller);
        if (this.#state === "disconnected") subscriber.close();
        else (this.#subscribers ??= new Set()).add(subscriber);
      },
      pull: () => subscriber.pulled(),
      cancel: () => {
        this.#subscribers?.delete(subscriber);
        subscriber.cancelled();
      },
    }, { highWaterMark: 1 });
  }

  // ─── Outbound ──────────────────────────────────────────────────────────────────────────

  /**
   * Writes one message ahead of the queue (the handshake, rejects before a disconnect). Framed
   * at the moment its write is chained, so it keeps its place in the transport's order.
   */
  async #writeNow(message: Message): Promise<void> {
    const bytes = this.#transport.frame(message.command, this.#encode(message, {}));
    await this.#writer.write(bytes);
    this.#wrote(message, bytes.length);
  }

  #wrote(message: Message, bytes: number): void {
    this.#stats.recordSent(message.command, bytes);
    try {
      this.#config.listeners.onWrite?.(this, bytes, message);
    } catch (error) {
      throw new ListenerError("onWrite", error);
    }
  }

  /** The payload after 24 free bytes, at the negotiated version; throws for a bad message. */
  #encode(message: Message, options: QueueOptions): Uint8Array {
    return encodeWithHeadroom(message, {
      protocolVersion: this.#protocolVersion,
      witness: options.witness ?? this.witnessEnabled,
    });
  }

  /**
   * Queues a message. Messages go out in the order queued; those queued during the handshake
   * go right after it.
   *
   * @param message The message.
   * @param options Witness serialization.
   * @returns A promise that resolves `true` once the frame was handed to the connection, or
   * `false` if it was dropped because the peer ended (it never hangs). It rejects only when
   * the message cannot be encoded (a `RangeError`/`TypeError`: a bug in the caller).
   */
  queueMessage(message: Message, options: QueueOptions = {}): Promise<boolean> {
    if (this.#state === "disconnected") return Promise.resolve(false);
    if (this.#state === "negotiating") {
      return new Promise((settle) => (this.#early ??= []).push({ message, options, settle }));
    }
    let buffer: Uint8Array;
    try {
      buffer = this.#encode(message, options);
    } catch (error) {
      return Promise.reject(error);
    }
    return new Promise((settle) => this.#push(message, buffer, settle));
  }

  /**
   * Queues a message the peer sends on its own (a pong, a ping, trickled invs): no promise,
   * and an encoding failure (a bug of ours) is logged rather than thrown into a timer.
   */
  #send(message: Message): void {
    if (this.#state !== "connected") return;
    let buffer: Uint8Array;
    try {
      buffer = this.#encode(message, {});
    } catch (error) {
      this.#log.error("Cannot encode {command} for {peer}: {error}", {
        command: message.command,
        peer: this.toString(),
        error: describe(error),
      });
      return;
    }
    this.#push(message, buffer, NO_SETTLE);
  }

  /** Into the mux; past the cap, the peer ends. Arms the send stall deadline on a pause. */
  #push(message: Message, buffer: Uint8Array, settle: (written: boolean) => void): void {
    const wasPaused = this.#mux.paused;
    if (!this.#mux.push({ message, buffer, settle })) {
      settle(false);
      this.#end(
        "send-queue-full",
        `Send queue full: ${this.#mux.queuedBytes} bytes queued, ${buffer.length} more would ` +
          `pass the cap of ${this.#config.sendQueueCapBytes}`,
      );
      return;
    }
    if (!wasPaused && this.#mux.paused) this.#armSendStall(this.#config.clock.now());
  }

  /**
   * While the send queue stays paused, the remote must take some of it within
   * `sendStallTimeoutMs`, or it is dropped as stalled (Bitcoin Core drops a peer whose socket
   * takes nothing for 20 minutes; a paused peer also holds its memory and a slot).
   */
  #armSendStall(since: number): void {
    this.#sendStallTimer?.cancel();
    const limit = this.#config.sendStallTimeoutMs;
    this.#sendStallTimer = this.#config.clock.setTimeout(() => {
      this.#sendStallTimer = undefined;
      if (!this.#mux.paused || this.#state === "disconnected") return;
      if (this.#lastWriteAt > since) {
        this.#armSendStall(this.#lastWriteAt);
        return;
      }
      this.#end(
        "stalled",
        `Send queue paused at ${this.#mux.queuedBytes} bytes and nothing written for ` +
          `${limit / 1000} s: the remote is not reading`,
      );
    }, Math.max(0, since + limit - this.#config.clock.now()));
  }

  /**
   * Announces inventory: transactions are trickled (batched every trickle interval), blocks
   * go at once; anything the peer is known to have is skipped.
   *
   * @param inv The inventory vector.
   */
  queueInventory(inv: InvVect): void {
    if (this.#state === "disconnected") return;
    this.#trickle.queue(inv);
  }

  /**
   * Records that the peer has `inv`, so it is not announced to it.
   *
   * @param inv The inventory vector.
   */
  addKnownInventory(inv: InvVect): void {
    this.#trickle.known.add(inv);
  }

  /**
   * Sends up to 1,000 of `addresses` (a random subset when there are more) in an `addr`.
   *
   * @param addresses Addresses with timestamps.
   * @returns The addresses queued (none, and nothing sent, for an empty list).
   */
  pushAddrMsg(addresses: readonly NetAddress[]): NetAddress[] {
    const chosen = randomSubset(addresses, MAX_ADDR_PER_MSG);
    if (chosen.length > 0) {
      const message: AddrMessage = { command: "addr", addresses: chosen };
      void this.queueMessage(message);
    }
    return chosen;
  }

  /**
   * Sends up to 1,000 of `addresses` (a random subset when there are more) in an `addrv2`.
   *
   * @param addresses BIP 155 addresses.
   * @returns The addresses queued (none, and nothing sent, for an empty list).
   */
  pushAddrV2Msg(addresses: readonly NetAddressV2[]): NetAddressV2[] {
    const chosen = randomSubset(addresses, MAX_ADDR_PER_MSG);
    if (chosen.length > 0) {
      const message: AddrV2Message = { command: "addrv2", addresses: chosen };
      void this.queueMessage(message);
    }
    return chosen;
  }

  /**
   * Requests block inventory, unless it repeats the previous `getblocks` exactly (same first
   * locator hash and stop hash), which is skipped.
   *
   * @param locator Block locator hashes, newest first.
   * @param hashStop Where to stop (zeros: as far as possible).
   * @returns Resolves `true` once sent; `false` when skipped as a repeat or dropped.
   */
  pushGetBlocksMsg(locator: readonly Uint8Array[], hashStop: Uint8Array): Promise<boolean> {
    return this.#pushBlockRequest("getblocks", locator, hashStop);
  }

  /**
   * Requests headers, unless it repeats the previous `getheaders` exactly, which is skipped.
   *
   * @param locator Block locator hashes, newest first.
   * @param hashStop Where to stop (zeros: up to 2,000 headers).
   * @returns Resolves `true` once sent; `false` when skipped as a repeat or dropped.
   */
  pushGetHeadersMsg(locator: readonly Uint8Array[], hashStop: Uint8Array): Promise<boolean> {
    return this.#pushBlockRequest("getheaders", locator, hashStop);
  }

  /** `getblocks` or `getheaders`, skipped when it repeats the previous one of its kind. */
  #pushBlockRequest(
    command: "getblocks" | "getheaders",
    locator: readonly Uint8Array[],
    hashStop: Uint8Array,
  ): Promise<boolean> {
    const key = locator.length > 0 ? { firstLocator: locator[0], hashStop } : undefined;
    const last = command === "getblocks" ? this.#lastGetBlocks : this.#lastGetHeaders;
    if (key !== undefined && repeatsRequest(last, key)) return Promise.resolve(false);
    const protocolVersion = this.#config.protocolVersion;
    const sent = this.queueMessage({ command, protocolVersion, locator, hashStop });
    if (command === "getblocks") this.#lastGetBlocks = key;
    else this.#lastGetHeaders = key;
    return sent;
  }

  /**
   * Sends a BIP 61 `reject`, only to peers at protocol 70002 or later. The hash is sent only
   * for `tx` and `block` (zeros, with a warning, if missing). Await the result to wait until
   * it is written (btcd's `wait`).
   *
   * @param rejected The rejected command, the code, the reason and the hash.
   * @returns Resolves `true` once written; `false` if not sent.
   */
  pushRejectMsg(rejected: Omit<RejectMessage, "command">): Promise<boolean> {
    if (this.#protocolVersion < REJECT_VERSION) return Promise.resolve(false);
    const { message, code, reason } = rejected;
    if (message !== "tx" && message !== "block") {
      return this.queueMessage({ command: "reject", message, code, reason });
    }
    let hash = rejected.hash;
    if (hash === undefined) {
      this.#log.warn("Sending a reject of {command} to {peer} without a hash", {
        command: message,
        peer: this.toString(),
      });
      hash = new Uint8Array(32);
    }
    return this.queueMessage({ command: "reject", message, code, reason, hash });
  }

  #buildVersion(): VersionMessage {
    const now = this.#config.clock.now();
    const best = this.#config.newestBlock();
    return {
      command: "version",
      protocolVersion: this.#config.protocolVersion,
      services: this.#config.services,
      timestamp: BigInt(Math.floor(now / 1000)),
      addrRecv: remoteNetAddress(this.#address),
      addrFrom: { services: this.#config.services, ip: new Uint8Array(16), port: 0 },
      nonce: randomNonce(),
      userAgent: this.#config.userAgent,
      startHeight: best.height,
      relay: !this.#config.disableRelayTx,
    };
  }

  // ─── State ─────────────────────────────────────────────────────────────────────────────

  /** A process-wide id, assigned when the remote `version` is read (0 before). */
  get id(): number {
    return this.#id;
  }

  /** The remote's `host:port` as given at creation. */
  get address(): string {
    return this.#address;
  }

  /** The remote's address as a BIP 155 address, with its services, when it parses. */
  get netAddress(): NetAddressV2 | undefined {
    const parsed = splitHostPort(this.#address);
    if (parsed === undefined) return undefined;
    try {
      return netAddressV2FromString(parsed.host, parsed.port, { services: this.services });
    } catch {
      return undefined;
    }
  }

  /** Whether the remote dialed us. */
  get inbound(): boolean {
    return this.#inbound;
  }

  /** The remote's `version`, once read. */
  get remoteVersion(): VersionMessage | undefined {
    return this.#remoteVersion;
  }

  /** Whether the remote `version` has been read. */
  get versionKnown(): boolean {
    return this.#remoteVersion !== undefined;
  }

  /** Whether the remote `verack` has been read. */
  get verAckReceived(): boolean {
    return this.#verAckReceived;
  }

  /** The negotiated protocol version: min(ours, theirs); ours until the remote's is known. */
  get protocolVersion(): number {
    return this.#protocolVersion;
  }

  /** The remote's services (0n before its `version`). */
  get services(): bigint {
    return this.#remoteVersion?.services ?? 0n;
  }

  /** The remote's user agent ("" before its `version`). */
  get userAgent(): string {
    return this.#remoteVersion?.userAgent ?? "";
  }

  /** The height the remote announced in its `version`. */
  get startingHeight(): number {
    return this.#remoteVersion?.startHeight ?? 0;
  }

  /** The remote's best height as we know it; it only goes up. */
  get lastBlock(): number {
    return this.#lastBlock;
  }

  /**
   * Records a newer best height for the remote (a lower one is ignored).
   *
   * @param height The height.
   */
  updateLastBlockHeight(height: number): void {
    if (height > this.#lastBlock) this.#lastBlock = height;
  }

  /** The hash of the last block the remote announced, if recorded. */
  get lastAnnouncedBlock(): Uint8Array | undefined {
    return this.#lastAnnouncedBlock;
  }

  /**
   * Records the last block the remote announced.
   *
   * @param hash The block hash.
   */
  updateLastAnnouncedBlock(hash: Uint8Array): void {
    this.#lastAnnouncedBlock = hash;
  }

  /** The remote clock minus ours, in seconds, from its `version`. */
  get timeOffset(): number {
    return this.#timeOffset;
  }

  /** BIP 130: the remote asked for `headers` announcements. */
  get wantsHeaders(): boolean {
    return this.#wantsHeaders;
  }

  /** BIP 155: the remote asked for `addrv2`. */
  get wantsAddrV2(): boolean {
    return this.#wantsAddrV2;
  }

  /** BIP 339: the remote relays transactions by wtxid. */
  get wtxidRelay(): boolean {
    return this.#wtxidRelay;
  }

  /** BIP 133: the remote's minimum fee rate (satoshis per 1,000 vbytes); 0n if none. */
  get feeFilter(): bigint {
    return this.#feeFilter;
  }

  /** BIP 144: the remote advertises witness support, so witness data is sent to it. */
  get witnessEnabled(): boolean {
    return (this.services & ServiceFlag.WITNESS) !== 0n;
  }

  /** Bytes sent. */
  get bytesSent(): number {
    return this.#stats.bytesSent;
  }

  /** Bytes received. */
  get bytesReceived(): number {
    return this.#stats.bytesReceived;
  }

  /**
   * Bytes queued for sending and not yet written, as charged: each message's encoded bytes
   * plus what the objects carrying it cost.
   */
  get sendQueueBytes(): number {
    return this.#mux.queuedBytes;
  }

  /**
   * Whether the send queue is over its pause level (`sendBufferBytes`): the remote is not
   * reading, so its messages are not processed (nor its socket read) until it drains.
   */
  get sendPaused(): boolean {
    return this.#mux.paused;
  }

  /**
   * Memory held for a message in progress from the remote (received, not yet complete): about
   * what arrived, however it was segmented, never what its header claims.
   */
  get receiveBufferBytes(): number {
    return this.#transport.heldBytes;
  }

  /** The transport: `"v1"` (Bitcoin's framing) or `"v2"` (BIP 324, encrypted). */
  get transportProtocol(): "v1" | "v2" {
    return this.#transport.protocol;
  }

  /** BIP 324's session id, hex, for a v2 peer whose key exchange completed; else `""`. */
  get sessionId(): string {
    const id = this.#transport.sessionId;
    return id === undefined ? "" : bytesToHex(id);
  }

  /** The nonce of the ping awaiting its pong, or 0n. */
  get lastPingNonce(): bigint {
    return this.#keepalive.lastPingNonce;
  }

  /** The last measured ping round trip, in microseconds. */
  get lastPingMicros(): number {
    return this.#keepalive.lastPingMicros;
  }

  /**
   * The fastest ping round trip measured, in microseconds (`Infinity` before the first); a
   * node protects its fastest peers from eviction by it.
   */
  get minPingMicros(): number {
    return this.#keepalive.minPingMicros;
  }

  /** Everything btcd's `StatsSnap` has, plus per-command counters in both directions. */
  statsSnapshot(): PeerStatsSnapshot {
    return snapshotOf({
      id: this.#id,
      address: this.#address,
      services: this.services,
      inbound: this.#inbound,
      connectedAt: this.#connectedAt,
      timeOffset: this.#timeOffset,
      version: this.#remoteVersion?.protocolVersion ?? 0,
      userAgent: this.userAgent,
      startingHeight: this.startingHeight,
      lastBlock: this.#lastBlock,
      lastPingNonce: this.#keepalive.lastPingNonce,
      lastPingTime: this.#keepalive.lastPingTime,
      lastPingMicros: this.#keepalive.lastPingMicros,
      traffic: this.#stats,
    });
  }

  /** `"host:port (inbound)"` or `"host:port (outbound)"`, as btcd. */
  toString(): string {
    return `${this.#address} (${this.#inbound ? "inbound" : "outbound"})`;
  }
}

/**
 * A listener threw. Whichever stage called it (handshake, dispatcher, outbound pipeline), the
 * peer ends with `listener-error` and the listener's own error, not as a network failure.
 */
class ListenerError extends Error {
  constructor(listener: string, cause: unknown) {
    super(`The ${listener} listener threw: ${describe(cause)}`, { cause });
  }
}

function describe(error: unknown): string {
  // A stream canceled or errored without a reason (an in-memory connection closed by the
  // other end does that) says `undefined`.
  if (error === undefined) return "the stream was closed without a reason";
  return error instanceof Error ? error.message : String(error);
}

/** `frames` joined into one buffer of `size` bytes. */
function concat(frames: readonly Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const frame of frames) {
    out.set(frame, at);
    at += frame.length;
  }
  return out;
}
