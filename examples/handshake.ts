// Says hello to one Bitcoin node: dials it, runs the version handshake, times one ping, prints
// what the node told us about itself, and disconnects.
//
//   deno run --allow-net examples/handshake.ts seed.example.org:8333
//   deno run --allow-net=127.0.0.1 examples/handshake.ts 127.0.0.1:18444 --network regtest
import { deadline } from "@std/async/deadline";
import {
  type Connection,
  ipToString,
  Peer,
  RejectCode,
  type RejectMessage,
  type VersionMessage,
} from "../mod.ts";
import { tcpNet } from "../server/mod.ts";
import * as cli from "./_cli.ts";
import { type Output, setupOutput } from "./_log.ts";

const HELP = `handshake: connect to a Bitcoin node, handshake, ping, and show what it says

Usage: deno run --allow-net examples/handshake.ts host[:port] [options]

  host[:port]      the node (IPv6 as [addr]:port; default port: the network's)

Options:
  --network NAME   mainnet (default), testnet3, testnet4, signet or regtest
  --timeout S      seconds for each step: connect, handshake, ping (default 10)
  --v2             use BIP 324's encrypted v2 transport; a node that closes the connection
                   before answering our key (a v1-only node) is dialed again with v1, as
                   Bitcoin Core and btcstream's Server do
  --log-format F   text (default) or json (JSON Lines: one object per line, the node's
                   answers as properties)
  --help           show this text

Exits 0 after a completed handshake and ping, 1 when the node cannot be reached, refuses the
handshake or does not answer in time, 2 for a bad command line.`;

const REJECT_NAMES = new Map<number, string>(
  Object.entries(RejectCode).map(([name, code]) => [code, name.toLowerCase()]),
);

