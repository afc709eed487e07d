// A hash table from (IPv4 address, port) to values, for the book's index: a `Map` would need
// a 48-bit key, a heap number allocated per lookup and per entry, and garbage on every
// rehash; here keys sit side by side in one Int32Array (open addressing, linear probing,
// deletion by backward shift: a probe reads one cache line), and nothing is allocated but
// the arrays when the table grows. The hash is
// seeded with secret randomness, so that peers cannot choose addresses that collide.

/** The table doubles when more than half full. */
const MIN_CAPACITY = 1024;

export class Ipv4Map<T> {
  /** Per slot: the address (as int32), and the port plus one (0 marks an empty slot). */
  #keys: Int32Array;
  #values: (T | undefined)[];
  #mask: number;
  #size = 0;
  readonly #seed: number;

  constructor(seed: number) {
    this.#seed = seed | 0;
    this.#keys = new Int32Array(MIN_CAPACITY * 2);
    this.#values = new Array(MIN_CAPACITY).fill(undefined);
    this.#mask = MIN_CAPACITY - 1;
  }

  get size(): number {
    return this.#size;
  }

  #home(ip: number, port: number): number {
    let h = Math.imul(ip ^ this.#seed, 0x9e3779b1) ^ port;
    h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
    h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
    return (h ^ (h >>> 16)) & this.#mask;
  }

  /** The slot holding the key, or -1. */
  #find(ip: number, port: number): number {
    const keys = this.#keys, mask = this.#mask;
    ip |= 0;
    const p = port + 1;
    for (let i = this.#home(ip, port);; i = (i + 1) & mask) {
      const q = keys[2 * i + 1];
      if (q === 0) return -1;
      if (q === p && keys[2 * i] === ip) return i;
    }
  }

  get(ip: number, port: number): T | undefined {
    const i = this.#find(ip, port);
    return i < 0 ? undefined : this.#values[i];
  }

  has(ip: number, port: number): boolean {
    return this.#find(ip, port) >= 0;
  }

  set(ip: number, port: number, value: T): void {
    ip |= 0;
    const keys = this.#keys, mask = this.#mask;
    const p = port + 1;
    let i = this.#home(ip, port);
    for (;; i = (i + 1) & mask) {
      const q = keys[2 * i + 1];
      if (q === 0) break;
      if (q === p && keys[2 * i] === ip) {
        this.#values[i] = value;
        return;
      }
    }
    keys[2 * i] = ip;
    keys[2 * i + 1] = p;
    this.#values[i] = value;
    if (++this.#size * 2 > mask + 1) this.#grow();
  }

  delete(ip: number, port: number): boolean {
    let i = this.#find(ip, port);
    if (i < 0) return false;
    const keys = this.#keys, values = this.#values, mask = this.#mask;
    // Backward shift: pull later entries of the probe run into the hole when their home
    // slot is not between the hole and them (cyclically).
    for (let j = (i + 1) & mask; keys[2 * j + 1] !== 0; j = (j + 1) & mask) {
      const home = this.#home(keys[2 * j], keys[2 * j + 1] - 1);
      if (((j - home) & mask) >= ((j - i) & mask)) {
        keys[2 * i] = keys[2 * j];
        keys[2 * i + 1] = keys[2 * j + 1];
        values[i] = values[j];
        i = j;
      }
    }
    keys[2 * i + 1] = 0;
    values[i] = undefined;
    this.#size--;
    return true;
  }

  clear(): void {
    this.#keys.fill(0);
    this.#values.fill(undefined);
    this.#size = 0;
  }

  #grow(): void {
    const keys = this.#keys, values = this.#values;
    const capacity = (this.#mask + 1) * 2;
    this.#keys = new Int32Array(capacity * 2);
    this.#values = new Array(capacity).fill(undefined);
    this.#mask = capacity - 1;
    this.#size = 0;
    for (let i = 0; i < values.length; i++) {
      if (keys[2 * i + 1] !== 0) this.set(keys[2 * i], keys[2 * i + 1] - 1, values[i]!);
    }
  }
}
