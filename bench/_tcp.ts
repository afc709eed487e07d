// Two peers in one process over a real TCP connection on 127.0.0.1, for the end-to-end
// benchmarks.
import { Peer, type PeerOptions, SentNonces } from "../peer/mod.ts";
import { tcpSockets } from "../tests/_util/tcp.ts";

export { tcpSockets };

/** Two peers over TCP, handshake done: `outbound` dialed `inbound`. */
export async function tcpPeers(
  outboundOptions: PeerOptions = {},
  inboundOptions: PeerOptions = {},
): Promise<{ outbound: Peer; inbound: Peer }> {
  const [dialed, accepted] = await tcpSockets();
  const outbound = new Peer(dialed, {
    network: "regtest",
    address: "127.0.0.1:1",
    ...outboundOptions,
  });
  const inbound = new Peer(accepted, {
    network: "regtest",
    inbound: true,
    address: "127.0.0.1:2",
    sentNonces: new SentNonces(),
    ...inboundOptions,
  });
  if (!(await outbound.ready) || !(await inbound.ready)) throw new Error("handshake failed");
  return { outbound, inbound };
}
