// Outbound connections, as btcd's `connmgr`: keep `targetOutbound` automatic connections open
// to addresses a callback chooses, keep permanent ones (`--connect`, `--addpeer`) open with
// a growing retry delay, and slow down after many failures in a row. It knows nothing of
// peers: the server hands it a dial function and tells it when a connection ended.
import { getLogger } from "@logtape/logtape";
import { type Clock, SYSTEM_CLOCK, type Timer } from "../peer/clock.ts";
import type { Connection } from "../peer/connection.ts";
import { closeQuietly } from "./_close_quietly.ts";

/** btcd's `defaultTargetOutbound`. */
export const DEFAULT_TARGET_OUTBOUND = 8;
/** btcd's `defaultRetryDuration`: the first retry delay of a permanent peer, and the pause. */
export const DEFAULT_RETRY_DURATION_MS = 5_000;
/** btcd's `maxRetryDuration`: the longest delay between retries of a permanent peer. */
export const MAX_RETRY_DURATION_MS = 5 * 60_000;
/** btcd's `maxFailedAttempts`: automatic dials that fail in a row before pausing. */
export const MAX_FAILED_ATTEMPTS = 25;

/** Where to dial. */
export interface DialTarget {
  /** Host name or IP literal (IPv6 without brackets). */
  readonly host: string;
  /** TCP port. */
  readonly port: number;
  /** The services the address book knows it for, when it came from there. */
  readonly services?: bigint;
}

/** The state of a {@linkcode ConnRequest}. */
export type ConnState = "pending" | "connecting" | "connected" | "failed" | "canceled";

/** One outbound connection the manager keeps: automatic or permanent. */
export interface ConnRequest extends DialTarget {
  /** Unique per manager, from 1. */
  readonly id: number;
  /** Retried forever with backoff, and not counted against the automatic target. */
  readonly permanent: boolean;
  /** Where it is now. */
  readonly state: ConnState;
  /** Failed dials since it last connected (permanent requests). */
  readonly retries: number;
}

/** Options for {@linkcode ConnManager}. */
export interface ConnManagerOptions {
  /** Opens a connection; rejects when it cannot. */
  readonly dial: (target: DialTarget, signal: AbortSignal) => Promise<Connection>;
  /** Takes over a dialed connection; call {@linkcode ConnManager.disconnected} when it ends. */
  readonly onConnection: (request: ConnRequest, connection: Connection) => void;
  /** Chooses the next automatic address; `undefined` when there is none to try. */
  readonly newAddress?: () => DialTarget | undefined;
  /** Automatic outbound connections to keep (default {@linkcode DEFAULT_TARGET_OUTBOUND}). */
  readonly targetOutbound?: number;
  /** Base retry delay (default {@linkcode DEFAULT_RETRY_DURATION_MS}). */
  readonly retryDurationMs?: number;
  /** Longest retry delay of a permanent peer (default {@linkcode MAX_RETRY_DURATION_MS}). */
  readonly maxRetryDurationMs?: number;
  /** Time and timers; defaults to the system clock. */
  readonly clock?: Clock;
  /** LogTape category; defaults to `["btcstream", "server", "connmgr"]`. */
  readonly logCategory?: readonly string[];
}

interface Request extends ConnRequest {
  /** Made by the manager from `newAddress`, counted against the target. */
  readonly automatic: boolean;
  state: ConnState;
  retries: number;
  timer: Timer | undefined;
}

