// Hostile remotes over real TCP, for the attack tests and `bench/hostile.ts`: a raw client that
// completes the version handshake by hand and then does what a well-behaved peer never would
// (floods without reading, trickles a payload a byte per segment, goes silent), and a source
// address other than 127.0.0.1 for the "newcomer" that must still get in.
import net from "node:net";
import { Duplex } from "node:stream";
import type { Connection } from "../../peer/connection.ts";
import {
  encodeMessage,
  FrameDecoder,
  type Message,
  NETWORKS,
  PROTOCOL_VERSION,
  type RawMessage,
  ServiceFlag,
} from "../../wire/mod.ts";

const NETWORK = "regtest";

/** Encodes for regtest at our version. */
export function frame(message: Message): Uint8Array {
  return encodeMessage(message, { network: NETWORK });
}

/** `count` pings, one buffer. */
export function pingBytes(count: number, firstNonce = 1n): Uint8Array {
  const one = frame({ command: "ping", nonce: 0n });
  const out = new Uint8Array(one.length * count);
  for (let i = 0; i < count; i++) {
    out.set(frame({ command: "ping", nonce: firstNonce + BigInt(i) }), i * one.length);
  }
  return out;
}

/** A v1 header announcing `length` payload bytes of `command` (checksum left zero). */
export function headerOnly(command: string, length: number): Uint8Array {
  const out = new Uint8Array(24);
  const view = new DataView(out.buffer);
  view.setUint32(0, NETWORKS[NETWORK].magic, true);
  for (let i = 0; i < command.length; i++) out[4 + i] = command.charCodeAt(i);
  view.setUint32(16, length, true);
  return out;
}

/** A raw TCP client that speaks only as much protocol as the attack needs. */
export class RawClient {
  readonly conn: Deno.TcpConn;
  readonly #frames = new FrameDecoder({ network: NETWORK });
  readonly #received: RawMessage[] = [];

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
  }

  /** Connects from 127.0.0.1. */
  static async connect(port: number): Promise<RawClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port });
    conn.setNoDelay(true);
    return new RawClient(conn);
  }

  /** Writes all of `bytes`; `false` if the connection failed. */
  async write(bytes: Uint8Array): Promise<boolean> {
    try {
      for (let at = 0; at < bytes.length;) at += await this.conn.write(bytes.subarray(at));
      return true;
    } catch {
      return false;
    }
  }

  /** Reads until a message with `command` arrived; `undefined` if the connection ended. */
  async readUntil(command: string): Promise<RawMessage | undefined> {
    const buffer = new Uint8Array(64 * 1024);
    for (;;) {
      const at = this.#received.findIndex((m) => m.command === command);
      if (at >= 0) return this.#received.splice(0, at + 1).at(-1);
      let n: number | null;
      try {
        n = await this.conn.read(buffer);
      } catch {
        return undefined;
      }
      if (n === null) return undefined;
      this.#frames.push(buffer.slice(0, n), (m) => this.#received.push(m));
    }
  }

  /** Dials a node (it speaks second) and completes the handshake; `false` if it failed. */
  async handshake(): Promise<boolean> {
    const sent = await this.write(frame({
      command: "version",
      protocolVersion: PROTOCOL_VERSION,
      services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
      timestamp: BigInt(Math.floor(Date.now() / 1000)),
      addrRecv: { services: 0n, ip: new Uint8Array(16), port: 0 },
      addrFrom: { services: 0n, ip: new Uint8Array(16), port: 0 },
      nonce: BigInt(Math.floor(Math.random() * 2 ** 52)) + 1n,
      userAgent: "/attacker:0.1/",
      startHeight: 0,
      relay: true,
    }));
    if (!sent || await this.readUntil("verack") === undefined) return false;
    return await this.write(frame({ command: "verack" }));
  }

  /** Closes the socket; never throws. */
  close(): void {
    try {
      this.conn.close();
    } catch {
      // Closed already.
    }
  }
}

/**
 * A connection from another loopback address (127.0.0.2, say) through `node:net`, whose
 * `connect` can choose the local address, as a web-stream {@linkcode Connection}.
 */
export function connectFrom(localAddress: string, port: number): Promise<Connection> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host: "127.0.0.1", port, localAddress });
    socket.setNoDelay(true);
    socket.once("error", reject);
    socket.once("connect", () => {
      socket.off("error", reject);
      // Errors after this reach the streams; one left unheard would crash the process.
      socket.on("error", () => {});
      const { readable, writable } = Duplex.toWeb(socket);
      resolve({
        readable: readable as ReadableStream<Uint8Array>,
        writable: writable as WritableStream<Uint8Array>,
        close: () => void socket.destroy(),
      });
    });
  });
}
