// A node that only listens: accepts inbound peers with a Server (no outbound connections, no
// DNS seeding) and logs each peer's handshake and every message it sends, with a short summary.
//
//   deno run --allow-net=127.0.0.1 examples/listen.ts --network regtest --port 0
import {
  blockHash,
  hashToHex,
  InvType,
  type Message,
  type Peer,
  ServiceFlag,
  serviceFlagsToString,
  txid,
  type UnknownMessage,
} from "../mod.ts";
import { Server } from "../server/mod.ts";
import * as cli from "./_cli.ts";
import { setupOutput } from "./_log.ts";

const HELP = `listen: accept inbound Bitcoin peers and log what they send

Usage: deno run --allow-net examples/listen.ts [options]

Options:
  --network NAME     mainnet (default), testnet3, testnet4, signet or regtest
  --host ADDR        address to listen on (default 127.0.0.1; 0.0.0.0 or :: for all)
  --port N           port (default: the network's; 0 lets the OS choose)
  --max-peers N      inbound peers at most (default 125)
  --exit-after N     stop once N peers have disconnected
  --services LIST    services we announce (default WITNESS): ServiceFlag names, comma-
                     separated, any case (NETWORK,WITNESS), or a number (1033, 0x409)
  --no-v2            accept v1 only (default: BIP 324's v2 encrypted transport and v1, told
                     apart by the first bytes, as Bitcoin Core)
  --log-format F     text (default) or json (JSON Lines: one object per line, with the
                     peer, command and size as properties)
  --help             show this text

The first line is "listening on HOST:PORT". Ctrl-C (or SIGTERM) stops cleanly.

Services: this node serves no blocks, so by default it claims only WITNESS (it reads
witness serialization). NETWORK promises the whole chain: a node that claims it is asked
for blocks it cannot send, is dropped as stalling, and misleads the crawlers and DNS seeds
that list it. But an outbound peer must offer it: btcd refuses one without NETWORK
("required services 0x1 not offered"), Bitcoin Core one without NETWORK (or, once synced,
NETWORK_LIMITED) and WITNESS. To be accepted when btcd or Core dials this node in a test,
give --services NETWORK,WITNESS, knowing what it promises.`;

const INV_NAMES = new Map<number, string>(
  Object.entries(InvType).map(([name, type]) => [type, name.toLowerCase()]),
);

/** `1 thing`, `2 things`. */
function count(n: number, thing: string, things: string = `${thing}s`): string {
  return `${n} ${n === 1 ? thing : things}`;
}

/** A short summary of a message's contents (empty for messages without any). */
function summarize(m: Message | UnknownMessage): string {
  switch (m.command) {
    case "version":
      return `${m.userAgent}, version ${m.protocolVersion}, height ${m.startHeight}, ` +
        `services ${cli.formatServices(m.services)}, relay ${m.relay}`;
    case "inv":
    case "getdata":
    case "notfound": {
      const byType = new Map<string, number>();
      for (const iv of m.inventory) {
        const name = INV_NAMES.get(iv.type) ?? `type ${iv.type}`;
        byType.set(name, (byType.get(name) ?? 0) + 1);
      }
      const parts = [...byType].map(([name, n]) => `${n} ${name}`).join(", ");
      return `${count(m.inventory.length, "entry", "entries")}: ${parts}`;
    }
    case "addr":
    case "addrv2":
      return count(m.addresses.length, "address", "addresses");
    case "ping":
    case "pong":
      return `nonce ${m.nonce}`;
    case "headers":
      return count(m.headers.length, "header");
    case "getheaders":
    case "getblocks":
      return count(m.locator.length, "locator hash", "locator hashes");
    case "block":
      return `${hashToHex(blockHash(m.header))}, ${count(m.transactions.length, "tx")}`;
    case "tx":
      return hashToHex(txid(m.tx));
    case "feefilter":
      return `${m.feeRate} sat/kvB`;
    case "sendcmpct":
      return `announce ${m.announce}, version ${m.version}`;
    case "reject":
      return `${m.message} code ${m.code}: ${m.reason}`;
    case "unknown":
      return `"${m.name}", ${m.payload.length} bytes`;
    default:
      return "";
  }
}

