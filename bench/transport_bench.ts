// BIP 324 v2 transport: the cipher choice (node:crypto against @noble/ciphers and
// @noble/hashes, side by side in one run), packets through V2Session, and the key exchange
// each side pays (ElligatorSwift create + xdh + HKDF), whose CPU time is printed at the end
// (the target: at most 2 ms per side).
import process from "node:process";
import { Buffer } from "node:buffer";
import { createCipheriv, hkdfSync } from "node:crypto";
import { chacha20poly1305 } from "@noble/ciphers/chacha.js";
import { expand, extract } from "@noble/hashes/hkdf.js";
import { sha256 } from "@noble/hashes/sha2.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import { FSChaCha20, FSChaCha20Poly1305 } from "../transport/cipher.ts";
import { ellswiftCreate, ellswiftDecode, ellswiftXdh } from "../transport/ellswift.ts";
import { deriveV2Keys } from "../transport/keys.ts";
import { V2Session } from "../transport/session.ts";
import { BLOCK_FILES } from "./_data.ts";
import { benchThroughput as benchWall, type ThroughputOptions } from "./_throughput.ts";

interface CpuCase {
  name: string;
  options: ThroughputOptions;
  fn: () => void;
}
const cpuCases: CpuCase[] = [];

/** A `deno bench` case (wall time, items/s, MB/s) whose CPU time is also reported at the end. */
function benchThroughput(name: string, options: ThroughputOptions, fn: () => void): void {
  cpuCases.push({ name, options, fn });
  benchWall(name, options, fn);
}

const key = crypto.getRandomValues(new Uint8Array(32));
const nonce = new Uint8Array(12);
const EMPTY = new Uint8Array(0);

/** @noble/ciphers' ChaCha20-Poly1305: one message encrypted and decrypted. */
function nobleRoundTrip(plain: Uint8Array): void {
  const sealed = chacha20poly1305(key, nonce, EMPTY).encrypt(plain);
  chacha20poly1305(key, nonce, EMPTY).decrypt(sealed);
}

const block = BLOCK_FILES[0]?.bytes ?? crypto.getRandomValues(new Uint8Array(65536)).slice();
const big = block.length >= 1_000_000 ? block : new Uint8Array(1_245_250).fill(7);

for (const [size, n] of [[big.length, 1], [1000, 200], [100, 1000], [9, 1000]] as const) {
  const plain = size === big.length ? big : crypto.getRandomValues(new Uint8Array(size));
  const group = `ChaCha20-Poly1305 encrypt+decrypt ${size} B`;
  const options = { group, items: n, itemName: "packets", bytes: n * size };
  // What the transport uses: FSChaCha20Poly1305 on node:crypto, one message each way.
  const tx = new FSChaCha20Poly1305(key), rx = new FSChaCha20Poly1305(key);
  benchThroughput(`node:crypto (FSChaCha20Poly1305), ${size} B`, {
    ...options,
    baseline: true,
  }, () => {
    for (let i = 0; i < n; i++) rx.decrypt(tx.encrypt(plain));
  });
  benchThroughput(`@noble/ciphers, ${size} B`, options, () => {
    for (let i = 0; i < n; i++) nobleRoundTrip(plain);
  });
}

// The length cipher: 3 bytes a packet; 224 packets make one epoch.
{
  const n = 224 * 4;
  const length = Buffer.alloc(3);
  const options = { group: "FSChaCha20 3-byte lengths", items: n, itemName: "lengths" };
  benchThroughput("FSChaCha20 (@noble/ciphers, block refills)", {
    ...options,
    baseline: true,
  }, () => {
    const c = new FSChaCha20(key);
    for (let i = 0; i < n; i++) c.crypt(length);
  });
  benchThroughput("node:crypto chacha20 stream, update() per length", options, () => {
    // A model of the same work on node: one cipher object per epoch, 3 bytes per call.
    let k: Buffer = Buffer.from(key);
    for (let e = 0; e < n / 224; e++) {
      const iv = Buffer.alloc(16);
      iv.writeUInt32LE(e, 8);
      const c = createCipheriv("chacha20", k, iv);
      for (let i = 0; i < 224; i++) c.update(length);
      k = c.update(Buffer.alloc(32));
    }
  });
}

{
  const secret = crypto.getRandomValues(new Uint8Array(32));
  const salt = new Uint8Array(28);
  const names = ["initiator_L", "initiator_P", "responder_L", "responder_P", "a", "b"].map((s) =>
    new TextEncoder().encode(s)
  );
  const n = 100;
  const options = { group: "HKDF-SHA256, six keys", items: n, itemName: "derivations" };
  benchThroughput("node:crypto hkdfSync", { ...options, baseline: true }, () => {
    for (let i = 0; i < n; i++) {
      for (const info of names) hkdfSync("sha256", secret, salt, info, 32);
    }
  });
  benchThroughput("@noble/hashes extract + expand", options, () => {
    for (let i = 0; i < n; i++) {
      const prk = extract(sha256, secret, salt);
      for (const info of names) expand(sha256, prk, info, 32);
    }
  });
}

