/**
 * btcstream: Bitcoin's peer-to-peer layer for Deno, on web streams.
 *
 * This root module re-exports every entry point; each can also be imported on its own:
 *
 * - `@btcstream/p2p/wire`: every P2P message as typed data, v1 framing, the decoder and
 *   encoder streams;
 * - `@btcstream/p2p/transport`: BIP 324's v2 encrypted transport, without I/O
 *   (ElligatorSwift, the ciphers, packets, the session a peer drives);
 * - `@btcstream/p2p/peer`: one connection: its handshake, listeners, send queue with
 *   backpressure both ways, pings, stall detection and statistics;
 * - `@btcstream/p2p/addrmgr`: the address book (new and tried buckets, selection,
 *   persistence);
 * - `@btcstream/p2p/server`: a node: listening, outbound connections, address gossip,
 *   misbehaviour, inbound eviction and the median time offset;
 * - `@btcstream/p2p/headers`: a verified header chain (proof of work, retargets, checkpoints,
 *   reorganizations, headers presync, its file);
 * - `@btcstream/p2p/filters`: BIP 158 compact block filters (build, match) and BIP 157
 *   filter headers;
 * - `@btcstream/p2p/sync`: the light client's network half: headers from peers into a
 *   `HeaderChain`, and a wallet's filters checked across peers (BIP 157), as streams.
 *
 * @example
 * ```ts
 * import { encodeMessage, MessageDecoderStream } from "@btcstream/p2p";
 * import { assertEquals } from "@std/assert";
 *
 * const bytes = encodeMessage({ command: "ping", nonce: 42n }, { network: "regtest" });
 * const stream = ReadableStream.from([bytes])
 *   .pipeThrough(new MessageDecoderStream({ network: "regtest" }));
 * assertEquals(await Array.fromAsync(stream), [{ command: "ping", nonce: 42n }]);
 * ```
 *
 * @module
 */
export * from "./wire/mod.ts";
export * from "./transport/mod.ts";
export * from "./peer/mod.ts";
export * from "./addrmgr/mod.ts";
export * from "./server/mod.ts";
export * from "./filters/mod.ts";
export * from "./headers/mod.ts";
export * from "./sync/mod.ts";
