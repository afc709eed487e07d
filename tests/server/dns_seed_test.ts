// DNS seeding with a fake resolver (never real DNS): which names are asked (btcd's x<services>
// prefix only for seeds that filter), the addresses made of the answers (default port,
// services, timestamps 3 to 7 days old), seeds failing alone, garbage skipped, timeouts and
// cancellation.
import {
  assert,
  assertEquals,
  assertInstanceOf,
  assertRejects,
  assertStrictEquals,
} from "@std/assert";
import { BIP155Network, netAddressV2ToString, NETWORKS, ServiceFlag } from "../../wire/mod.ts";
import { DNS_SEEDS, seedFromDns, type SeedResolver } from "../../server/dns_seed.ts";

const NOW_MS = 1_700_000_000_000;
const NOW_S = NOW_MS / 1000;
const DAY_S = 24 * 60 * 60;

/** A resolver that answers from `answers` (by "TYPE name") and records every question. */
function fakeResolver(answers: Record<string, string[] | Error> = {}) {
  const asked: string[] = [];
  const resolve: SeedResolver = (hostname, type) => {
    asked.push(`${type} ${hostname}`);
    const answer = answers[`${type} ${hostname}`] ?? [];
    return answer instanceof Error ? Promise.reject(answer) : Promise.resolve(answer);
  };
  return { resolve, asked };
}

Deno.test("DNS_SEEDS", async (t) => {
  await t.step("Bitcoin Core's seeds per network; none for regtest and simnet", () => {
    assertEquals(DNS_SEEDS.mainnet.map((s) => s.host), [
      "seed.bitcoin.sipa.be",
      "dnsseed.bluematt.me",
      "seed.bitcoin.jonasschnelli.ch",
      "seed.btc.petertodd.net",
      "seed.bitcoin.sprovoost.nl",
      "dnsseed.emzy.de",
      "seed.bitcoin.wiz.biz",
      "seed.mainnet.achownodes.xyz",
    ]);
    assertEquals(DNS_SEEDS.testnet3.length, 5);
    assertEquals(DNS_SEEDS.testnet4.map((s) => s.host), [
      "seed.testnet4.bitcoin.sprovoost.nl",
      "seed.testnet4.wiz.biz",
    ]);
    assertEquals(DNS_SEEDS.signet.length, 2);
    assertEquals([DNS_SEEDS.regtest, DNS_SEEDS.simnet], [[], []]);
  });

  await t.step("btcd's filtering flags where btcd lists the seed", () => {
    const flag = (network: string, host: string) =>
      DNS_SEEDS[network].find((s) => s.host === host)?.hasFiltering;
    assertEquals(flag("mainnet", "seed.bitcoin.sipa.be"), true);
    assertEquals(flag("mainnet", "dnsseed.bluematt.me"), true);
    assertEquals(flag("mainnet", "seed.bitcoin.jonasschnelli.ch"), true);
    assertEquals(flag("testnet3", "testnet-seed.bitcoin.jonasschnelli.ch"), true);
    assertEquals(flag("testnet3", "testnet-seed.bluematt.me"), false);
  });
});