// Packets through two sessions: encrypt on one, receive on the other (64 KiB chunks for
// the block, as a socket delivers them).
function established(): [V2Session, V2Session] {
  const a = new V2Session("initiator"), b = new V2Session("responder");
  for (const bytes of b.receive(a.start()).send.flatMap((x) => a.receive(x).send)) b.receive(bytes);
  return [a, b];
}
{
  const [a, b] = established();
  benchThroughput("V2Session block, 64 KiB reads", {
    group: "V2Session packets",
    baseline: true,
    items: 1,
    itemName: "blocks",
    bytes: big.length,
  }, () => {
    const packet = a.encrypt({ command: "block", payload: big });
    for (let i = 0; i < packet.length; i += 65536) b.receive(packet.subarray(i, i + 65536));
  });
  const inv = new Uint8Array(3 + 1000 * 36);
  const n = 100;
  benchThroughput("V2Session 1,000-entry inv", {
    group: "V2Session packets",
    items: n,
    itemName: "invs",
    bytes: n * inv.length,
  }, () => {
    for (let i = 0; i < n; i++) b.receive(a.encrypt({ command: "inv", payload: inv }));
  });
  const ping = new Uint8Array(8);
  benchThroughput("V2Session ping", {
    group: "V2Session packets",
    items: 1000,
    itemName: "pings",
    bytes: 8000,
  }, () => {
    for (let i = 0; i < 1000; i++) b.receive(a.encrypt({ command: "ping", payload: ping }));
  });
}

// The key exchange, one side: make a key and its encoding, then the shared secret and keys.
const theirs = ellswiftCreate(secp256k1.utils.randomSecretKey(), new Uint8Array(32));
function oneSide(): Uint8Array {
  const privateKey = secp256k1.utils.randomSecretKey();
  const encoding = ellswiftCreate(privateKey, crypto.getRandomValues(new Uint8Array(32)));
  const secret = ellswiftXdh({ privateKey, encoding, initiator: true }, theirs);
  return deriveV2Keys(secret).sessionId;
}
benchThroughput("ellswiftCreate + ellswiftXdh + deriveV2Keys", {
  group: "key exchange, one side",
  baseline: true,
  items: 10,
  itemName: "sides",
}, () => {
  for (let i = 0; i < 10; i++) oneSide();
});
{
  const privateKey = secp256k1.utils.randomSecretKey();
  benchThroughput("ellswiftCreate", { group: "key exchange, one side", items: 10 }, () => {
    for (let i = 0; i < 10; i++) {
      ellswiftCreate(privateKey, crypto.getRandomValues(new Uint8Array(32)));
    }
  });
  const encoding = ellswiftCreate(privateKey, new Uint8Array(32));
  benchThroughput("ellswiftXdh", { group: "key exchange, one side", items: 10 }, () => {
    for (let i = 0; i < 10; i++) ellswiftXdh({ privateKey, encoding, initiator: false }, theirs);
  });
  benchThroughput("ellswiftDecode", { group: "key exchange, one side", items: 10 }, () => {
    for (let i = 0; i < 10; i++) ellswiftDecode(theirs);
  });
  // The ECDH's scalar multiplication dominates: noble's hardened multiply (constant-time
  // ladder, blinded scalar), which ellswiftXdh uses, against its variable-time one.
  const point = secp256k1.Point.BASE.multiply(12345n).add(secp256k1.Point.BASE);
  const scalar = secp256k1.Point.Fn.fromBytes(privateKey);
  benchThroughput("noble Point.multiply (hardened; used)", {
    group: "key exchange, one side",
    items: 10,
  }, () => {
    for (let i = 0; i < 10; i++) point.multiply(scalar);
  });
  benchThroughput("noble Point.multiplyUnsafe (variable time; not used)", {
    group: "key exchange, one side",
    items: 10,
  }, () => {
    for (let i = 0; i < 10; i++) point.multiplyUnsafe(scalar);
  });
}

// CPU time, not wall time (the machine is shared, and wall time on it mostly measures the
// scheduler): process.cpuUsage around batches of each case, best of five, after a warm-up.
function cpuPerIteration(fn: () => void): number {
  fn();
  fn();
  let best = Infinity;
  for (let r = 0; r < 5; r++) {
    const before = process.cpuUsage();
    for (let i = 0; i < 3; i++) fn();
    const used = process.cpuUsage(before);
    best = Math.min(best, (used.user + used.system) / 3);
  }
  return best; // µs
}

globalThis.addEventListener("unload", () => {
  const lines = [
    "",
    "CPU time (process.cpuUsage, best of 2 rounds of 5 batches of 3 iterations):",
    "",
    "| case | µs of CPU per item | MB/s of CPU | ratio to group baseline |",
    "| --- | ---: | ---: | ---: |",
  ];
  const perItem = new Map<CpuCase, number>();
  // Two rounds, the better of each: the first case measured otherwise pays for whatever the
  // process still has to do after the wall-time run (collecting its garbage).
  for (let round = 0; round < 2; round++) {
    for (const c of cpuCases) {
      const us = cpuPerIteration(c.fn) / c.options.items;
      perItem.set(c, Math.min(us, perItem.get(c) ?? Infinity));
    }
  }
  for (const c of cpuCases) {
    const us = perItem.get(c)!;
    const base = cpuCases.find((b) => b.options.group === c.options.group && b.options.baseline);
    const ratio = base && base !== c ? (perItem.get(base)! / us).toFixed(2) : "";
    const bytes = c.options.bytes ? c.options.bytes / c.options.items : 0;
    const mbps = bytes ? (bytes / us).toFixed(0) : "";
    lines.push(`| ${c.name} | ${us.toFixed(1)} | ${mbps} | ${ratio} |`);
  }
  console.log(lines.join("\n"));
});
