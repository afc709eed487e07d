// Small TCP helpers for tests on 127.0.0.1: a server that runs a handler per connection,
// an echo server, exact reads and writes on a Deno.Conn, and a one-way pump.

export interface Server {
  readonly port: number;
  close(): Promise<void>;
}

export function closeQuietly(c: { close(): void }): void {
  try {
    c.close();
  } catch {
    // Already closed.
  }
}

export async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  for (let offset = 0; offset < bytes.length;) offset += await conn.write(bytes.subarray(offset));
}

export async function readExact(conn: Deno.Conn, length: number): Promise<Uint8Array> {
  const buffer = new Uint8Array(length);
  for (let offset = 0; offset < length;) {
    const n = await conn.read(buffer.subarray(offset));
    if (n === null) throw new Error("closed");
    offset += n;
  }
  return buffer;
}

export async function pump(from: Deno.Conn, to: Deno.Conn): Promise<void> {
  const buffer = new Uint8Array(4096);
  try {
    for (let n = await from.read(buffer); n !== null; n = await from.read(buffer)) {
      await writeAll(to, buffer.subarray(0, n));
    }
  } catch {
    // The other side went away.
  } finally {
    closeQuietly(to);
  }
}

/** Serves connections on 127.0.0.1 with `handle`; `close()` ends everything it started. */
export function serve(handle: (conn: Deno.Conn) => Promise<void>): Server {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const conns = new Set<Deno.Conn>();
  const tasks = new Set<Promise<void>>();
  const loop = (async () => {
    for await (const conn of listener) {
      conns.add(conn);
      const task = handle(conn).catch(() => {}).finally(() => {
        closeQuietly(conn);
        conns.delete(conn);
      });
      tasks.add(task);
    }
  })().catch(() => {});
  return {
    port: listener.addr.port,
    async close() {
      closeQuietly(listener);
      for (const conn of conns) closeQuietly(conn);
      await loop;
      await Promise.all(tasks);
    },
  };
}

export function echoServer(): Server {
  return serve((conn) => pump(conn, conn));
}
