// Two peers in one process over a real TCP connection on 127.0.0.1, for the end-to-end
// benchmarks.
import type { Peer, PeerOptions } from "../peer/mod.ts";
import { tcpPeers, tcpSockets } from "../tests/_util/tcp.ts";

export { tcpSockets };

/** Two peers over TCP, handshake done: `outbound` dialed `inbound`. */
export async function connectedTcpPeers(
  outboundOptions: PeerOptions = {},
  inboundOptions: PeerOptions = {},
): Promise<{ outbound: Peer; inbound: Peer }> {
  const peers = await tcpPeers(outboundOptions, inboundOptions);
  const ready = await Promise.all([peers.outbound.ready, peers.inbound.ready]);
  if (!ready.every((ok) => ok)) throw new Error("handshake failed");
  return peers;
}
