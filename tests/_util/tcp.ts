// A connected pair of TCP sockets on 127.0.0.1 (OS-chosen port), for tests and benchmarks.

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