Deno.test("seedFromDns", async (t) => {
  await t.step(
    "asks every seed for A and AAAA, and builds addresses from the answers",
    async () => {
      const { resolve, asked } = fakeResolver({
        "A seed.bitcoin.sipa.be": ["203.0.113.1", "203.0.113.2"],
        "AAAA seed.bitcoin.sipa.be": ["2001:db8::1"],
        "AAAA dnsseed.emzy.de": ["2001:db8::2"],
      });
      const results = await seedFromDns("mainnet", { resolve, now: () => NOW_MS });
      assertEquals(asked.length, DNS_SEEDS.mainnet.length * 2);
      for (const seed of DNS_SEEDS.mainnet) {
        assert(asked.includes(`A ${seed.host}`) && asked.includes(`AAAA ${seed.host}`));
      }
      assertEquals(results.map((r) => r.seed), DNS_SEEDS.mainnet.map((s) => s.host));
      const sipa = results[0];
      assertEquals(sipa.error, undefined);
      assertEquals(sipa.addresses.map(netAddressV2ToString), [
        "203.0.113.1",
        "203.0.113.2",
        "2001:db8::1",
      ]);
      assertEquals(sipa.addresses.map((a) => a.networkId), [
        BIP155Network.IPV4,
        BIP155Network.IPV4,
        BIP155Network.IPV6,
      ]);
      for (const address of sipa.addresses) {
        assertEquals(address.port, 8333);
        assertEquals(address.services, ServiceFlag.NETWORK);
        assert(address.timestamp <= NOW_S - 3 * DAY_S && address.timestamp > NOW_S - 7 * DAY_S);
      }
      assertEquals(results[5].addresses.map(netAddressV2ToString), ["2001:db8::2"]);
      assertEquals(results[1], { seed: "dnsseed.bluematt.me", addresses: [] });
    },
  );

  await t.step("timestamps are 3 days ago plus up to 4 more, per address", async () => {
    const answers = { "A seed.testnet4.wiz.biz": ["198.51.100.1", "198.51.100.2"] };
    const randoms = [0, 0.999_999_999];
    const results = await seedFromDns("testnet4", {
      resolve: fakeResolver(answers).resolve,
      now: () => NOW_MS + 999,
      random: () => randoms.shift() ?? 0.5,
    });
    assertEquals(results[1].addresses.map((a) => NOW_S - a.timestamp), [
      3 * DAY_S,
      7 * DAY_S - 1,
    ]);
    assertEquals(results[1].addresses[0].port, 48333);
  });

  await t.step("required services: x<hex>.<seed> for seeds that filter, as btcd", async () => {
    const { resolve, asked } = fakeResolver({
      "A x409.testnet-seed.bitcoin.jonasschnelli.ch": ["192.0.2.1"],
      "A testnet-seed.bluematt.me": ["192.0.2.2"],
    });
    const services = ServiceFlag.NETWORK | ServiceFlag.WITNESS | ServiceFlag.NETWORK_LIMITED;
    const results = await seedFromDns("testnet3", { resolve, requiredServices: services });
    assertEquals(asked.filter((q) => q.startsWith("A ")), [
      "A x409.testnet-seed.bitcoin.jonasschnelli.ch",
      "A x409.seed.tbtc.petertodd.net",
      "A x409.seed.testnet.bitcoin.sprovoost.nl",
      "A testnet-seed.bluematt.me", // does not filter
      "A x409.seed.testnet.achownodes.xyz",
    ]);
    assertEquals(results[0].seed, "testnet-seed.bitcoin.jonasschnelli.ch");
    assertEquals(results[0].addresses[0].services, services);
    assertEquals(results[0].addresses[0].port, 18333);
    assertEquals(results[3].addresses[0].services, services);
  });

  await t.step("NODE_NETWORK (the default) asks the plain names", async () => {
    const { resolve, asked } = fakeResolver();
    await seedFromDns("signet", { resolve, requiredServices: ServiceFlag.NETWORK });
    assertEquals(asked.sort(), [
      "A seed.signet.achownodes.xyz",
      "A seed.signet.bitcoin.sprovoost.nl",
      "AAAA seed.signet.achownodes.xyz",
      "AAAA seed.signet.bitcoin.sprovoost.nl",
    ]);
  });

  await t.step("a failing seed yields its error; the others are unaffected", async () => {
    const { resolve } = fakeResolver({
      "A seed.testnet4.bitcoin.sprovoost.nl": new Error("NXDOMAIN"),
      "AAAA seed.testnet4.bitcoin.sprovoost.nl": new Error("SERVFAIL"),
      "A seed.testnet4.wiz.biz": new Error("no A records"),
      "AAAA seed.testnet4.wiz.biz": ["2001:db8::5"],
    });
    const [failed, half] = await seedFromDns("testnet4", { resolve });
    assertInstanceOf(failed.error, AggregateError);
    assertEquals(
      failed.error.message,
      "Cannot resolve DNS seed seed.testnet4.bitcoin.sprovoost.nl: NXDOMAIN",
    );
    assertEquals(failed.error.errors.map((e: Error) => e.message), ["NXDOMAIN", "SERVFAIL"]);
    assertEquals(failed.addresses, []);
    // One of the two lookups answering is success.
    assertEquals(half.error, undefined);
    assertEquals(half.addresses.map(netAddressV2ToString), ["2001:db8::5"]);
  });

  await t.step("a resolver that throws synchronously is a failing seed", async () => {
    const results = await seedFromDns("testnet4", {
      resolve: () => {
        throw new TypeError("broken resolver");
      },
    });
    assert(results.every((r) => r.error instanceof AggregateError));
  });

  await t.step("answers that are not IP addresses are skipped", async () => {
    const { resolve } = fakeResolver({
      "A seed.testnet4.wiz.biz": ["198.51.100.7", "not an ip", "", "256.1.1.1", "1.2.3"],
      "AAAA seed.testnet4.wiz.biz": [
        "fc00::1", // CJDNS, not a seed answer
        "pg6mmjiyjmcrsslvykfwnntlaru7p5svn6y2ymmju6nubxndf4pscryd.onion",
        "2001:db8::9",
        "::ffff:198.51.100.8",
      ],
    });
    const [, wiz] = await seedFromDns("testnet4", { resolve });
    assertEquals(wiz.addresses.map(netAddressV2ToString), [
      "198.51.100.7",
      "2001:db8::9",
      "198.51.100.8",
    ]);
  });

  await t.step("all seeds are asked at once", async () => {
    const pending: PromiseWithResolvers<string[]>[] = [];
    const running = seedFromDns("mainnet", {
      resolve: () => {
        const p = Promise.withResolvers<string[]>();
        pending.push(p);
        return p.promise;
      },
    });
    await Promise.resolve();
    assertEquals(pending.length, DNS_SEEDS.mainnet.length * 2);
    for (const p of pending) p.resolve([]);
    assertEquals((await running).length, DNS_SEEDS.mainnet.length);
  });

  await t.step("a lookup that takes too long fails its seed", async () => {
    const results = await seedFromDns("testnet4", {
      resolve: (hostname, type) =>
        hostname === "seed.testnet4.wiz.biz" && type === "A"
          ? Promise.resolve(["198.51.100.1"])
          : new Promise<string[]>(() => {}),
      timeoutMs: 5,
    });
    assertEquals(
      results[0].error?.message,
      "Cannot resolve DNS seed seed.testnet4.bitcoin.sprovoost.nl: " +
        "DNS lookup of A seed.testnet4.bitcoin.sprovoost.nl timed out after 5 ms",
    );
    assertEquals(results[1].error, undefined);
    assertEquals(results[1].addresses.length, 1);
  });

  await t.step("aborting rejects with the signal's reason", async () => {
    const reason = new Error("shutting down");
    assertStrictEquals(
      await assertRejects(() =>
        seedFromDns("mainnet", {
          resolve: fakeResolver().resolve,
          signal: AbortSignal.abort(reason),
        })
      ),
      reason,
    );
    const controller = new AbortController();
    const running = seedFromDns("mainnet", {
      resolve: () => new Promise<string[]>(() => {}),
      signal: controller.signal,
    });
    await Promise.resolve();
    controller.abort(reason);
    assertStrictEquals(await assertRejects(() => running), reason);
  });

  await t.step("networks without seeds, Network objects, and a custom seed list", async () => {
    const { resolve, asked } = fakeResolver({ "A seed.example": ["192.0.2.9"] });
    assertEquals(await seedFromDns("regtest", { resolve }), []);
    assertEquals(await seedFromDns(NETWORKS.simnet, { resolve }), []);
    assertEquals(asked.length, 0);
    const custom = { name: "my-signet", magic: 0x01020304, defaultPort: 39333 };
    assertEquals(await seedFromDns(custom, { resolve }), []);
    const [result] = await seedFromDns(custom, {
      resolve,
      seeds: [{ host: "seed.example", hasFiltering: true }],
      requiredServices: ServiceFlag.NETWORK,
    });
    assertEquals(result.addresses[0].port, 39333);
    const [signet] = await seedFromDns(NETWORKS.signet, { resolve });
    assertEquals(signet.seed, "seed.signet.bitcoin.sprovoost.nl");
  });

  await t.step("bad arguments throw", async () => {
    await assertRejects(() => seedFromDns("nonet" as "mainnet"), TypeError);
    await assertRejects(() => seedFromDns("constructor" as "mainnet"), TypeError);
    await assertRejects(() => seedFromDns("mainnet", { timeoutMs: -1 }), RangeError);
  });
});
