// Two peers in one process over a real TCP connection on 127.0.0.1, for the end-to-end
// benchmarks.
import { Peer, type PeerOptions, SentNonces } from "../peer/mod.ts";

/** A connected pair of TCP sockets on 127.0.0.1 (OS-chosen port). */
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