async function main(args: readonly string[]): Promise<number> {
  const parsed = cli.parseArgs(args, { options: ["network", "timeout"], flags: ["v2"] });
  const v2 = parsed.flags.has("v2");
  const network = cli.networkOption(parsed);
  const timeoutMs = cli.secondsOption(parsed, "timeout", 10);
  if (parsed.positionals.length !== 1) {
    throw new cli.UsageError("Expected one node address (host:port)");
  }
  const { host, port } = cli.parseHostPort(parsed.positionals[0], network.defaultPort);
  const address = cli.joinHostPort(host, port);
  const out = await setupOutput("handshake", cli.logFormatOption(parsed));
  const fail = (line: string, properties: Record<string, unknown> = {}) => {
    out.error(line, { address, ...properties });
    return 1;
  };

  const nonce = crypto.getRandomValues(new BigUint64Array(1))[0];
  const pong = Promise.withResolvers<void>();
  let reject: RejectMessage | undefined;
  let attempt: Peer | undefined;
  for (const transport of v2 ? ["v2", "v1"] as const : ["v1"] as const) {
    const started = performance.now();
    let connection: Connection;
    try {
      connection = await tcpNet().dial(host, port, { timeoutMs });
    } catch (error) {
      const message = cli.errorMessage(error);
      return fail(
        message.startsWith("Cannot connect") ? message : `Cannot connect to ${address}: ${message}`,
        { step: "connect" },
      );
    }
    const connectMs = performance.now() - started;
    out.info(`connected to ${address} (${network.name}) in ${connectMs.toFixed(1)} ms`, {
      address,
      network: network.name,
      connectMs,
    });
    attempt = new Peer(connection, {
      network,
      address,
      transport,
      userAgentName: "handshake",
      userAgentVersion: "0.1.0",
      // A probe: no transaction announcements, please.
      disableRelayTx: true,
      negotiateTimeoutMs: timeoutMs,
      listeners: {
        // Sees the handshake's messages too: a node that refuses us often says why first.
        onRead: (_peer, _bytes, message) => {
          if (message?.command === "reject") reject = message;
        },
        onPong: (_peer, message) => {
          if (message.nonce === nonce) pong.resolve();
        },
      },
    });
    if (await attempt.ready || transport === "v1") break;
    const ended = await attempt.closed;
    if (ended.code !== "v2-not-supported") break;
    out.info(`${address} closed the connection before answering our v2 key: trying v1`, {
      step: "transport",
      code: ended.code,
    });
  }
  const peer = attempt!;

  if (!await peer.ready) {
    const reason = await peer.closed;
    if (reject !== undefined) {
      const code = REJECT_NAMES.get(reject.code) ?? `code ${reject.code}`;
      return fail(
        `${address} rejected the handshake: ${reject.message} ${code}: ${reject.reason}`,
        { step: "handshake", reject: { message: reject.message, code, reason: reject.reason } },
      );
    }
    return fail(`Handshake with ${address} failed (${reason.code}): ${reason.message}`, {
      step: "handshake",
      code: reason.code,
    });
  }
  printVersion(out, peer, peer.remoteVersion!);
  const transportLine = peer.transportProtocol === "v2"
    ? `v2 (session id ${peer.sessionId})`
    : "v1";
  out.info(`${"transport:".padEnd(15)}${transportLine}`, {
    transport: peer.transportProtocol,
    ...(peer.sessionId === "" ? {} : { sessionId: peer.sessionId }),
  });

  const pingStart = performance.now();
  void peer.queueMessage({ command: "ping", nonce });
  const outcome = await deadline(
    Promise.race([pong.promise.then(() => "pong" as const), peer.closed]),
    timeoutMs,
  ).catch(() => "timeout" as const);
  if (outcome === "timeout") {
    peer.disconnect("No pong");
    await peer.closed;
    return fail(`No pong from ${address} within ${timeoutMs / 1000} s`, { step: "ping" });
  }
  if (outcome !== "pong") {
    return fail(`${address} disconnected before its pong (${outcome.code}): ${outcome.message}`, {
      step: "ping",
      code: outcome.code,
    });
  }
  // The peer times the round trip itself (from the write to the pong); fall back to ours.
  const rttMs = peer.lastPingMicros > 0
    ? peer.lastPingMicros / 1000
    : performance.now() - pingStart;
  out.info(`ping RTT:      ${rttMs.toFixed(2)} ms`, { rttMs });

  peer.disconnect("Handshake example finished");
  const reason = await peer.closed;
  out.info(`disconnected:  ${reason.message}`, { reason: reason.message });
  return 0;
}

function printVersion(out: Output, peer: Peer, version: VersionMessage): void {
  const seenAs = cli.joinHostPort(ipToString(version.addrRecv.ip), version.addrRecv.port);
  const yesNo = (b: boolean) => (b ? "yes" : "no");
  const lines: [string, string, unknown][] = [
    ["version", `${version.protocolVersion} (negotiated ${peer.protocolVersion})`, {
      protocolVersion: version.protocolVersion,
      negotiated: peer.protocolVersion,
    }],
    ["services", cli.formatServices(version.services), cli.servicesHex(version.services)],
    ["user agent", version.userAgent, version.userAgent],
    ["start height", String(version.startHeight), version.startHeight],
    ["time offset", `${peer.timeOffset} s`, peer.timeOffset],
    ["relay", String(version.relay), version.relay],
    ["addrv2", yesNo(peer.wantsAddrV2), peer.wantsAddrV2],
    ["wtxidrelay", yesNo(peer.wtxidRelay), peer.wtxidRelay],
    ["sees us as", seenAs, seenAs],
  ];
  for (const [name, text, value] of lines) {
    out.info(`${`${name}:`.padEnd(15)}${text}`, { [camelCase(name)]: value });
  }
}

/** `user agent` as `userAgent`. */
function camelCase(words: string): string {
  return words.replace(/ (\w)/g, (_, c: string) => c.toUpperCase());
}

await cli.runCli("handshake", HELP, main);
