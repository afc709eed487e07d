/**
 * Many peers: a {@linkcode Server} that listens and dials, keeps outbound connections
 * ({@linkcode ConnManager}), gossips addresses as Bitcoin Core does,
 * scores misbehaviour ({@linkcode DynamicBanScore}), keeps the median time offset
 * ({@linkcode MedianTimeSource}) and matches peers against IP ranges for whitelists and bans
 * ({@linkcode SubnetSet}). Sockets sit behind a {@linkcode Net}: TCP through
 * Deno (optionally via SOCKS5, for Tor), or a {@linkcode MemoryNetwork} for tests.
 *
 * @example
 * ```ts
 * import { MemoryNetwork, Server } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 *
 * const net = new MemoryNetwork();
 * const seed = new Server({
 *   network: "regtest", net: net.host("10.0.0.1"), listen: { hostname: "10.0.0.1" },
 * });
 * await seed.start();
 * const node = new Server({
 *   network: "regtest", net: net.host("10.0.0.2"), addPeers: ["10.0.0.1"],
 * });
 * await node.start();
 * await node.nextPeer();
 * assertEquals(node.peerInfo().map((p) => p.addr), ["10.0.0.1:18444"]);
 * await node.stop();
 * await seed.stop();
 * ```
 *
 * @module
 */
export * from "./addr_rate_limiter.ts";
export * from "./ban_score.ts";
export * from "./conn_manager.ts";
export * from "./dns_seed.ts";
export * from "./known_addresses.ts";
export * from "./median_time.ts";
export * from "./memory_network.ts";
export type { PeerInfo } from "./peer_info.ts";
export { Server } from "./server.ts";
export {
  DEFAULT_MAX_PEERS,
  type FailedConnection,
  type ListenOptions,
  type MisbehavingScore,
  type ServerOptions,
} from "./server_options.ts";
export type { Ban } from "./_ban_list.ts";
export * from "./socks5.ts";
export { parseSubnet, type Subnet, SubnetSet } from "./subnet.ts";
export * from "./net.ts";
export type { ConnectionType } from "./_server_peer.ts";
export type { Clock, Timer } from "../peer/clock.ts";
export type { NetAddressV2 } from "../wire/net_address_v2.ts";
