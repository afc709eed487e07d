// Nodes on an in-memory network for server tests: a Server per host, and plain peers that
// dial a server, as a remote node would.
import { SentNonces } from "../../peer/handshake.ts";
import type { MessageListeners } from "../../peer/listeners.ts";
import { Peer, type PeerOptions } from "../../peer/peer.ts";
import type { MemoryNetwork } from "../../server/memory_network.ts";
import { Server } from "../../server/server.ts";
import type { ServerOptions } from "../../server/server_options.ts";
import { type NetAddressV2, netAddressV2FromString, ServiceFlag } from "../../wire/mod.ts";
import { delay } from "@std/async/delay";

/** The regtest port every test node listens on. */
export const PORT = 18444;

/** A regtest server at `host`, listening there, that doesn't require NODE_NETWORK. */
export function serverAt(net: MemoryNetwork, host: string, options: ServerOptions = {}): Server {
  return new Server({
    network: "regtest",
    net: net.host(host),
    listen: { hostname: host, port: PORT },
    requiredServices: 0n,
    dnsSeed: false,
    ...options,
  });
}

/** A plain outbound peer from `from` to a server at `to`, as another node would dial it. */
export async function dialServer(
  net: MemoryNetwork,
  from: string,
  to: string,
  options: PeerOptions & { listeners?: MessageListeners } = {},
): Promise<Peer> {
  const connection = await net.host(from).dial(to, PORT);
  return new Peer(connection, {
    network: "regtest",
    address: `${to}:${PORT}`,
    services: ServiceFlag.NETWORK | ServiceFlag.WITNESS,
    sentNonces: new SentNonces(),
    ...options,
  });
}

/** A fresh routable address with a timestamp `ageS` seconds old. */
export function freshAddress(host: string, ageS = 0, port = 8333): NetAddressV2 {
  return netAddressV2FromString(host, port, {
    timestamp: Math.floor(Date.now() / 1000) - ageS,
    services: ServiceFlag.NETWORK,
  });
}

/** Polls `condition` every few milliseconds until it holds; fails after `timeoutMs`. */
export async function eventually(
  condition: () => boolean,
  what: string,
  timeoutMs = 10_000,
): Promise<void> {
  const start = Date.now();
  while (!condition()) {
    if (Date.now() - start > timeoutMs) throw new Error(`Timed out waiting for ${what}`);
    await delay(5);
  }
}

/**
 * Listens at `host` like a remote node and wraps the first inbound connection in a plain
 * inbound Peer; `close` stops listening.
 */
export function acceptAt(
  net: MemoryNetwork,
  host: string,
  options: PeerOptions = {},
): { peer: Promise<Peer>; close: () => void } {
  const listener = net.host(host).listen(host, PORT);
  const peer = (async () => {
    for await (const inbound of listener) {
      listener.close();
      return new Peer(inbound.connection, {
        network: "regtest",
        inbound: true,
        address: `${inbound.remoteHost}:${inbound.remotePort}`,
        sentNonces: new SentNonces(),
        // As a node of today: it accepts v2 and v1 alike.
        transport: "v2",
        ...options,
      });
    }
    throw new Error("Listener closed before a connection came");
  })();
  return { peer, close: () => listener.close() };
}
