// The forward-secure ciphers (node:crypto) against a model written on @noble/ciphers from
// BIP 324's reference.py: FSChaCha20 keeps one keystream per epoch and takes the next key
// from it; FSChaCha20Poly1305 numbers messages within the epoch and rekeys from the
// keystream of nonce (0xffffffff, epoch), block 1.
import { assert, assertEquals, assertThrows } from "@std/assert";
import { chacha20, chacha20poly1305 } from "@noble/ciphers/chacha.js";
import fc from "fast-check";
import { FSChaCha20, FSChaCha20Poly1305, REKEY_INTERVAL } from "../../transport/cipher.ts";

function nonce(low: number, high: number): Uint8Array {
  const n = new Uint8Array(12);
  const v = new DataView(n.buffer);
  v.setUint32(0, low, true);
  v.setUint32(4, high, true);
  return n;
}

/** reference.py's FSChaCha20, on noble. */
class ModelFSChaCha20 {
  #key: Uint8Array;
  #block = 0;
  #chunks = 0;
  #keystream: number[] = [];
  constructor(key: Uint8Array, readonly interval: number) {
    this.#key = key;
  }
  #bytes(n: number): number[] {
    while (this.#keystream.length < n) {
      const rekeys = Math.floor(this.#chunks / this.interval);
      const block = chacha20(
        this.#key,
        nonce(0, rekeys),
        new Uint8Array(64),
        undefined,
        this.#block++,
      );
      this.#keystream.push(...block);
    }
    return this.#keystream.splice(0, n);
  }
  crypt(chunk: Uint8Array): Uint8Array {
    const ks = this.#bytes(chunk.length);
    const out = chunk.map((b, i) => b ^ ks[i]);
    if ((this.#chunks + 1) % this.interval === 0) {
      this.#key = new Uint8Array(this.#bytes(32));
      this.#block = 0;
      // Core discards what is left of the old keystream (it seeks the new key to block 0).
      this.#keystream = [];
    }
    this.#chunks++;
    return out;
  }
}

/** reference.py's FSChaCha20Poly1305, on noble. */
class ModelFSChaCha20Poly1305 {
  #key: Uint8Array;
  #packets = 0;
  constructor(key: Uint8Array, readonly interval: number) {
    this.#key = key;
  }
  encrypt(plain: Uint8Array, aad: Uint8Array): Uint8Array {
    const low = this.#packets % this.interval, high = Math.floor(this.#packets / this.interval);
    const out = chacha20poly1305(this.#key, nonce(low, high), aad).encrypt(plain);
    if ((this.#packets + 1) % this.interval === 0) {
      this.#key = chacha20(this.#key, nonce(0xffffffff, high), new Uint8Array(32), undefined, 1);
    }
    this.#packets++;
    return out;
  }
}

Deno.test("FSChaCha20", async (t) => {
  await t.step("matches the model over 3-byte lengths across several rekeys", () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const ours = new FSChaCha20(key), model = new ModelFSChaCha20(key, REKEY_INTERVAL);
    for (let i = 0; i < REKEY_INTERVAL * 3 + 5; i++) {
      const chunk = crypto.getRandomValues(new Uint8Array(3));
      assertEquals(ours.crypt(chunk), model.crypt(chunk), `chunk ${i}`);
    }
  });
  await t.step("matches the model for any chunk sizes and interval (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 9 }),
        fc.array(fc.uint8Array({ maxLength: 150 }), { maxLength: 40 }),
        (interval, chunks) => {
          const key = new Uint8Array(32).fill(interval);
          const ours = new FSChaCha20(key, { rekeyInterval: interval });
          const model = new ModelFSChaCha20(key, interval);
          for (const c of chunks) assertEquals(ours.crypt(c), model.crypt(c));
        },
      ),
      { numRuns: 60 },
    );
  });
  await t.step("refuses bad keys and intervals", () => {
    assertThrows(() => new FSChaCha20(new Uint8Array(16)), RangeError);
    assertThrows(() => new FSChaCha20(new Uint8Array(32), { rekeyInterval: 0 }), RangeError);
  });
});

Deno.test("FSChaCha20Poly1305", async (t) => {
  await t.step("matches the model across rekeys, with and without AAD", () => {
    const key = crypto.getRandomValues(new Uint8Array(32));
    const ours = new FSChaCha20Poly1305(key), receiver = new FSChaCha20Poly1305(key);
    const model = new ModelFSChaCha20Poly1305(key, REKEY_INTERVAL);
    for (let i = 0; i < REKEY_INTERVAL * 2 + 3; i++) {
      const plain = crypto.getRandomValues(new Uint8Array(i % 70));
      const aad = i % 5 === 0 ? new Uint8Array([i & 255, 7]) : new Uint8Array(0);
      const c = ours.encrypt(plain, aad);
      assertEquals(c, model.encrypt(plain, aad), `message ${i}`);
      assertEquals(receiver.decrypt(c, aad), plain);
    }
  });
  await t.step("any tampering, a wrong AAD or a short input fails, and still counts", () => {
    const key = new Uint8Array(32).fill(1);
    const tx = new FSChaCha20Poly1305(key, { rekeyInterval: 3 });
    const rx = new FSChaCha20Poly1305(key, { rekeyInterval: 3 });
    const c1 = tx.encrypt(new Uint8Array([1, 2, 3]));
    const bad = c1.slice();
    bad[1] ^= 0x10;
    assertEquals(rx.decrypt(bad), undefined);
    // The failure used message 0's nonce; message 1 decrypts with message 1's.
    const c2 = tx.encrypt(new Uint8Array([4]), new Uint8Array([9]));
    assertEquals(rx.decrypt(c2, new Uint8Array([8])), undefined);
    assertEquals(rx.decrypt(new Uint8Array(15)), undefined);
    // The three failures counted: rx is at message 3 (a new epoch), tx's next is message 2.
    assertEquals(rx.decrypt(tx.encrypt(new Uint8Array([5]))), undefined);
    // In step, both sides rekey identically (interval 3, seven messages).
    const rx2 = new FSChaCha20Poly1305(key, { rekeyInterval: 3 });
    const tx2 = new FSChaCha20Poly1305(key, { rekeyInterval: 3 });
    for (let i = 0; i < 7; i++) {
      assert(rx2.decrypt(tx2.encrypt(new Uint8Array([i]))) !== undefined, `message ${i}`);
    }
  });
  await t.step("encryptInto writes in place from several parts", () => {
    const key = new Uint8Array(32).fill(2);
    const a = new FSChaCha20Poly1305(key), b = new FSChaCha20Poly1305(key);
    const out = new Uint8Array(5 + 4 + 16);
    a.encryptInto([new Uint8Array([1, 2]), new Uint8Array([3, 4])], new Uint8Array(0), out, 5);
    assertEquals(out.subarray(5), b.encrypt(new Uint8Array([1, 2, 3, 4])));
    assertThrows(
      () => a.encryptInto([new Uint8Array(10)], new Uint8Array(0), new Uint8Array(20), 0),
      RangeError,
    );
  });
});
