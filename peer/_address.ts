// The remote's `host:port` as the peer was given it, parsed for `version.addr_recv` and the
// peer's BIP 155 address.
import { type NetAddress, netAddressFromHost } from "../wire/mod.ts";

/** `host:port` split, IPv6 in brackets; undefined when it does not have that shape. */
export function splitHostPort(address: string): { host: string; port: number } | undefined {
  const match = /^\[?([^\]]*?)\]?:(\d{1,5})$/.exec(address);
  if (match === null) return undefined;
  const port = Number(match[2]);
  return port <= 0xffff ? { host: match[1], port } : undefined;
}

/** The remote as `version.addr_recv`: its IP and port, or all zeros (Tor, host names). */
export function remoteNetAddress(address: string): NetAddress {
  const parsed = splitHostPort(address);
  if (parsed !== undefined) {
    try {
      return netAddressFromHost(parsed.host, parsed.port);
    } catch {
      // Not an IP literal: as btcd for Tor, announce 0.0.0.0.
    }
  }
  return { services: 0n, ip: new Uint8Array(16), port: 0 };
}
