// Hosts and ports as the server handles them: `host:port` text both ways (IPv6 in brackets),
// and a host as a BIP 155 address when it is one.
import {
  type NetAddressV2,
  netAddressV2FromString,
  type NetAddressV2Options,
} from "../wire/mod.ts";

/** `host:port`, with brackets around an IPv6 literal. */
export function joinHostPort(host: string, port: number): string {
  return host.includes(":") ? `[${host}]:${port}` : `${host}:${port}`;
}

/** The host without the brackets of a bracketed IPv6 literal. */
export function unbracket(host: string): string {
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

/** `host[:port]` (IPv6 in brackets when a port is given) as host and port. */
export function parseHostPort(text: string, defaultPort: number): { host: string; port: number } {
  const bracketed = /^\[([^\]]+)\](?::(\d{1,5}))?$/.exec(text);
  if (bracketed !== null) {
    return { host: bracketed[1], port: portOf(bracketed[2], defaultPort, text) };
  }
  const colons = text.split(":").length - 1;
  if (colons === 1) {
    const [host, port] = text.split(":");
    if (host !== "") return { host, port: portOf(port, defaultPort, text) };
  } else if (text !== "") {
    // No colon, or a bare IPv6 literal: the whole text is the host.
    return { host: text, port: defaultPort };
  }
  throw new TypeError(`Invalid peer address "${text}": expected host[:port]`);
}

function portOf(digits: string | undefined, defaultPort: number, text: string): number {
  if (digits === undefined) return defaultPort;
  const port = Number(digits);
  if (!/^\d{1,5}$/.test(digits) || port < 1 || port > 0xffff) {
    throw new TypeError(`Invalid port in "${text}"`);
  }
  return port;
}

/**
 * `host` as a BIP 155 address when it is an address (an IP literal, `.onion`, `.b32.i2p`);
 * undefined for a host name or anything else.
 */
export function tryNetAddress(
  host: string,
  port: number,
  options?: NetAddressV2Options,
): NetAddressV2 | undefined {
  try {
    return netAddressV2FromString(host, port, options);
  } catch {
    return undefined;
  }
}
