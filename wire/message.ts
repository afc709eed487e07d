// The message table: every command this codec knows, its typed shape, and its codec.
import type { MessageCodec } from "./_codec.ts";
import { pingCodec, type PingMessage } from "./msg_ping.ts";
import { pongCodec, type PongMessage } from "./msg_pong.ts";

/**
 * Every message this library encodes and decodes, discriminated by `command`.
 *
 * @example
 * ```ts
 * import type { Message } from "@btcstream/p2p/wire";
 * function describe(m: Message): string {
 *   return m.command === "ping" ? `ping ${m.nonce}` : m.command;
 * }
 * console.log(describe({ command: "ping", nonce: 1n })); // "ping 1"
 * ```
 */
export type Message =
  | PingMessage
  | PongMessage;

/** A command this library knows. */
export type Command = Message["command"];

/**
 * A well-formed frame whose command this library does not know. The decoder stream passes
 * these on rather than failing, as Bitcoin Core and btcd ignore unknown commands.
 */
export interface UnknownMessage {
  readonly command: "unknown";
  /** The command named in the header. */
  readonly name: string;
  /** The payload, checksum verified. */
  readonly payload: Uint8Array;
}

// deno-lint-ignore no-explicit-any
type AnyCodec = MessageCodec<any>;

const CODECS: ReadonlyMap<string, AnyCodec> = new Map<string, AnyCodec>(
  [
    pingCodec,
    pongCodec,
  ].map((c) => [c.command, c]),
);

/** The codec for `command`, or undefined when the command is unknown. */
export function codecFor(command: string): AnyCodec | undefined {
  return CODECS.get(command);
}

/** Every known command. */
export const COMMANDS: readonly Command[] = [...CODECS.keys()] as Command[];
