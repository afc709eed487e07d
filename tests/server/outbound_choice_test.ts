// The outbound address choice (btcd's newAddressFunc) on its own, with a book whose picks are
// counted.
import { assertEquals, assertLess } from "@std/assert";
import { AddrManager } from "../../addrmgr/addr_manager.ts";
import { MemoryStorage } from "../../addrmgr/storage.ts";
import { FakeClock } from "../../peer/fake_clock.ts";
import { OutboundChoice } from "../../server/_outbound_choice.ts";
import type { ConnRequest } from "../../server/conn_manager.ts";
import { NETWORKS } from "../../wire/mod.ts";
import { freshAddress } from "./_nodes.ts";

/** A book of `hosts` (port 18444) whose `getAddress` calls are counted. */
function countingBook(clock: FakeClock, hosts: string[]): { book: AddrManager; picks(): number } {
  const real = new AddrManager({ storage: new MemoryStorage(), clock, keepLocalAddresses: true });
  const source = freshAddress("10.9.9.9", 0, 18444);
  for (const host of hosts) real.addAddress(freshAddress(host, 0, 18444), source);
  let picks = 0;
  const book = new Proxy(real, {
    get(target, property) {
      if (property === "getAddress") {
        return () => {
          picks++;
          return target.getAddress();
        };
      }
      const value = Reflect.get(target, property);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { book, picks: () => picks };
}

function kept(host: string): ConnRequest {
  return { id: 1, host, port: 18444, permanent: false, state: "connected", retries: 0 };
}

Deno.test("OutboundChoice gives up once every address in the book is refused", () => {
  const clock = new FakeClock(Date.now());
  const hosts = ["10.0.0.2", "10.0.0.3", "10.0.0.4"];
  const { book, picks } = countingBook(clock, hosts);
  const requests = hosts.slice(0, 2).map(kept);
  const choice = new OutboundChoice({
    addrManager: book,
    network: NETWORKS.regtest,
    clock,
    localNetwork: true,
    onion: false,
    kept: () => requests,
    isBanned: () => false,
  });
  choice.addOwn("10.0.0.4", 18444);

  // Two kept, one ours: nothing to dial, found out in a few picks, not btcd's 100.
  assertEquals(choice.next(), undefined);
  assertLess(picks(), 50);

  // Once one is free again it is chosen.
  requests.pop();
  assertEquals(choice.next(), { host: "10.0.0.3", port: 18444, services: 1n });
});
