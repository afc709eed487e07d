// The address manager: adding 1,000,000 random routable addresses announced by 1,000 peers
// (in 10,000-address steps, so that most land in a full table and evict, as on a long-running
// node), getAddress and addressCache on a full table, and save and load of a 60,000-address
// book (about today's network) as peers.json text in memory.
import { AddrManager, type AddrStorage, MemoryStorage } from "../addrmgr/mod.ts";
import { FakeClock } from "../peer/fake_clock.ts";
import { addressGenerator } from "./_addresses.ts";
import { benchThroughput } from "./_throughput.ts";

const randomAddress = addressGenerator(1);

const TOTAL = 1_000_000;
const STEP = 10_000;
const sources = Array.from({ length: 1000 }, randomAddress);
const addresses = Array.from({ length: TOTAL }, randomAddress);

let flood = new AddrManager({ storage: new MemoryStorage() });
let next = 0;
benchThroughput("add, 1M addresses from 1k sources (10k per step)", {
  group: "add",
  items: STEP,
  itemName: "addresses",
}, () => {
  if (next >= TOTAL) {
    flood = new AddrManager({ storage: new MemoryStorage() });
    next = 0;
  }
  const end = next + STEP;
  for (let i = next; i < end; i++) flood.addAddress(addresses[i], sources[i % 1000]);
  next = end;
});

benchThroughput("add, 60k addresses into an empty book", {
  group: "fill",
  items: 60_000,
  itemName: "addresses",
}, () => {
  const m = new AddrManager({ storage: new MemoryStorage() });
  for (let i = 0; i < 60_000; i++) m.addAddress(addresses[i], sources[i % 1000]);
});

// A full book for selection: 1M adds, then 5% of what it holds moved to tried.
const full = new AddrManager({ storage: new MemoryStorage() });
for (let i = 0; i < TOTAL; i++) full.addAddress(addresses[i], sources[i % 1000]);
for (let i = 0; i < 3000; i++) {
  const pick = full.getAddress()!;
  full.good(pick.netAddress);
}

benchThroughput(`getAddress, full book (${full.numAddresses()} addresses)`, {
  group: "select",
  items: 10_000,
  itemName: "picks",
}, () => {
  for (let i = 0; i < 10_000; i++) full.getAddress();
});

benchThroughput("addressCache, full book (1000 of them)", {
  group: "cache",
  items: 100,
  itemName: "answers",
}, () => {
  for (let i = 0; i < 100; i++) full.addressCache();
});

// Save and load of 60,000 addresses, 5,000 of them tried, as peers.json text in memory.
let saved = "";
const store: AddrStorage = {
  load: () => Promise.resolve(saved),
  save: (data) => {
    saved = data;
    return Promise.resolve();
  },
  setAside: () => Promise.resolve(undefined),
};
const book60k = new AddrManager({ storage: store });
for (let i = 0; book60k.numAddresses() < 60_000 && i < TOTAL; i++) {
  book60k.addAddress(addresses[i], sources[i % 1000]);
}
for (let i = 0; i < 5000; i++) book60k.good(book60k.getAddress()!.netAddress);
await book60k.save();
const bookSize = book60k.numAddresses();
const bookBytes = saved.length;

benchThroughput(`save, ${bookSize} addresses`, {
  group: "save",
  items: bookSize,
  itemName: "addresses",
  bytes: bookBytes,
}, () => book60k.save());

benchThroughput(`load, ${bookSize} addresses`, {
  group: "load",
  items: bookSize,
  itemName: "addresses",
  bytes: bookBytes,
}, async () => {
  // A fake clock: start() schedules the periodic save, which must not keep the process up.
  const m = new AddrManager({ storage: store, clock: new FakeClock() });
  await m.start();
  if (m.numAddresses() !== bookSize) throw new Error("Lost addresses on load");
});
