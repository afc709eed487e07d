// Dialing and listening: the one place that touches sockets. Everything above it takes a
// Net, so a node runs the same over TCP, through Tor, or inside a MemoryNetwork.
//
// A dial hands back the Deno.TcpConn itself, not a wrapper: the peer reads and writes it
// through its own read(buffer)/write(bytes), which skips the stream objects.
import { getLogger } from "@logtape/logtape";
import type { Connection } from "../peer/connection.ts";
import { socks5Connect, type Socks5ProxyOptions } from "./socks5.ts";
import { closeQuietly } from "./_close_quietly.ts";
import { joinHostPort, unbracket } from "./_host_port.ts";

/** Options for {@linkcode Net.dial}. */
export interface DialOptions {
  /** Abandons the attempt (and closes any half-open socket). */
  readonly signal?: AbortSignal;
  /** Gives up after this long, the proxy handshake included; defaults to the net's. */
  readonly timeoutMs?: number;
}

/**
 * A connection a listener accepted, with the remote's address.
 *
 * @example
 * ```ts
 * import { type InboundConnection, MemoryNetwork } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const network = new MemoryNetwork();
 * const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
 * const dialed = await network.host("10.0.0.2").dial("10.0.0.1", 8333);
 * for await (const inbound of listener) {
 *   const { remoteHost, remotePort }: InboundConnection = inbound;
 *   assertEquals(remoteHost, "10.0.0.2");
 *   assertEquals(remotePort, 49152);
 *   inbound.connection.close();
 *   break;
 * }
 * dialed.close();
 * listener.close();
 * ```
 */
export interface InboundConnection {
  /** The accepted connection. */
  readonly connection: Connection;
  /** The remote's address (an IPv6 literal without brackets). */
  readonly remoteHost: string;
  /** The remote's port. */
  readonly remotePort: number;
}

/**
 * A listening socket: iterate it for the accepted connections.
 *
 * @example
 * ```ts
 * import { tcpNet } from "@btcstream/p2p/server";
 * import { assert, assertEquals } from "@std/assert";
 * const listener = tcpNet().listen("127.0.0.1", 0);
 * assert(listener.port > 0); // the port the OS chose
 * listener.close();
 * assertEquals(await Array.fromAsync(listener), []); // closing ends the iteration
 * ```
 */
export interface NetListener extends AsyncIterable<InboundConnection> {
  /** The address listened on. */
  readonly hostname: string;
  /** The bound port (the one the OS chose when asked for port 0). */
  readonly port: number;
  /** Stops listening and ends the iteration; idempotent. */
  close(): void;
}

/**
 * How a node reaches others and is reached: TCP, TCP through SOCKS5, or in memory.
 *
 * @example
 * ```ts
 * import { MemoryNetwork, type Net } from "@btcstream/p2p/server";
 * import { assertRejects } from "@std/assert";
 * const net: Net = new MemoryNetwork().host("10.0.0.1");
 * await assertRejects(
 *   () => net.dial("10.0.0.9", 8333),
 *   Error,
 *   "Cannot connect to 10.0.0.9:8333: connection refused",
 * );
 * ```
 */
export interface Net {
  /**
   * Opens a connection to `host:port`.
   *
   * @param host An IP literal (IPv6 without brackets) or a host name.
   * @param port The port.
   * @param options Cancellation and timeout.
   * @returns The connection.
   */
  dial(host: string, port: number, options?: DialOptions): Promise<Connection>;
  /**
   * Starts listening on `hostname:port`.
   *
   * @param hostname The local address to bind.
   * @param port The port; 0 lets the OS (or the in-memory network) choose one.
   * @returns The listener.
   */
  listen(hostname: string, port: number): NetListener;
}

/** Options for {@linkcode tcpNet}. */
export interface TcpNetOptions {
  /** Dial through this SOCKS5 proxy (Tor, for instance); listening stays direct. */
  readonly proxy?: Socks5ProxyOptions;
  /** How long a dial may take, the proxy handshake included (default 30 s, btcd's). */
  readonly connectTimeoutMs?: number;
}

/** btcd's `defaultConnectTimeout`. */
const DEFAULT_CONNECT_TIMEOUT_MS = 30_000;
/** After a failed accept (out of file descriptors, say), wait before the next, as Go's net/http. */
const ACCEPT_RETRY_MIN_MS = 5;
const ACCEPT_RETRY_MAX_MS = 1_000;

const MAX_TIMER_MS = 0x7fffffff;

const log = getLogger(["btcstream", "server", "net"]);

/**
 * TCP through `Deno.connect` and `Deno.listen`, optionally dialing through a SOCKS5 proxy.
 * Dials return the `Deno.TcpConn` itself, with Nagle's algorithm off.
 *
 * @param options Proxy and connect timeout.
 * @returns The net.
 *
 * @example
 * ```ts
 * import { tcpNet } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const net = tcpNet({ connectTimeoutMs: 5_000 });
 * const listener = net.listen("127.0.0.1", 0);
 * const dialed = await net.dial("127.0.0.1", listener.port);
 * for await (const inbound of listener) {
 *   assertEquals(inbound.remoteHost, "127.0.0.1");
 *   inbound.connection.close();
 *   break;
 * }
 * dialed.close();
 * listener.close();
 * ```
 */
