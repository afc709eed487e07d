/**
 * The light client's network half: a {@linkcode HeaderSync} that keeps a
 * {@linkcode HeaderChain} in step with its peers, as a `ReadableStream` read at the reader's
 * pace.
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
 * import { HeaderSync } from "@btcstream/p2p/sync";
 * import { assertEquals } from "@std/assert";
 *
 * const net = new MemoryNetwork();
 * await using node = new Server({ network: "regtest", net: net.host("10.0.0.2") });
 * await using headers = new HeaderSync(new HeaderChain({ network: "regtest" }), { server: node });
 * await node.start();
 * assertEquals(headers.atTip, false); // no peer yet
 * ```
 *
 * @module
 */
export {
  DEFAULT_HEADER_EVENTS_HIGH_WATER_MARK,
  HEADERS_PROGRESS_TIMEOUT_MS,
  HeaderSync,
  type HeaderSyncEventsOptions,
  type HeaderSyncOptions,
  type HeaderSyncPeer,
} from "./header_sync.ts";
