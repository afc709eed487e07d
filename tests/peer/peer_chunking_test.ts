// A remote's handshake and first message, at protocol versions old and new, split into TCP
// segments at every byte: the peer must decode each message at the version negotiated by the
// time it is handled, whatever arrived in the same read. (A remote at 60000 that sent `verack`
// and `ping` in one segment used to end with "nonce needs 8 bytes": the payload was decoded as
// it arrived, at our version, before the handshake had negotiated the remote's.)
import { assert, assertEquals } from "@std/assert";
import { encodeMessage, type Message, type NetworkName } from "../../wire/mod.ts";
import { remoteVersion, startPeer } from "../_util/raw_remote.ts";

const NETWORK: NetworkName = "regtest";

/** First messages whose encoding depends on the protocol version. */
function firstMessages(version: number): Message[] {
  return [
    // BIP 31: a nonce only after 60000.
    { command: "ping", nonce: version > 60_000 ? 0x1234_5678_9abc_def0n : 0n },
    // Addresses carry a timestamp from 31402 on.
    {
      command: "addr",
      addresses: [{
        ...(version >= 31_402 ? { timestamp: 1_700_000_000 } : {}),
        services: 1n,
        ip: new Uint8Array([...new Uint8Array(10), 0xff, 0xff, 8, 8, 4, 4]),
        port: 8333,
      }],
    },
  ];
}

/** What the remote sends: its `version`, feature messages, `verack`, the first message. */
function remoteBytes(version: number, first: Message): Uint8Array {
  const frames: Uint8Array[] = [];
  const encode = (m: Message) =>
    frames.push(encodeMessage(m, { network: NETWORK, protocolVersion: version }));
  encode(remoteVersion({ protocolVersion: version }));
  if (version >= 70_016) encode({ command: "sendaddrv2" });
  encode({ command: "verack" });
  encode(first);
  const out = new Uint8Array(frames.reduce((n, f) => n + f.length, 0));
  let at = 0;
  for (const f of frames) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** Splits: whole, a byte at a time, and in two at every offset. */
function* chunkings(bytes: Uint8Array): Generator<Uint8Array[]> {
  yield [bytes];
  yield Array.from(bytes, (_, i) => bytes.subarray(i, i + 1));
  for (let i = 1; i < bytes.length; i++) yield [bytes.subarray(0, i), bytes.subarray(i)];
}

/** Runs one case; returns what the peer's listener saw and how it ended up. */
async function run(
  version: number,
  inbound: boolean,
  chunks: Uint8Array[],
): Promise<{ ready: boolean; seen: Message | undefined; code: string | undefined }> {
  let seen: Message | undefined;
  const { peer, remote, close } = startPeer({
    inbound,
    remoteProtocolVersion: version,
    listeners: {
      onPing: (_p, m) => void (seen = m),
      onAddr: (_p, m) => void (seen = m),
    },
  });
  if (!inbound) await remote.expect("version");
  for (const chunk of chunks) await remote.sendBytes(chunk.slice());
  const ready = await peer.ready;
  if (ready) {
    // Wait until the first message was handled, or the peer ended.
    await Promise.race([
      peer.closed,
      (async () => {
        while (seen === undefined && peer.connected) await new Promise((r) => setTimeout(r, 0));
      })(),
    ]);
  }
  const code = peer.connected ? undefined : (await peer.closed).code;
  await close();
  return { ready, seen, code };
}

for (const version of [209, 31_401, 60_000, 60_001, 70_001, 70_015, 70_016]) {
  Deno.test(`handshake and first message at protocol ${version}, in every chunking`, async (t) => {
    for (const first of firstMessages(version)) {
      for (const inbound of [true, false]) {
        await t.step(`${first.command}, ${inbound ? "inbound" : "outbound"}`, async () => {
          // An outbound peer's remote reads our version first and sends all of this after it.
          const stream = remoteBytes(version, first);
          let cases = 0;
          for (const chunks of chunkings(stream)) {
            const { ready, seen, code } = await run(version, inbound, chunks);
            const where = `split ${chunks.map((c) => c.length).join("+")}`;
            assert(ready, `${where}: the handshake failed (${code})`);
            assertEquals(code, undefined, `${where}: the peer ended`);
            assertEquals(seen, first, `${where}: the first message`);
            cases++;
          }
          assertEquals(cases, stream.length + 1);
        });
      }
    }
  });
}

Deno.test("messages before a bad frame in the same read are handled before the peer ends", async () => {
  const nonces: bigint[] = [];
  const { connectedPeer } = await import("../_util/raw_remote.ts");
  const { peer, remote, close } = await connectedPeer({
    listeners: { onPing: (_p, m) => void nonces.push(m.nonce) },
  });
  const bad = remote.frame({ command: "ping", nonce: 3n });
  bad[20] ^= 0xff; // the checksum
  await remote.sendBytes(
    new Uint8Array([
      ...remote.frame({ command: "ping", nonce: 1n }),
      ...remote.frame({ command: "ping", nonce: 2n }),
      ...bad,
    ]),
  );
  const reason = await peer.closed;
  assertEquals(reason.code, "protocol-error");
  assertEquals(nonces, [1n, 2n]);
  await close();
});
