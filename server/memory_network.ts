// An in-memory network of hosts for tests and simulations: each host gets a Net that
// dials and listens like TCP (refused connections, ephemeral ports, listeners that end when
// closed) over memoryConnectionPair, plus failure injection to cut a host off.
import { type Connection, memoryConnectionPair } from "../peer/connection.ts";
import type { DialOptions, InboundConnection, Net, NetListener } from "./net.ts";
import { joinHostPort, unbracket } from "./_host_port.ts";

/** Options for {@linkcode MemoryNetwork}. */
export interface MemoryNetworkOptions {
  /** Bytes each direction of a connection buffers (default 64 KiB, as a socket's buffers). */
  readonly bufferBytes?: number;
}

/** Where `listen(host, 0)` starts counting. */
const FIRST_LISTEN_PORT = 20_000;
/** IANA's dynamic range, where dialers' ports come from. */
const FIRST_EPHEMERAL_PORT = 49_152;
const LAST_PORT = 65_535;
/** Addresses a listener may bind besides its host's own: they mean "this host". */
const WILDCARDS = new Set(["", "0.0.0.0", "::"]);

/** A live connection, tracked so that cutting a host off closes it. */
interface Link {
  readonly hosts: readonly [string, string];
  close(): void;
}

/**
 * An in-memory network: {@linkcode MemoryNetwork.host} gives each address a
 * {@linkcode Net}; hosts dial each other's listeners by address and port.
 *
 * @example
 * ```ts
 * import { MemoryNetwork } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const network = new MemoryNetwork();
 * const listener = network.host("10.0.0.1").listen("10.0.0.1", 0);
 * assertEquals(listener.port, 20000); // port 0: the host's next free port
 * const dialed = await network.host("10.0.0.2").dial("10.0.0.1", listener.port);
 * for await (const { connection, remoteHost } of listener) {
 *   assertEquals(remoteHost, "10.0.0.2");
 *   await dialed.writable.getWriter().write(new Uint8Array([1, 2]));
 *   assertEquals((await connection.readable.getReader().read()).value, new Uint8Array([1, 2]));
 *   connection.close();
 *   break;
 * }
 * listener.close();
 * ```
 */
export class MemoryNetwork {
  readonly #bufferBytes: number | undefined;
  /** Listeners by `host|port`. */
  readonly #listeners = new Map<string, MemoryListener>();
  readonly #nextListenPort = new Map<string, number>();
  readonly #nextEphemeralPort = new Map<string, number>();
  readonly #unreachable = new Set<string>();
  readonly #links = new Set<Link>();

  /**
   * Creates an empty network.
   *
   * @param options Connection buffer size.
   */
  constructor(options: MemoryNetworkOptions = {}) {
    this.#bufferBytes = options.bufferBytes;
  }

  /**
   * The network access of the host at `address`: its dials come from `address`, its listeners are
   * reached at `address`. Calling it again for the same address gives an equivalent one.
   *
   * @param address The host's address (any string; IP literals read best in logs).
   * @returns What the host dials and listens with.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@btcstream/p2p/server";
   * import { assertEquals } from "@std/assert";
   * const network = new MemoryNetwork();
   * const listener = network.host("::1").listen("::", 8333);
   * const dialed = await network.host("2001:db8::7").dial("::1", 8333);
   * for await (const inbound of listener) {
   *   assertEquals(inbound.remoteHost, "2001:db8::7");
   *   assertEquals(inbound.remotePort, 49152);
   *   break;
   * }
   * dialed.close();
   * listener.close();
   * ```
   */
  host(address: string): Net {
    const local = unbracket(address);
    return {
      dial: (host, port, options) => this.#dial(local, unbracket(host), port, options),
      listen: (hostname, port) => this.#listen(local, unbracket(hostname), port),
    };
  }

