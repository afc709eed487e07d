// What the server keeps about each of its peers, beside the peer itself (btcd's
// `serverPeer`): how it connected, what it knows, and the budgets it spends.
import type { Clock, Timer } from "../peer/clock.ts";
import type { Peer } from "../peer/peer.ts";
import type { NetAddressV2 } from "../wire/mod.ts";
import { tryNetAddress } from "./_host_port.ts";
import { AddrRateLimiter } from "./addr_rate_limiter.ts";
import { DynamicBanScore } from "./ban_score.ts";
import type { ConnRequest } from "./conn_manager.ts";
import { KnownAddresses } from "./known_addresses.ts";

/** How a peer came to be connected, as Bitcoin Core's `connection_type`. */
export type ConnectionType = "inbound" | "outbound-full-relay" | "manual";

let lastSequence = 0;

export class ServerPeer {
  /** Set right after the peer is made (its listeners need this record first). */
  peer!: Peer;
  readonly host: string;
  readonly port: number;
  /** The connection manager's request, for outbound peers. */
  readonly request: ConnRequest | undefined;
  readonly type: ConnectionType;
  /** Addresses the remote has sent us or we sent it (btcd's per-peer `knownAddresses`). */
  readonly knownAddresses: KnownAddresses = new KnownAddresses();
  /** Bitcoin Core's address token bucket. */
  readonly addrLimiter: AddrRateLimiter;
  readonly banScore: DynamicBanScore;
  /** We sent `getaddr` and its answer has not come (Core's `m_getaddr_sent`). */
  getAddrSent = false;
  /** We answered its `getaddr` (once per connection). */
  getAddrAnswered = false;
  /**
   * An inbound peer sent `addr`, `addrv2` or `getaddr`, so it takes part in address relay
   * (Core's `m_addr_relay_enabled`, set up by `SetupAddressRelay`); outbound peers always do.
   */
  addrRelayEnabled = false;
  /** Addresses from it that passed the rate limit and were processed. */
  addrProcessed = 0;
  /** Addresses waiting for the next `addr` to this peer (Core's `m_addrs_to_send`). */
  addrQueue: NetAddressV2[] = [];
  /** When the next `addr` may go (Core's `m_next_addr_send`); 0 before the first. */
  nextAddrSendAt = 0;
  /** When our address is next announced to it (Core's `m_next_local_addr_send`); 0: never. */
  nextSelfAnnounceAt = 0;
  /** The timer of a queued `addr`, while one waits. */
  addrTimer: Timer | undefined;
  /** Frees the inbound handshake slot of its source (after the handshake or the end). */
  releaseAdmission: (() => void) | undefined;
  /** Connection order on this server (eviction's tie-break: later goes first). */
  readonly sequence: number;
  /** When the connection was made, on the server's clock. */
  readonly connectedAt: number;
  /** When it last sent a block the application found new (`Server.noteNovelBlock`); 0: never. */
  lastBlockAt = 0;
  /** When it last sent a transaction the application found new; 0: never. */
  lastTxAt = 0;
  /** It loaded a BIP 37 bloom filter. */
  bloomFilter = false;
  readonly #clock: Clock;
  /** The parsed remote, once asked for (`null`: not yet; undefined: a host name). */
  #address: NetAddressV2 | undefined | null = null;

  constructor(
    host: string,
    port: number,
    request: ConnRequest | undefined,
    type: ConnectionType,
    clock: Clock,
  ) {
    this.host = host;
    this.port = port;
    this.request = request;
    this.type = type;
    this.#clock = clock;
    this.addrLimiter = new AddrRateLimiter({ clock });
    this.banScore = new DynamicBanScore({ clock });
    this.sequence = ++lastSequence;
    this.connectedAt = clock.now();
  }

  /** Releases what the record holds once the peer has ended. */
  close(): void {
    this.addrTimer?.cancel();
    this.addrTimer = undefined;
    this.addrQueue = [];
    this.releaseAdmission?.();
  }

  get inbound(): boolean {
    return this.request === undefined;
  }

  /** The remote as a BIP 155 address with its services; undefined for a host name. */
  get netAddress(): NetAddressV2 | undefined {
    // The host and port never change: parse them once.
    if (this.#address === null) this.#address = tryNetAddress(this.host, this.port);
    if (this.#address === undefined) return undefined;
    return {
      ...this.#address,
      services: this.peer?.services ?? 0n,
      timestamp: Math.floor(this.#clock.now() / 1000),
    };
  }
}
