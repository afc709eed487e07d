// TCP on 127.0.0.1 (OS-chosen ports) for tests and benchmarks: a connected pair of sockets, and
// two peers over one.
import { Peer, type PeerOptions, SentNonces } from "../../peer/mod.ts";

/** Listens on 127.0.0.1 port 0, dials it, and returns the dialed and the accepted socket. */
export async function tcpSockets(): Promise<[Deno.TcpConn, Deno.TcpConn]> {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  try {
    const accepted = listener.accept();
    const dialed = await Deno.connect({ hostname: "127.0.0.1", port: listener.addr.port });
    return [dialed, await accepted];
  } finally {
    listener.close();
  }
}

/**
 * Two peers on regtest over TCP, the handshake started: `outbound` dialed `inbound`. Each is
 * its own node (its own version nonces), as two processes would be.
 */
export async function tcpPeers(
  outboundOptions: PeerOptions = {},
  inboundOptions: PeerOptions = {},
): Promise<{ outbound: Peer; inbound: Peer }> {
  const [dialed, accepted] = await tcpSockets();
  const outbound = new Peer(dialed, {
    network: "regtest",
    address: `127.0.0.1:${(accepted.localAddr as Deno.NetAddr).port}`,
    ...outboundOptions,
  });
  const inbound = new Peer(accepted, {
    network: "regtest",
    inbound: true,
    address: `127.0.0.1:${(dialed.localAddr as Deno.NetAddr).port}`,
    sentNonces: new SentNonces(),
    ...inboundOptions,
  });
  return { outbound, inbound };
}