export function tcpNet(options: TcpNetOptions = {}): Net {
  const proxy = options.proxy;
  const defaultTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  checkTimeout(defaultTimeoutMs, "connectTimeoutMs");
  return {
    dial: (host, port, dialOptions = {}) =>
      dialTcp(host, port, proxy, {
        signal: dialOptions.signal,
        timeoutMs: dialOptions.timeoutMs ?? defaultTimeoutMs,
      }),
    listen: (hostname, port) => new TcpListener(hostname, port),
  };
}

async function dialTcp(
  host: string,
  port: number,
  proxy: Socks5ProxyOptions | undefined,
  options: { signal?: AbortSignal; timeoutMs: number },
): Promise<Deno.TcpConn> {
  const target = unbracket(host);
  const name = joinHostPort(target, port);
  const { signal, timeoutMs } = options;
  checkTimeout(timeoutMs, "timeoutMs");
  if (signal?.aborted) {
    throw new Error(`Cannot connect to ${name}: aborted`, { cause: signal.reason });
  }

  // One controller for the whole attempt: it cancels a pending connect, and closing the
  // socket ends a pending proxy handshake read.
  const controller = new AbortController();
  let conn: Deno.TcpConn | undefined;
  let failure: Error | undefined;
  const fail = (error: Error) => {
    if (failure !== undefined) return;
    failure = error;
    controller.abort(error);
    closeQuietly(conn);
  };
  const onAbort = () =>
    fail(new Error(`Cannot connect to ${name}: aborted`, { cause: signal?.reason }));
  signal?.addEventListener("abort", onAbort, { once: true });
  // Longer than a timer can wait (about 24.8 days) is as good as no timeout.
  const timer = timeoutMs <= MAX_TIMER_MS
    ? setTimeout(
      () => fail(new Error(`Cannot connect to ${name}: timed out after ${timeoutMs} ms`)),
      timeoutMs,
    )
    : undefined;
  try {
    if (proxy === undefined) {
      conn = await Deno.connect({ hostname: target, port, signal: controller.signal });
    } else {
      try {
        conn = await Deno.connect({
          hostname: unbracket(proxy.host),
          port: proxy.port,
          signal: controller.signal,
        });
      } catch (error) {
        if (failure !== undefined) throw failure;
        throw new Error(
          `Cannot connect to SOCKS5 proxy ${joinHostPort(unbracket(proxy.host), proxy.port)}: ${
            (error as Error).message
          }`,
          { cause: error },
        );
      }
    }
    if (failure !== undefined) throw failure;
    conn.setNoDelay(true);
    if (proxy !== undefined) await socks5Connect(conn, { host: target, port }, credentials(proxy));
    if (failure !== undefined) throw failure;
    return conn;
  } catch (error) {
    closeQuietly(conn);
    throw failure ?? error;
  } finally {
    clearTimeout(timer);
    signal?.removeEventListener("abort", onAbort);
  }
}

/** The proxy credentials of one connection: random ones per connection when isolating. */
function credentials(proxy: Socks5ProxyOptions): { username?: string; password?: string } {
  if (proxy.isolate) {
    // As btcd --torisolation: a fresh identity per connection means a fresh Tor circuit.
    const random = (): string =>
      Array.from(crypto.getRandomValues(new Uint8Array(16)), (b) => b.toString(16).padStart(2, "0"))
        .join("");
    return { username: random(), password: random() };
  }
  return { username: proxy.username, password: proxy.password };
}

/** `Deno.listen` as a {@linkcode NetListener}. */
class TcpListener implements NetListener {
  readonly #listener: Deno.TcpListener;
  #closed = false;
  #wake: (() => void) | undefined;

  constructor(hostname: string, port: number) {
    this.#listener = Deno.listen({ hostname: unbracket(hostname), port, transport: "tcp" });
  }

  get hostname(): string {
    return this.#listener.addr.hostname;
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    closeQuietly(this.#listener);
    this.#wake?.();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<InboundConnection> {
    let delayMs = 0;
    while (!this.#closed) {
      let conn: Deno.TcpConn;
      try {
        conn = await this.#listener.accept();
      } catch (error) {
        if (this.#closed || isClosedError(error)) return;
        // Out of file descriptors and the like: back off and try again rather than stop
        // accepting for good.
        delayMs = Math.min(Math.max(delayMs * 2, ACCEPT_RETRY_MIN_MS), ACCEPT_RETRY_MAX_MS);
        log.warn("Accept on {address} failed, retrying in {delayMs} ms: {error}", {
          address: joinHostPort(this.hostname, this.port),
          delayMs,
          error,
        });
        await this.#sleep(delayMs);
        continue;
      }
      delayMs = 0;
      if (this.#closed) {
        closeQuietly(conn);
        return;
      }
      try {
        conn.setNoDelay(true);
      } catch {
        // Already reset by the remote: the peer will find out on its first read.
      }
      const remote = conn.remoteAddr as Deno.NetAddr;
      yield { connection: conn, remoteHost: remote.hostname, remotePort: remote.port };
    }
  }

  /** Waits `ms`, or less if the listener closes meanwhile. */
  #sleep(ms: number): Promise<void> {
    return new Promise<void>((resolve) => {
      const timer = setTimeout(done, ms);
      this.#wake = done;
      function done() {
        clearTimeout(timer);
        resolve();
      }
    }).finally(() => {
      this.#wake = undefined;
    });
  }
}

function isClosedError(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted;
}

function checkTimeout(ms: number, name: string): void {
  if (typeof ms !== "number" || Number.isNaN(ms) || ms < 0) {
    throw new RangeError(`Cannot dial: ${name} ${ms} is not a non-negative number`);
  }
}