  /**
   * Cuts a host off the network, or brings it back. While cut off, dials to and from it fail
   * ("unreachable"); cutting it off also closes its open connections, as a dead link would.
   * Its listeners stay open.
   *
   * @param host The host's address.
   * @param reachable `false` to cut it off, `true` to restore it.
   *
   * @example
   * ```ts
   * import { MemoryNetwork } from "@btcstream/p2p/server";
   * import { assertRejects } from "@std/assert";
   * const network = new MemoryNetwork();
   * const listener = network.host("10.0.0.1").listen("10.0.0.1", 8333);
   * network.setReachable("10.0.0.1", false);
   * await assertRejects(
   *   () => network.host("10.0.0.2").dial("10.0.0.1", 8333),
   *   Error,
   *   "Cannot connect to 10.0.0.1:8333: host unreachable",
   * );
   * listener.close();
   * ```
   */
  setReachable(host: string, reachable: boolean): void {
    const address = unbracket(host);
    if (reachable) {
      this.#unreachable.delete(address);
      return;
    }
    this.#unreachable.add(address);
    for (const link of [...this.#links]) {
      if (link.hosts.includes(address)) link.close();
    }
  }

  async #dial(
    from: string,
    host: string,
    port: number,
    options: DialOptions = {},
  ): Promise<Connection> {
    // Settle asynchronously, as a real dial does: callers must not rely on anything else.
    await Promise.resolve();
    const name = joinHostPort(host, port);
    const { signal } = options;
    if (signal?.aborted) {
      throw new Error(`Cannot connect to ${name}: aborted`, { cause: signal.reason });
    }
    if (this.#unreachable.has(from)) {
      throw new Error(`Cannot connect to ${name}: network unreachable from ${from}`);
    }
    if (this.#unreachable.has(host)) throw new Error(`Cannot connect to ${name}: host unreachable`);
    const listener = this.#listeners.get(key(host, port));
    if (listener === undefined) throw new Error(`Cannot connect to ${name}: connection refused`);

    const [dialed, accepted] = memoryConnectionPair(
      this.#bufferBytes === undefined ? {} : { bufferBytes: this.#bufferBytes },
    );
    const links = this.#links;
    const link: Link = {
      hosts: [from, host],
      close() {
        links.delete(link);
        dialed.close();
      },
    };
    links.add(link);
    const tracked = (c: Connection): Connection => ({
      readable: c.readable,
      writable: c.writable,
      close: link.close,
    });
    listener.push({
      connection: tracked(accepted),
      remoteHost: from,
      remotePort: this.#ephemeralPort(from),
    });
    return tracked(dialed);
  }

  #listen(local: string, hostname: string, port: number): NetListener {
    if (!Number.isInteger(port) || port < 0 || port > LAST_PORT) {
      throw new RangeError(`Cannot listen: port ${port} is not in 0..65535`);
    }
    if (hostname !== local && !WILDCARDS.has(hostname)) {
      throw new Error(
        `Cannot listen on ${joinHostPort(hostname, port)}: address not available on host ${local}`,
      );
    }
    const bound = port === 0 ? this.#freeListenPort(local) : port;
    const k = key(local, bound);
    if (this.#listeners.has(k)) {
      throw new Error(`Cannot listen on ${joinHostPort(hostname, bound)}: address already in use`);
    }
    const listener = new MemoryListener(hostname, bound, () => {
      if (this.#listeners.get(k) === listener) this.#listeners.delete(k);
    });
    this.#listeners.set(k, listener);
    return listener;
  }

  #freeListenPort(host: string): number {
    for (let tries = 0; tries <= LAST_PORT - FIRST_LISTEN_PORT; tries++) {
      const port = this.#nextListenPort.get(host) ?? FIRST_LISTEN_PORT;
      this.#nextListenPort.set(host, port >= LAST_PORT ? FIRST_LISTEN_PORT : port + 1);
      if (!this.#listeners.has(key(host, port))) return port;
    }
    throw new Error(`Cannot listen on host ${host}: no free port`);
  }

  #ephemeralPort(host: string): number {
    const port = this.#nextEphemeralPort.get(host) ?? FIRST_EPHEMERAL_PORT;
    this.#nextEphemeralPort.set(host, port >= LAST_PORT ? FIRST_EPHEMERAL_PORT : port + 1);
    return port;
  }
}

/** A listener's accept queue: connections wait here until the iterator takes them. */
class MemoryListener implements NetListener {
  readonly hostname: string;
  readonly port: number;
  readonly #onClose: () => void;
  readonly #queue: InboundConnection[] = [];
  #waiter: (() => void) | undefined;
  #closed = false;

  constructor(hostname: string, port: number, onClose: () => void) {
    this.hostname = hostname;
    this.port = port;
    this.#onClose = onClose;
  }

  push(inbound: InboundConnection): void {
    this.#queue.push(inbound);
    this.#wake();
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#onClose();
    // Connections nobody accepted are reset, as the kernel does with its backlog.
    for (const inbound of this.#queue.splice(0)) inbound.connection.close();
    this.#wake();
  }

  async *[Symbol.asyncIterator](): AsyncIterator<InboundConnection> {
    while (true) {
      const next = this.#queue.shift();
      if (next !== undefined) {
        yield next;
        continue;
      }
      if (this.#closed) return;
      await new Promise<void>((resolve) => (this.#waiter = resolve));
    }
  }

  #wake(): void {
    const waiter = this.#waiter;
    this.#waiter = undefined;
    waiter?.();
  }
}

function key(host: string, port: number): string {
  return `${host}|${port}`;
}
