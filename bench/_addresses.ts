// Random routable IPv4 addresses for the address manager benchmarks, the same in every run.
import { type NetAddressV2, netAddressV2FromString } from "../wire/mod.ts";
import { seededRandom } from "../tests/addrmgr/_helpers.ts";

/**
 * A generator of random routable IPv4 addresses (first octet 1..99, never 10), seen in the last
 * five days, from a seeded RNG.
 */
export function addressGenerator(seed: number): () => NetAddressV2 {
  const random = seededRandom(seed);
  const now = Math.floor(Date.now() / 1000);
  return () => {
    let first = 1 + Math.floor(random() * 99);
    if (first === 10) first = 11;
    const b = () => Math.floor(random() * 256);
    return netAddressV2FromString(`${first}.${b()}.${b()}.${1 + b() % 250}`, 8333, {
      services: 1033n,
      timestamp: now - Math.floor(random() * 5 * 86400),
    });
  };
}
