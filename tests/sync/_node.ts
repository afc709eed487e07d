// Nodes that serve a TestChain the way a full node with a filter index does (Bitcoin Core with
// -blockfilterindex -peerblockfilters, btcd): `getheaders`, `getcfcheckpt`, `getcfheaders`,
// `getcfilters`, `getdata` for blocks, and `headers` announcements after `sendheaders`. Each
// can be told to lie or to stall in the ways the sync must survive.
import { filterHash, filterHeader } from "../../filters/mod.ts";
import type { Clock } from "../../peer/clock.ts";
import type { Peer } from "../../peer/peer.ts";
import { MemoryNetwork, type Net, Server, type ServerOptions } from "../../server/mod.ts";
import {
  type BlockHeader,
  CF_CHECKPT_INTERVAL,
  type InvVect,
  MAX_BLOCK_HEADERS_PER_MSG,
  type Message,
  ServiceFlag,
} from "../../wire/mod.ts";
import type { TestChain } from "./_chain.ts";

/** The regtest port every test node listens on. */
export const PORT = 18444;

/** NODE_NETWORK, NODE_WITNESS and NODE_COMPACT_FILTERS. */
export const FILTER_SERVICES = ServiceFlag.NETWORK | ServiceFlag.WITNESS |
  ServiceFlag.COMPACT_FILTERS;

/** How a node departs from honesty. */
export interface Behaviour {
  /** Serve no filters (and not advertise them). */
  readonly noFilters?: boolean;
  /**
   * A consistent lie about filters: the filter this node claims for a height (or undefined for
   * the honest one). Its filter headers, checkpoints and `cfilter`s all follow the lie.
   */
  readonly lieFilter?: (height: number, honest: Uint8Array) => Uint8Array | undefined;
  /** `cfilter`s that match no header: honest headers, this filter instead at these heights. */
  readonly badCFilter?: (height: number) => Uint8Array | undefined;
  /** Rewrites each `headers` answer. */
  readonly headers?: (headers: BlockHeader[]) => BlockHeader[];
  /** Commands it never answers. */
  readonly silent?: readonly string[];
  /** Answers to these commands (and everything after them) wait until `until` resolves. */
  readonly hold?: { readonly commands: readonly string[]; readonly until: Promise<void> };
  /**
   * With `lieFilter`: its `cfcheckpt` answers are the honest ones, so that the lie hides between
   * two checkpoints (its `cfheaders` contradict its own checkpoints).
   */
  readonly honestCheckpoints?: boolean;
}

/** A node on a MemoryNetwork serving a chain (which the test may replace or extend). */
export class TestNode {
  readonly server: Server;
  readonly host: string;
  chain: TestChain;
  readonly behaviour: Behaviour;
  /** Commands received, in order. */
  readonly received: string[] = [];
  #lieCache:
    | { chain: TestChain; length: number; filters: Uint8Array[]; headers: Uint8Array[] }
    | undefined;
  readonly #serving = new Set<Promise<void>>();

  /**
   * @param net The in-memory network (the node is `host` on it), or a `Net` such as
   *   `tcpNet()` (then pass `listen` too).
   */
  constructor(
    net: MemoryNetwork | Net,
    host: string,
    chain: TestChain,
    options: ServerOptions & { behaviour?: Behaviour; clock?: Clock } = {},
  ) {
    const { behaviour = {}, ...serverOptions } = options;
    this.host = host;
    this.chain = chain;
    this.behaviour = behaviour;
    this.server = new Server({
      network: "regtest",
      net: net instanceof MemoryNetwork ? net.host(host) : net,
      listen: { hostname: host, port: PORT },
      services: behaviour.noFilters ? ServiceFlag.NETWORK | ServiceFlag.WITNESS : FILTER_SERVICES,
      requiredServices: 0n,
      dnsSeed: false,
      targetOutbound: 0,
      userAgentName: "testnode",
      userAgentVersion: host,
      newestBlock: () => ({ hash: this.chain.tip.hash, height: this.chain.height }),
      onPeerReady: (peer) => {
        const task = this.#serve(peer).finally(() => this.#serving.delete(task));
        this.#serving.add(task);
      },
      ...serverOptions,
    });
  }

  async start(): Promise<this> {
    await this.server.start();
    return this;
  }

  async stop(): Promise<void> {
    await this.server.stop();
    await Promise.all(this.#serving);
  }

  /** Sends the headers above `from` to every peer that asked for announcements. */
  announce(from: number): void {
    const headers = this.chain.headers(from + 1, this.chain.height);
    for (const peer of this.server.peers) {
      if (peer.wantsHeaders) void peer.queueMessage({ command: "headers", headers });
      else {
        void peer.queueMessage({
          command: "inv",
          inventory: [{ type: 2, hash: this.chain.tip.hash }],
        });
      }
    }
  }

  async #serve(peer: Peer): Promise<void> {
    for await (const message of peer.messages()) {
      this.received.push(message.command);
      if (this.behaviour.silent?.includes(message.command)) continue;
      if (this.behaviour.hold?.commands.includes(message.command)) await this.behaviour.hold.until;
      const answers = this.#answer(message as Message);
      for (const answer of answers) void peer.queueMessage(answer);
    }
  }