/**
 * Keeps outbound connections open (btcd's `connmgr.ConnManager`).
 *
 * - Automatic requests: `targetOutbound` of them, each dialing what `newAddress` returns. A
 *   failed dial tries another address at once, until {@linkcode MAX_FAILED_ATTEMPTS} failures
 *   in a row, after which each waits `retryDurationMs`; so does a request that found no
 *   address. When one ends, a new one replaces it.
 * - Permanent requests ({@linkcode ConnManager.connect}): retried after `retries ×
 *   retryDurationMs`, at most `maxRetryDurationMs`, also after a disconnect.
 *
 * @example
 * ```ts
 * import { ConnManager, MemoryNetwork } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 *
 * const network = new MemoryNetwork();
 * const listener = network.host("10.0.0.2").listen("10.0.0.2", 8333);
 * const dialer = network.host("10.0.0.1");
 * const connected: string[] = [];
 * const manager = new ConnManager({
 *   dial: (target, signal) => dialer.dial(target.host, target.port, { signal }),
 *   onConnection: (request, connection) => {
 *     connected.push(`#${request.id} to ${request.host}`);
 *     connection.close();
 *     manager.stop();
 *     listener.close();
 *   },
 * });
 * manager.start();
 * manager.connect({ host: "10.0.0.2", port: 8333 }, { permanent: true });
 * for await (const inbound of listener) inbound.connection.close();
 * assertEquals(connected, ["#1 to 10.0.0.2"]);
 * ```
 */
export class ConnManager {
  readonly #options: ConnManagerOptions;
  readonly #clock: Clock;
  readonly #log: ReturnType<typeof getLogger>;
  readonly #target: number;
  readonly #retryMs: number;
  readonly #maxRetryMs: number;
  readonly #requests = new Map<number, Request>();
  readonly #abort = new AbortController();
  /** Automatic slots waiting out a pause before they look for an address again. */
  readonly #waits = new Set<Timer>();
  #nextId = 1;
  #failedAttempts = 0;
  #started = false;
  #stopped = false;

