// Our address manager against bcoin 1.0.2's HostList (lib/net/hostlist.js), in the same
// process and run; each group's baseline is bcoin, so a ratio of 2.00 means twice its rate.
//
// bcoin is loaded as shipped (see compare_bench.ts: no node_modules, NODE_BACKEND=js). Its
// HostList constructor lists the machine's network interfaces (binet's getPublic, hence
// `--allow-sys=networkInterfaces`); options avoid its file I/O (`memory: true`) and DNS
// (no seeds, no nodes). Its defaults are 20 buckets of 50 (1,000 addresses, after which
// every add is refused at once); it is given 1024 buckets of 64 (bcoin uses the same count
// for its fresh and used tables), the size of our new table, so that both hold as many.
//
// The two do different work per address. bcoin places an address with murmur3 of its raw
// bytes and its source's, unkeyed, and refuses every new address once the table is full. We
// place it as btcd and Core do, with a double SHA-256 under a secret key of the network
// groups, and once a bucket is full we make room (btcd's expireNew), so a long-running book
// keeps learning; that is the cost of eclipse resistance, and it shows in the "add" groups.
// "add 1M" is therefore not like for like: after the first ~65,000 addresses bcoin returns
// at `isFull()` before hashing anything, while we hash, place and evict every new address.
// "fill 60k" is the like-for-like case: both hash and insert every address. Our fill pays
// one keyed double SHA-256 per address plus one per new (source group, x) pair, which an
// empty book's cache does not hold yet (about 1.6 per address over the first 60,000).
import { AddrManager, MemoryStorage } from "../../addrmgr/mod.ts";
import { type NetAddressV2, netAddressV2ToString } from "../../wire/mod.ts";
import { addressGenerator } from "../_addresses.ts";
import { benchThroughput } from "../_throughput.ts";

interface BcoinNetAddress {
  time: number;
  services: number;
}
interface BcoinHostList {
  add(addr: BcoinNetAddress, src?: BcoinNetAddress): boolean;
  getHost(): unknown;
  markAck(hostname: string, services: number): void;
  size(): number;
}

Deno.env.set("NODE_BACKEND", "js");
const HostList: new (options: object) => BcoinHostList =
  (await import("bcoin/lib/net/hostlist.js")).default;
const NetAddress: { fromHost(host: string, port: number, network: string): BcoinNetAddress } =
  (await import("bcoin/lib/net/netaddress.js")).default;


const randomAddress = addressGenerator(1);
function toBcoin(na: NetAddressV2): BcoinNetAddress {
  const a = NetAddress.fromHost(netAddressV2ToString(na), na.port, "main");
  a.time = na.timestamp;
  a.services = Number(na.services);
  return a;
}

const TOTAL = 1_000_000;
const STEP = 10_000;
const ours = Array.from({ length: TOTAL }, randomAddress);
const ourSources = Array.from({ length: 1000 }, randomAddress);
const theirs = ours.map(toBcoin);
const theirSources = ourSources.map(toBcoin);
const bcoinOptions = {
  network: "main",
  memory: true,
  seeds: [],
  nodes: [],
  maxBuckets: 1024,
  maxEntries: 64,
};

// Adding, in 10,000-address steps through 1,000,000 (then starting over with a new book).
let bcoinBook = new HostList(bcoinOptions);
let bcoinNext = 0;
benchThroughput("bcoin HostList.add, 1M from 1k sources (full after 65k: refuses unhashed)", {
  group: "add 1M",
  baseline: true,
  items: STEP,
  itemName: "addresses",
}, () => {
  if (bcoinNext >= TOTAL) [bcoinBook, bcoinNext] = [new HostList(bcoinOptions), 0];
  for (let i = bcoinNext; i < bcoinNext + STEP; i++) {
    bcoinBook.add(theirs[i], theirSources[i % 1000]);
  }
  bcoinNext += STEP;
});
let ourBook = new AddrManager({ storage: new MemoryStorage() });
let ourNext = 0;
benchThroughput("btcstream addAddress, 1M from 1k sources (full after 65k: places, evicts)", {
  group: "add 1M",
  items: STEP,
  itemName: "addresses",
}, () => {
  if (ourNext >= TOTAL) [ourBook, ourNext] = [new AddrManager({ storage: new MemoryStorage() }), 0];
  for (let i = ourNext; i < ourNext + STEP; i++) ourBook.addAddress(ours[i], ourSources[i % 1000]);
  ourNext += STEP;
});

// Filling an empty book with 60,000 addresses: both insert every one.
benchThroughput("bcoin HostList.add, 60k into an empty list (hashes, inserts)", {
  group: "fill 60k",
  baseline: true,
  items: 60_000,
  itemName: "addresses",
}, () => {
  const list = new HostList(bcoinOptions);
  for (let i = 0; i < 60_000; i++) list.add(theirs[i], theirSources[i % 1000]);
});
benchThroughput("btcstream addAddress, 60k into an empty book (hashes, inserts)", {
  group: "fill 60k",
  items: 60_000,
  itemName: "addresses",
}, () => {
  const m = new AddrManager({ storage: new MemoryStorage() });
  for (let i = 0; i < 60_000; i++) m.addAddress(ours[i], ourSources[i % 1000]);
});

// Selecting from a full book: 1M adds, then 3,000 picks moved to tried/used.
const bcoinFull = new HostList(bcoinOptions);
for (let i = 0; i < TOTAL; i++) bcoinFull.add(theirs[i], theirSources[i % 1000]);
const ourFull = new AddrManager({ storage: new MemoryStorage() });
for (let i = 0; i < TOTAL; i++) ourFull.addAddress(ours[i], ourSources[i % 1000]);
for (let i = 0; i < 3000; i++) {
  const pick = ourFull.getAddress()!;
  ourFull.good(pick.netAddress);
  const host = (bcoinFull.getHost() as { addr: { hostname: string } }).addr.hostname;
  bcoinFull.markAck(host, 1033);
}
benchThroughput(`bcoin HostList.getHost, full (${bcoinFull.size()})`, {
  group: "select",
  baseline: true,
  items: 10_000,
  itemName: "picks",
}, () => {
  for (let i = 0; i < 10_000; i++) bcoinFull.getHost();
});
benchThroughput(`btcstream getAddress, full (${ourFull.numAddresses()})`, {
  group: "select",
  items: 10_000,
  itemName: "picks",
}, () => {
  for (let i = 0; i < 10_000; i++) ourFull.getAddress();
});
