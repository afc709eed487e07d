/**
 * The light client's network half: a {@linkcode HeaderSync} that keeps a
 * {@linkcode HeaderChain} in step with its peers, and a {@linkcode FilterSync} that runs a
 * wallet's scripts against BIP 158 filters checked through BIP 157's filter header chain, both
 * as `ReadableStream`s read at the reader's pace.
 *
 * This folder sits above `server/` (and `headers/`, `filters/`, `peer/`): it drives peers and
 * reports misbehaviour to a server, which the pure chain and filter modules below it must not
 * do. `headers/` and `filters/` decide what is valid; this decides whom to ask, when, and what
 * to do with a peer that lies or stalls.
 *
 * @example
 * ```ts
 * import { HeaderChain } from "@btcstream/p2p/headers";
 * import { MemoryNetwork, Server } from "@btcstream/p2p/server";
 * import { FilterSync, HeaderSync } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 *
 * // A node whose only peer serves nothing: the filter sync, asked to start after genesis,
 * // reports at once that it has every block up to the tip (genesis, for now).
 * const net = new MemoryNetwork();
 * await using remote = new Server({ network: "regtest", net: net.host("10.0.0.1"), listen: { hostname: "10.0.0.1" } });
 * await remote.start();
 * await using node = new Server({ network: "regtest", net: net.host("10.0.0.2"), connect: ["10.0.0.1"] });
 * const chain = new HeaderChain({ network: "regtest" });
 * await using headers = new HeaderSync(chain, { server: node });
 * await using filters = new FilterSync(headers, { startHeight: 1 });
 * await node.start();
 *
 * const reader = filters.readable.getReader();
 * assertEquals((await reader.read()).value?.type, "synced");
 * reader.releaseLock();
 * ```
 *
 * @module
 */
export { HeaderSync } from "./header_sync.ts";
export {
  DEFAULT_HEADER_EVENTS_HIGH_WATER_MARK,
  HEADERS_PROGRESS_TIMEOUT_MS,
  type HeaderSyncEventsOptions,
  type HeaderSyncOptions,
  type HeaderSyncPeer,
} from "./header_sync_options.ts";
export {
  DEFAULT_FILTER_EVENTS_HIGH_WATER_MARK,
  DEFAULT_MAX_FILTER_PEERS,
  FILTER_RESPONSE_TIMEOUT_MS,
  type FilterBlockEvent,
  type FilterEvent,
  type FilterReorgEvent,
  FilterSync,
  type FilterSyncedEvent,
  type FilterSyncOptions,
} from "./filter_sync.ts";
