// A SOCKS5 client (RFC 1928) with username/password authentication (RFC 1929): what dialing
// through Tor needs. Tor treats each distinct username/password as its own circuit, which is
// how btcd's --torisolation keeps peers from sharing one.
//
// The handshake reads exactly the bytes each step needs and never more: the proxy may send its
// reply and the remote's first bytes in one segment, and those must stay in the socket for the
// peer that reads it next.
import { parseIp } from "../wire/mod.ts";

/**
 * Where a SOCKS5 proxy is and how to log in.
 *
 * @example
 * ```ts
 * import { type Socks5ProxyOptions, tcpNet } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * // Tor's SOCKS port, with a circuit of its own for every connection (btcd's --torisolation).
 * const tor: Socks5ProxyOptions = { host: "127.0.0.1", port: 9050, isolate: true };
 * const net = tcpNet({ proxy: tor }); // dials go through Tor; listening stays direct
 * assertEquals(typeof net.dial, "function");
 * ```
 */
export interface Socks5ProxyOptions {
  /** The proxy's host (an IPv6 literal without brackets). */
  readonly host: string;
  /** The proxy's port. */
  readonly port: number;
  /** RFC 1929 username (1 to 255 bytes of UTF-8). */
  readonly username?: string;
  /** RFC 1929 password (up to 255 bytes of UTF-8); used with `username`. */
  readonly password?: string;
  /**
   * Random credentials for every connection, so Tor builds a separate circuit for each
   * (btcd's `--torisolation`); overrides `username` and `password`.
   */
  readonly isolate?: boolean;
}

/** Options for {@linkcode socks5Connect}. */
export interface Socks5ConnectOptions {
  /** RFC 1929 username; without it only "no authentication" is offered. */
  readonly username?: string;
  /** RFC 1929 password; defaults to the empty string. */
  readonly password?: string;
}

/**
 * The reply codes of a SOCKS5 proxy (RFC 1928 section 6), and Tor's onion service codes
 * (Tor proposal 304).
 *
 * @example
 * ```ts
 * import { Socks5ReplyCode } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * assertEquals(Socks5ReplyCode.HOST_UNREACHABLE, 4);
 * ```
 */
export const Socks5ReplyCode = {
  GENERAL_FAILURE: 0x01,
  NOT_ALLOWED: 0x02,
  NETWORK_UNREACHABLE: 0x03,
  HOST_UNREACHABLE: 0x04,
  CONNECTION_REFUSED: 0x05,
  TTL_EXPIRED: 0x06,
  COMMAND_NOT_SUPPORTED: 0x07,
  ADDRESS_TYPE_NOT_SUPPORTED: 0x08,
  ONION_DESCRIPTOR_NOT_FOUND: 0xf0,
  ONION_DESCRIPTOR_INVALID: 0xf1,
  ONION_INTRODUCTION_FAILED: 0xf2,
  ONION_RENDEZVOUS_FAILED: 0xf3,
  ONION_MISSING_CLIENT_AUTH: 0xf4,
  ONION_WRONG_CLIENT_AUTH: 0xf5,
  ONION_BAD_ADDRESS: 0xf6,
  ONION_INTRODUCTION_TIMED_OUT: 0xf7,
} as const;

const REPLY_TEXT: Readonly<Record<number, string>> = {
  0x01: "general SOCKS server failure",
  0x02: "connection not allowed by ruleset",
  0x03: "network unreachable",
  0x04: "host unreachable",
  0x05: "connection refused",
  0x06: "TTL expired",
  0x07: "command not supported",
  0x08: "address type not supported",
  0xf0: "onion service descriptor not found",
  0xf1: "onion service descriptor is invalid",
  0xf2: "onion service introduction failed",
  0xf3: "onion service rendezvous failed",
  0xf4: "onion service client authorization missing",
  0xf5: "onion service client authorization wrong",
  0xf6: "onion address invalid",
  0xf7: "onion service introduction timed out",
};

/**
 * Why a SOCKS5 handshake failed: the proxy's reply code (1 to 255), or a protocol error.
 *
 * - `truncated`: the proxy closed the connection in the middle of a message.
 * - `bad-version`: a message from the proxy does not start with the SOCKS version.
 * - `no-acceptable-method`: the proxy accepts none of the offered authentication methods.
 * - `unexpected-method`: the proxy chose an authentication method that was not offered.
 * - `auth-failed`: the proxy rejected the username and password.
 * - `bad-address-type`: the reply's bound address has an unknown type.
 */
