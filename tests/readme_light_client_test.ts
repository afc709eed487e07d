// The README's light client snippet (marked `ts ignore`: it needs signet peers), run as written
// against stand-ins: two nodes on an in-memory network serving a regtest chain the test mines,
// with a payment to the wallet's script, and a header file in a temporary folder. console.log
// is replaced by pushes; the loop stops at the tip.
import { assertEquals } from "@std/assert";
import { FileHeaderStorage, HeaderChain } from "../headers/mod.ts";
import { FilterSync, HeaderSync } from "../sync/mod.ts";
import { ServiceFlag } from "../wire/mod.ts";
import { p2wpkh, TestChain } from "./sync/_chain.ts";
import { clientServer, MemoryNetwork, TestNode } from "./sync/_node.ts";

Deno.test("README: the light client snippet, on an in-memory network serving a mined chain", async () => {
  const wallet = p2wpkh("readme wallet");
  const mined = TestChain.genesis().extend(300, {
    payTo: (h) => (h === 220 || h === 260 ? [wallet] : undefined),
  });
  const net = new MemoryNetwork();
  const dir = await Deno.makeTempDir();
  const printed: string[] = [];
  const log = (line: string) => printed.push(line);

  // The snippet, on regtest and the in-memory network: the nodes dial the client's listener.
  const server = clientServer(net, "10.0.0.1", {
    requiredServices: ServiceFlag.NETWORK | ServiceFlag.WITNESS | ServiceFlag.COMPACT_FILTERS,
  });
  const chain = await HeaderChain.open(new FileHeaderStorage(`${dir}/signet-headers.dat`), {
    network: "regtest",
    adjustedTime: () => server.timeSource.adjustedTime(),
  });
  const headers = new HeaderSync(chain, { server });
  const filters = new FilterSync(headers, {
    scripts: [wallet],
    startHeight: 200,
    fetchBlocks: true,
  });
  await server.start();
  const nodes = await Promise.all(
    ["10.0.0.2", "10.0.0.3"].map((host) =>
      new TestNode(net, host, mined, { connect: ["10.0.0.1"] }).start()
    ),
  );
  try {
    for await (const event of filters.readable) {
      if (event.type === "block" && event.matched) {
        log(`${event.height} ${event.block!.transactions.length}`);
      }
      if (event.type === "reorg") log(`undo the blocks above ${event.fork}`);
      if (event.type === "synced") {
        log(`at the tip, ${event.height}`);
        if (event.height === 300) break;
      }
    }
    assertEquals(printed.filter((l) => !l.startsWith("at the tip, ") || l.endsWith("300")), [
      "220 1",
      "260 1",
      "at the tip, 300",
    ]);
  } finally {
    await filters.close();
    await headers.close();
    await Promise.all([...nodes.map((n) => n.stop()), server.stop()]);
    await chain.close();
    await Deno.remove(dir, { recursive: true });
  }
});