  /**
   * Creates a stopped manager.
   *
   * @param options The dial and hand-over functions, address choice, target and delays.
   */
  constructor(options: ConnManagerOptions) {
    this.#options = options;
    this.#clock = options.clock ?? SYSTEM_CLOCK;
    this.#log = getLogger([...(options.logCategory ?? ["btcstream", "server", "connmgr"])]);
    this.#target = options.targetOutbound ?? DEFAULT_TARGET_OUTBOUND;
    this.#retryMs = options.retryDurationMs ?? DEFAULT_RETRY_DURATION_MS;
    this.#maxRetryMs = options.maxRetryDurationMs ?? MAX_RETRY_DURATION_MS;
    if (!(this.#target >= 0) || !(this.#retryMs >= 0) || !(this.#maxRetryMs >= 0)) {
      throw new RangeError("Target outbound and retry durations must be non-negative");
    }
  }

  /** Dials the permanent requests and starts the automatic ones (with a `newAddress`). */
  start(): void {
    if (this.#started || this.#stopped) return;
    this.#started = true;
    for (const request of [...this.#requests.values()]) this.#dial(request);
    if (this.#options.newAddress === undefined) return;
    for (let i = 0; i < this.#target; i++) this.#newAutomatic();
  }

  /** Cancels every timer and pending dial; connections already handed over stay open. */
  stop(): void {
    if (this.#stopped) return;
    this.#stopped = true;
    this.#abort.abort();
    for (const request of this.#requests.values()) {
      request.timer?.cancel();
      request.timer = undefined;
      if (request.state !== "connected") request.state = "canceled";
    }
    this.#requests.clear();
    for (const wait of this.#waits) wait.cancel();
    this.#waits.clear();
  }

  /**
   * Adds a connection to keep: permanent (retried forever) or one attempt. Before
   * {@linkcode ConnManager.start} it waits for the start.
   *
   * @param target Where to dial.
   * @param options `permanent` (default true).
   * @returns The request.
   */
  connect(target: DialTarget, options: { permanent?: boolean } = {}): ConnRequest {
    const request = this.#request(target, options.permanent ?? true);
    // Before start, it waits for start.
    if (this.#started) this.#dial(request);
    return request;
  }

  /**
   * Tells the manager that the connection of `request` ended: a permanent request is
   * redialed after its backoff, an automatic one is replaced.
   *
   * @param request A request the manager handed over.
   */
  disconnected(request: ConnRequest): void {
    const r = this.#requests.get(request.id);
    if (r === undefined || this.#stopped) return;
    if (r.permanent) {
      r.state = "pending";
      this.#retryPermanent(r);
      return;
    }
    this.#requests.delete(r.id);
    r.state = "canceled";
    if (r.automatic && this.#automaticCount() < this.#target) this.#newAutomatic();
  }

  /**
   * Forgets a request: no more retries (its open connection, if any, is the caller's).
   *
   * @param id The request's id.
   * @returns Whether it was known.
   */
  remove(id: number): boolean {
    const r = this.#requests.get(id);
    if (r === undefined) return false;
    r.timer?.cancel();
    r.state = "canceled";
    this.#requests.delete(id);
    return true;
  }

  /**
   * Whether a request for this host and port is being kept (dialing, connected or waiting
   * to retry).
   *
   * @param target The host and port.
   * @returns True when kept.
   */
  has(target: DialTarget): boolean {
    for (const r of this.#requests.values()) {
      if (r.port === target.port && r.host === target.host) return true;
    }
    return false;
  }

  /** The requests being kept (a snapshot). */
  get requests(): ConnRequest[] {
    return [...this.#requests.values()].map(({ timer: _, automatic: __, ...r }) => r);
  }

  /** How many requests hold a connection now. */
  get connectedCount(): number {
    let n = 0;
    for (const r of this.#requests.values()) if (r.state === "connected") n++;
    return n;
  }

  #automaticCount(): number {
    let n = this.#waits.size;
    for (const r of this.#requests.values()) if (r.automatic) n++;
    return n;
  }

  #request(target: DialTarget, permanent: boolean, automatic = false): Request {
    const request: Request = {
      id: this.#nextId++,
      host: target.host,
      port: target.port,
      ...(target.services === undefined ? {} : { services: target.services }),
      permanent,
      automatic,
      state: "pending",
      retries: 0,
      timer: undefined,
    };
    this.#requests.set(request.id, request);
    return request;
  }

  /** btcd's `NewConnReq`: a new automatic request, dialing the next address. */
  #newAutomatic(): void {
    if (this.#stopped) return;
    const target = this.#options.newAddress?.();
    // Nothing to try now: look again after a pause rather than spinning.
    if (target === undefined) this.#pause();
    else this.#dial(this.#request(target, false, true));
  }

  /** An automatic slot that dials again after `retryDurationMs`. */
  #pause(): void {
    const wait = this.#later(this.#retryMs, () => {
      this.#waits.delete(wait);
      this.#newAutomatic();
    });
    this.#waits.add(wait);
  }

  async #dial(request: Request): Promise<void> {
    request.timer = undefined;
    if (this.#stopped || !this.#requests.has(request.id)) return;
    request.state = "connecting";
    this.#log.debug("Dialing {address} (request {id})", {
      address: `${request.host}:${request.port}`,
      id: request.id,
    });
    let connection: Connection;
    try {
      connection = await this.#options.dial(request, this.#abort.signal);
    } catch (error) {
      if (this.#stopped || !this.#requests.has(request.id)) return;
      this.#log.debug("Failed to connect to {address}: {error}", {
        address: `${request.host}:${request.port}`,
        error: error instanceof Error ? error.message : String(error),
      });
      this.#failed(request);
      return;
    }
    if (this.#stopped || !this.#requests.has(request.id)) {
      closeQuietly(connection);
      return;
    }
    request.state = "connected";
    request.retries = 0;
    if (request.automatic) this.#failedAttempts = 0;
    this.#options.onConnection(request, connection);
  }

  /** btcd's `handleFailedConn`. */
  #failed(request: Request): void {
    request.state = "failed";
    if (request.permanent) {
      this.#retryPermanent(request);
      return;
    }
    this.#requests.delete(request.id);
    if (!request.automatic) return;
    this.#failedAttempts++;
    if (this.#failedAttempts >= MAX_FAILED_ATTEMPTS) this.#pause();
    else this.#newAutomatic();
  }

  #retryPermanent(request: Request): void {
    request.retries++;
    const delay = Math.min(request.retries * this.#retryMs, this.#maxRetryMs);
    this.#log.debug("Retrying {address} in {delay} ms", {
      address: `${request.host}:${request.port}`,
      delay,
    });
    request.timer = this.#later(delay, () => this.#dial(request));
  }

  #later(ms: number, run: () => void): Timer {
    return this.#clock.setTimeout(run, ms);
  }
}