export type Socks5ErrorCode =
  | number
  | "truncated"
  | "bad-version"
  | "no-acceptable-method"
  | "unexpected-method"
  | "auth-failed"
  | "bad-address-type";

/**
 * A failed SOCKS5 handshake: the proxy refused the connection or broke the protocol.
 *
 * @example
 * ```ts
 * import { Socks5Error } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * const error = new Socks5Error(4);
 * assertEquals(error.code, 4);
 * assertEquals(error.message, "SOCKS5 proxy refused: host unreachable (4)");
 * ```
 */
export class Socks5Error extends Error {
  /** The proxy's reply code, or the protocol error. */
  readonly code: Socks5ErrorCode;

  /**
   * Creates an error.
   *
   * @param code The reply code or protocol error.
   * @param message What failed; defaults to the reply code's meaning.
   */
  constructor(code: Socks5ErrorCode, message?: string) {
    super(
      message ??
        (typeof code === "number"
          ? `SOCKS5 proxy refused: ${REPLY_TEXT[code] ?? "unknown reply code"} (${code})`
          : `SOCKS5 handshake failed: ${code}`),
    );
    this.name = "Socks5Error";
    this.code = code;
  }
}

/** What the handshake needs of a connection (a `Deno.TcpConn` has it). */
interface Socks5Stream {
  read(p: Uint8Array): Promise<number | null>;
  write(p: Uint8Array): Promise<number>;
}

const VERSION = 0x05;
const AUTH_VERSION = 0x01;
const METHOD_NONE = 0x00;
const METHOD_USERNAME_PASSWORD = 0x02;
const METHOD_UNACCEPTABLE = 0xff;
const CMD_CONNECT = 0x01;
const ATYP_IPV4 = 0x01;
const ATYP_DOMAIN = 0x03;
const ATYP_IPV6 = 0x04;

const encoder = new TextEncoder();

/**
 * Asks a SOCKS5 proxy, over a connection to it, to connect to `host:port`: greeting,
 * authentication, then CONNECT. IP literals go as addresses, anything else (a DNS name, a
 * `.onion`) as a name the proxy resolves, so nothing leaks to the local resolver. Afterwards
 * the connection carries the remote's bytes.
 *
 * @param conn The connection to the proxy (a `Deno.TcpConn` or anything with its `read` and
 * `write`).
 * @param destination Where the proxy connects: `host` an IPv4 or IPv6 literal (brackets
 *   allowed) or a host name, and `port`.
 * @param options Credentials.
 * @returns When the proxy has connected; the reply was read exactly, nothing beyond it.
 * @throws {Socks5Error} When the proxy refuses or breaks the protocol.
 * @throws {RangeError} When the port, the name or a credential is out of range.
 *
 * @example
 * ```ts
 * import { socks5Connect } from "@btcstream/p2p/server";
 * import { assertEquals } from "@std/assert";
 * // A scripted proxy: "no authentication", then "succeeded", then the remote's first bytes.
 * const incoming = Uint8Array.of(5, 0, 5, 0, 0, 1, 127, 0, 0, 1, 0x20, 0x8d, 0xf9, 0xbe);
 * let offset = 0;
 * const conn = {
 *   read(p: Uint8Array): Promise<number | null> {
 *     const n = Math.min(p.length, incoming.length - offset);
 *     p.set(incoming.subarray(offset, offset + n));
 *     offset += n;
 *     return Promise.resolve(n === 0 ? null : n);
 *   },
 *   write: (p: Uint8Array): Promise<number> => Promise.resolve(p.length),
 * };
 * await socks5Connect(conn, { host: "seed.bitcoin.sipa.be", port: 8333 });
 * assertEquals(incoming.subarray(offset), Uint8Array.of(0xf9, 0xbe)); // left for the peer to read
 * ```
 */