  #answer(m: Message): Message[] {
    const chain = this.chain;
    switch (m.command) {
      case "getheaders": {
        let from = 0;
        for (const hash of m.locator) {
          const h = chain.heightOf(hash);
          if (h !== undefined) {
            from = h;
            break;
          }
        }
        const stop = chain.heightOf(m.hashStop) ?? chain.height;
        let headers = chain.headers(from + 1, Math.min(stop, from + MAX_BLOCK_HEADERS_PER_MSG));
        if (this.behaviour.headers) headers = this.behaviour.headers(headers);
        return [{ command: "headers", headers }];
      }
      case "getcfcheckpt": {
        const stop = chain.heightOf(m.stopHash);
        if (stop === undefined || this.behaviour.noFilters) return [];
        const filterHeaders: Uint8Array[] = [];
        for (let h = CF_CHECKPT_INTERVAL; h <= stop; h += CF_CHECKPT_INTERVAL) {
          filterHeaders.push(
            this.behaviour.honestCheckpoints ? chain.blocks[h].filterHeader : this.#filterHeader(h),
          );
        }
        return [{ command: "cfcheckpt", filterType: 0, stopHash: m.stopHash, filterHeaders }];
      }
      case "getcfheaders": {
        const stop = chain.heightOf(m.stopHash);
        if (stop === undefined || m.startHeight > stop || this.behaviour.noFilters) return [];
        const filterHashes: Uint8Array[] = [];
        for (let h = m.startHeight; h <= stop; h++) filterHashes.push(filterHash(this.#filter(h)));
        return [{
          command: "cfheaders",
          filterType: 0,
          stopHash: m.stopHash,
          previousFilterHeader: m.startHeight === 0
            ? new Uint8Array(32)
            : this.#filterHeader(m.startHeight - 1),
          filterHashes,
        }];
      }
      case "getcfilters": {
        const stop = chain.heightOf(m.stopHash);
        if (stop === undefined || m.startHeight > stop || this.behaviour.noFilters) return [];
        const out: Message[] = [];
        for (let h = m.startHeight; h <= stop; h++) {
          out.push({
            command: "cfilter",
            filterType: 0,
            blockHash: chain.blocks[h].hash,
            filter: this.behaviour.badCFilter?.(h) ?? this.#filter(h),
          });
        }
        return out;
      }
      case "getdata": {
        const out: Message[] = [];
        const missing: InvVect[] = [];
        for (const inv of m.inventory) {
          const h = chain.heightOf(inv.hash);
          if (h === undefined) missing.push(inv);
          else out.push({ command: "block", ...chain.blocks[h].block });
        }
        if (missing.length > 0) out.push({ command: "notfound", inventory: missing });
        return out;
      }
      default:
        return [];
    }
  }

  /** The filter this node claims for a height. */
  #filter(height: number): Uint8Array {
    const lie = this.#lies();
    return lie === undefined ? this.chain.blocks[height].filter : lie.filters[height];
  }

  #filterHeader(height: number): Uint8Array {
    const lie = this.#lies();
    return lie === undefined ? this.chain.blocks[height].filterHeader : lie.headers[height];
  }

  /** The lying node's filters and the filter headers they chain to (recomputed as it grows). */
  #lies(): { filters: Uint8Array[]; headers: Uint8Array[] } | undefined {
    const lie = this.behaviour.lieFilter;
    if (lie === undefined) return undefined;
    const chain = this.chain;
    if (this.#lieCache?.chain === chain && this.#lieCache.length === chain.blocks.length) {
      return this.#lieCache;
    }
    const filters: Uint8Array[] = [];
    const headers: Uint8Array[] = [];
    let previous: Uint8Array = new Uint8Array(32);
    for (const b of chain.blocks) {
      const filter = lie(b.height, b.filter) ?? b.filter;
      filters.push(filter);
      previous = filterHeader(filterHash(filter), previous);
      headers.push(previous);
    }
    this.#lieCache = { chain, length: chain.blocks.length, filters, headers };
    return this.#lieCache;
  }
}

/** The light client's node: a Server listening at `host` that the test nodes dial. */
export function clientServer(
  net: MemoryNetwork,
  host: string,
  options: ServerOptions = {},
): Server {
  return new Server({
    network: "regtest",
    net: net.host(host),
    listen: { hostname: host, port: PORT },
    requiredServices: 0n,
    dnsSeed: false,
    targetOutbound: 0,
    ...options,
  });
}

export { MemoryNetwork };
