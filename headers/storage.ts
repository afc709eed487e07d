// Where a header chain is kept: a small byte-level interface, a file, and memory for tests.
// Only FileHeaderStorage touches the runtime, through `node:fs/promises`, which Deno and Node
// both provide (Deno's own file API does not exist under Node, where JSR's npm build runs);
// the format lives in `_file_format.ts` and the recovery logic in the chain.
import { type FileHandle, open, rename, stat, unlink } from "node:fs/promises";

/** Options for {@linkcode HeaderStorage.write}. */
export interface HeaderStorageWriteOptions {
  /** Cut the stored bytes at the end of this write (a reorg shortened the chain). */
  readonly truncate?: boolean;
}

/**
 * Storage for a header chain's file: positional reads and writes, and an atomic replacement
 * for creation.
 *
 * @example
 * ```ts
 * import { type HeaderStorage, MemoryHeaderStorage } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const storage: HeaderStorage = new MemoryHeaderStorage();
 * await storage.replace(new Uint8Array([1, 2, 3]));
 * await storage.write(1, new Uint8Array([9]), { truncate: true });
 * assertEquals(await storage.read(0, 10), new Uint8Array([1, 9]));
 * ```
 */
export interface HeaderStorage {
  /**
   * How many bytes are stored.
   *
   * @returns The size, or `undefined` when nothing was ever stored.
   */
  size(): Promise<number | undefined>;
  /**
   * Reads stored bytes.
   *
   * @param offset Where to start.
   * @param length How many bytes to read.
   * @returns The bytes; fewer than `length` at the end.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Replaces everything stored, atomically: after a crash, the old bytes or the new ones are
   * stored, never a mix.
   *
   * @param data The new contents.
   */
  replace(data: Uint8Array): Promise<void>;
  /**
   * Writes bytes at an offset and flushes them to durable storage before resolving.
   *
   * @param offset Where to write (at most the current size).
   * @param data The bytes.
   * @param options Whether to cut what lies beyond the written bytes.
   */
  write(offset: number, data: Uint8Array, options?: HeaderStorageWriteOptions): Promise<void>;
}

/**
 * A {@linkcode HeaderStorage} in memory.
 *
 * @example
 * ```ts
 * import { HeaderChain, MemoryHeaderStorage } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const storage = new MemoryHeaderStorage();
 * const chain = await HeaderChain.open(storage, { network: "regtest" });
 * await chain.close();
 * assertEquals(storage.data!.length, 96 + 80); // file header + genesis
 * ```
 */
export class MemoryHeaderStorage implements HeaderStorage {
  /** The stored bytes. */
  data: Uint8Array | undefined;
  /** How many writes and replacements were made. */
  writes = 0;

  /**
   * Creates a storage.
   *
   * @param data Initial contents.
   */
  constructor(data?: Uint8Array) {
    this.data = data;
  }

  /**
   * The stored size.
   *
   * @returns Bytes stored, or `undefined`.
   */
  size(): Promise<number | undefined> {
    return Promise.resolve(this.data?.length);
  }

  /**
   * Reads bytes.
   *
   * @param offset Where to start.
   * @param length How many.
   * @returns A copy of the bytes.
   */
  read(offset: number, length: number): Promise<Uint8Array> {
    return Promise.resolve((this.data ?? new Uint8Array()).slice(offset, offset + length));
  }

  /**
   * Replaces the contents.
   *
   * @param data The new contents (copied).
   */
  replace(data: Uint8Array): Promise<void> {
    this.data = data.slice();
    this.writes++;
    return Promise.resolve();
  }

  /**
   * Writes at an offset.
   *
   * @param offset Where.
   * @param data The bytes.
   * @param options Whether to cut after them.
   */
  write(offset: number, data: Uint8Array, options: HeaderStorageWriteOptions = {}): Promise<void> {
    const old = this.data ?? new Uint8Array();
    const end = offset + data.length;
    const size = options.truncate ? end : Math.max(old.length, end);
    const next = new Uint8Array(size);
    next.set(old.subarray(0, Math.min(old.length, size)));
    next.set(data, offset);
    this.data = next;
    this.writes++;
    return Promise.resolve();
  }
}

/**
 * A {@linkcode HeaderStorage} in a file. Creation writes a temporary file beside it, flushes
 * it and renames it over the path; appends write in place and flush (`fsync`) before they
 * resolve. The chain's format makes a torn append recoverable (see {@linkcode HeaderChain.open}).
 *
 * @example
 * ```ts
 * import { FileHeaderStorage, HeaderChain } from "@btcstream/p2p/headers";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const chain = await HeaderChain.open(new FileHeaderStorage(`${dir}/headers.dat`), {
 *   network: "regtest",
 * });
 * await chain.close();
 * assertEquals((await Deno.stat(`${dir}/headers.dat`)).size, 176);
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileHeaderStorage implements HeaderStorage {
  /** The file's path. */
  readonly path: string;
  #counter = 0;

  /**
   * Creates a storage for a path (nothing is touched until it is used).
   *
   * @param path The file, e.g. `"data/headers.dat"`.
   */
  constructor(path: string) {
    this.path = path;
  }

  /**
   * The file's size.
   *
   * @returns Its size, or `undefined` when it does not exist.
   */
  async size(): Promise<number | undefined> {
    try {
      return (await stat(this.path)).size;
    } catch (e) {
      if ((e as { code?: unknown }).code === "ENOENT") return undefined;
      throw e;
    }
  }

  /**
   * Reads from the file.
   *
   * @param offset Where to start.
   * @param length How many bytes.
   * @returns The bytes read; fewer at the end of the file.
   */
  async read(offset: number, length: number): Promise<Uint8Array> {
    // try/finally rather than `using`: Node before 24 cannot parse `using` declarations, and
    // JSR's npm build leaves them as they are.
    const file = await open(this.path, "r");
    try {
      const out = new Uint8Array(length);
      let got = 0;
      while (got < length) {
        const { bytesRead } = await file.read(out, got, length - got, offset + got);
        if (bytesRead === 0) break;
        got += bytesRead;
      }
      return got === length ? out : out.slice(0, got);
    } finally {
      await file.close();
    }
  }

  /**
   * Writes `data` to a temporary file, flushes it, and renames it over the file.
   *
   * @param data The new contents.
   */
  async replace(data: Uint8Array): Promise<void> {
    const tmp = `${this.path}.tmp-${Date.now()}-${this.#counter++}`;
    try {
      const file = await open(tmp, "w");
      try {
        await writeAll(file, data, 0);
        await file.sync();
      } finally {
        await file.close();
      }
      await rename(tmp, this.path);
    } catch (e) {
      await unlink(tmp).catch(() => {});
      throw e;
    }
  }

  /**
   * Writes at an offset, optionally cuts the file after the written bytes, and flushes.
   *
   * @param offset Where to write.
   * @param data The bytes.
   * @param options Whether to cut the file at the end of the write.
   */
  async write(
    offset: number,
    data: Uint8Array,
    options: HeaderStorageWriteOptions = {},
  ): Promise<void> {
    // "r+": write in place without creating; the file exists once `replace` created it.
    const file = await open(this.path, "r+");
    try {
      await writeAll(file, data, offset);
      if (options.truncate) await file.truncate(offset + data.length);
      await file.datasync();
    } finally {
      await file.close();
    }
  }
}

async function writeAll(file: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let written = 0;
  while (written < data.length) {
    const { bytesWritten } = await file.write(
      data,
      written,
      data.length - written,
      position + written,
    );
    written += bytesWritten;
  }
}
