/**
 * btcstream: Bitcoin's peer-to-peer layer for Deno, on web streams.
 *
 * This root module re-exports the entry points: the wire codec (`@btcstream/p2p/wire`: every
 * P2P message as typed data, framing, the decoder and encoder streams), the peer
 * (`@btcstream/p2p/peer`: one connection, its handshake, listeners, queue, timers), the
 * address manager (`@btcstream/p2p/addrmgr`: the address book), the server
 * (`@btcstream/p2p/server`: many peers) and the verified header chain
 * (`@btcstream/p2p/headers`: proof of work, retargets, reorganizations, its file).
 *
 * @example
 * ```ts
 * import { encodeMessage, MessageDecoderStream } from "@btcstream/p2p";
 *
 * const bytes = encodeMessage({ command: "ping", nonce: 42n }, { network: "regtest" });
 * const stream = ReadableStream.from([bytes])
 *   .pipeThrough(new MessageDecoderStream({ network: "regtest" }));
 * for await (const message of stream) console.log(message); // { command: "ping", nonce: 42n }
 * ```
 *
 * @module
 */
export * from "./wire/mod.ts";
export * from "./peer/mod.ts";
export * from "./addrmgr/mod.ts";
export * from "./server/mod.ts";
export * from "./headers/mod.ts";