async function main(args: readonly string[]): Promise<number> {
  const parsed = cli.parseArgs(args, {
    options: ["network", "host", "port", "max-peers", "exit-after", "services"],
    flags: ["no-v2"],
  });
  const v2Transport = !parsed.flags.has("no-v2");
  const network = cli.networkOption(parsed);
  const hostname = cli.stringOption(parsed, "host", "127.0.0.1");
  const port = cli.intOption(parsed, "port", network.defaultPort, 0, 65535);
  const maxPeers = cli.intOption(parsed, "max-peers", 125, 1, 100_000);
  const exitAfter = cli.intOption(parsed, "exit-after", Infinity, 1);
  const services = cli.parseServices(cli.stringOption(parsed, "services", "WITNESS"));
  if (parsed.positionals.length > 0) {
    throw new cli.UsageError(`Unexpected ${parsed.positionals[0]}`);
  }
  const out = await setupOutput("listen", cli.logFormatOption(parsed));

  const done = Promise.withResolvers<string>();
  let closed = 0;
  const log = (peer: Peer, text: string, properties: Record<string, unknown> = {}) =>
    out.info(`[${peer.address}] ${text}`, { peer: peer.address, ...properties });
  const server = new Server({
    network,
    listen: { hostname, port },
    maxPeers,
    targetOutbound: 0,
    dnsSeed: false,
    services,
    v2Transport,
    userAgentName: "listen",
    userAgentVersion: "0.1.0",
    listeners: {
      // Every frame read, the handshake's included.
      onRead: (peer, bytes, message, error) => {
        if (message === undefined) {
          log(peer, `read failed: ${cli.errorMessage(error)}`, {
            event: "read-failed",
            error: cli.errorMessage(error),
          });
          return;
        }
        const name = message.command === "unknown" ? "unknown" : message.command;
        const summary = summarize(message);
        log(peer, `${name} (${bytes} B)${summary === "" ? "" : `: ${summary}`}`, {
          event: "message",
          command: message.command === "unknown" ? message.name : message.command,
          bytes,
          ...(summary === "" ? {} : { summary }),
        });
      },
    },
    onPeerReady: (peer) =>
      log(
        peer,
        `handshake complete: ${peer.userAgent}, version ${peer.protocolVersion}, ` +
          `addrv2 ${peer.wantsAddrV2}, wtxidrelay ${peer.wtxidRelay}, transport ` +
          (peer.transportProtocol === "v2" ? `v2 (session id ${peer.sessionId})` : "v1"),
        {
          event: "ready",
          userAgent: peer.userAgent,
          version: peer.protocolVersion,
          addrv2: peer.wantsAddrV2,
          wtxidrelay: peer.wtxidRelay,
          transport: peer.transportProtocol,
          ...(peer.sessionId === "" ? {} : { sessionId: peer.sessionId }),
        },
      ),
    // Every connection that ended before it became a peer, on one line: a failed or timed
    // out handshake (with the remote's reject, if it sent one), a refusal at accept.
    onConnectionFailed: ({ address, direction, reason }) =>
      out.info(`[${address}] ${direction} connection ended (${reason.code}): ${reason.message}`, {
        peer: address,
        event: "failed",
        direction,
        code: reason.code,
        reason: reason.message,
        ...(reason.reject === undefined ? {} : {
          reject: {
            message: reason.reject.message,
            code: reason.reject.code,
            reason: reason.reject.reason,
          },
        }),
      }),
    onPeerClosed: (peer, reason) => {
      log(peer, `disconnected (${reason.code}): ${reason.message}`, {
        event: "closed",
        code: reason.code,
        reason: reason.message,
      });
      if (++closed >= exitAfter) done.resolve(`${count(closed, "peer")} disconnected`);
    },
  });

  const removeSignals = cli.onInterrupt((signal) => done.resolve(signal));
  try {
    try {
      await server.start();
    } catch (error) {
      out.error(
        `Cannot listen on ${cli.joinHostPort(hostname, port)}: ${cli.errorMessage(error)}`,
        { host: hostname, port },
      );
      return 1;
    }
    const bound = server.listenAddresses[0];
    out.info(`listening on ${cli.joinHostPort(bound.hostname, bound.port)}`, {
      host: bound.hostname,
      port: bound.port,
      network: network.name,
      services: serviceFlagsToString(services | (v2Transport ? ServiceFlag.P2P_V2 : 0n)),
      v2: v2Transport,
    });
    const why = await done.promise;
    await server.stop();
    out.info(`stopped (${why})`, { why });
    return 0;
  } finally {
    removeSignals();
  }
}

await cli.runCli("listen", HELP, main);