export async function socks5Connect(
  conn: { read(p: Uint8Array): Promise<number | null>; write(p: Uint8Array): Promise<number> },
  destination: { readonly host: string; readonly port: number },
  options: Socks5ConnectOptions = {},
): Promise<void> {
  const request = connectRequest(destination.host, destination.port);
  const auth = options.username === undefined
    ? undefined
    : authRequest(options.username, options.password ?? "");

  // Greeting: offer "no authentication", and username/password when there are credentials
  // (Tor picks username/password when offered, which is what isolation relies on).
  await writeAll(
    conn,
    auth === undefined
      ? Uint8Array.of(VERSION, 1, METHOD_NONE)
      : Uint8Array.of(VERSION, 2, METHOD_NONE, METHOD_USERNAME_PASSWORD),
  );
  const [version, method] = await readExact(conn, 2, "method selection");
  if (version !== VERSION) throw badVersion("method selection", version);
  if (method === METHOD_UNACCEPTABLE) {
    throw new Socks5Error(
      "no-acceptable-method",
      `SOCKS5 proxy accepts none of the offered authentication methods (${
        auth === undefined ? "none" : "none, username/password"
      })`,
    );
  }
  if (method === METHOD_USERNAME_PASSWORD && auth !== undefined) {
    await writeAll(conn, auth);
    const [authVersion, status] = await readExact(conn, 2, "authentication reply");
    // RFC 1929 says version 1; some proxies answer 5. Only the status matters.
    if (authVersion !== AUTH_VERSION && authVersion !== VERSION) {
      throw badVersion("authentication reply", authVersion);
    }
    if (status !== 0) {
      throw new Socks5Error(
        "auth-failed",
        `SOCKS5 proxy rejected the username and password (status ${status})`,
      );
    }
  } else if (method !== METHOD_NONE) {
    throw new Socks5Error(
      "unexpected-method",
      `SOCKS5 proxy chose authentication method ${method}, which was not offered`,
    );
  }

  await writeAll(conn, request);
  const [replyVersion, reply] = await readExact(conn, 2, "connect reply");
  if (replyVersion !== VERSION) throw badVersion("connect reply", replyVersion);
  if (reply !== 0) throw new Socks5Error(reply);
  const [, addressType] = await readExact(conn, 2, "connect reply");
  let rest: number;
  if (addressType === ATYP_IPV4) rest = 4 + 2;
  else if (addressType === ATYP_IPV6) rest = 16 + 2;
  else if (addressType === ATYP_DOMAIN) {
    rest = (await readExact(conn, 1, "connect reply"))[0] + 2;
  } else {
    throw new Socks5Error(
      "bad-address-type",
      `SOCKS5 proxy replied with unknown bound address type ${addressType}`,
    );
  }
  // The bound address and port: read to leave the stream at the remote's first byte.
  await readExact(conn, rest, "connect reply");
}

/** The CONNECT request for `host:port`. */
function connectRequest(host: string, port: number): Uint8Array {
  if (!Number.isInteger(port) || port < 0 || port > 0xffff) {
    throw new RangeError(`Cannot connect through SOCKS5: port ${port} is not in 0..65535`);
  }
  const bare = host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
  let address: Uint8Array;
  try {
    const ip = parseIp(bare);
    address = bare.includes(":")
      ? Uint8Array.of(ATYP_IPV6, ...ip)
      : Uint8Array.of(ATYP_IPV4, ...ip.subarray(12));
  } catch {
    const name = encoder.encode(bare);
    if (name.length === 0 || name.length > 255) {
      throw new RangeError(
        `Cannot connect through SOCKS5: host name of ${name.length} bytes is not 1..255 bytes`,
      );
    }
    address = Uint8Array.of(ATYP_DOMAIN, name.length, ...name);
  }
  return Uint8Array.of(VERSION, CMD_CONNECT, 0, ...address, port >> 8, port & 0xff);
}

/** The RFC 1929 username/password request. */
function authRequest(username: string, password: string): Uint8Array {
  const user = encoder.encode(username);
  const pass = encoder.encode(password);
  if (user.length === 0 || user.length > 255) {
    throw new RangeError(
      `Cannot authenticate to SOCKS5 proxy: username of ${user.length} bytes is not 1..255 bytes`,
    );
  }
  if (pass.length > 255) {
    throw new RangeError(
      `Cannot authenticate to SOCKS5 proxy: password of ${pass.length} bytes exceeds 255 bytes`,
    );
  }
  return Uint8Array.of(AUTH_VERSION, user.length, ...user, pass.length, ...pass);
}

function badVersion(what: string, version: number): Socks5Error {
  return new Socks5Error(
    "bad-version",
    `SOCKS5 proxy sent a ${what} with version ${version}, expected ${
      what === "authentication reply" ? AUTH_VERSION : VERSION
    }`,
  );
}

async function writeAll(conn: Socks5Stream, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) {
    offset += await conn.write(bytes.subarray(offset));
  }
}

/** Reads exactly `length` bytes, asking for no more than are still missing. */
async function readExact(conn: Socks5Stream, length: number, what: string): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  for (let offset = 0; offset < length;) {
    const n = await conn.read(buffer.subarray(offset));
    if (n === null || n === 0) {
      throw new Socks5Error(
        "truncated",
        `SOCKS5 proxy closed the connection after ${offset} of ${length} bytes of its ${what}`,
      );
    }
    offset += n;
  }
  return buffer;
}
