// Where a header chain is kept: a small byte-level interface, a file, and memory for tests.
// Only FileHeaderStorage touches the runtime (Deno's file API); the format lives in
// `_file_format.ts` and the recovery logic in the chain.

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
      return (await Deno.stat(this.path)).size;
    } catch (e) {
      if (e instanceof Deno.errors.NotFound) return undefined;
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
    using file = await Deno.open(this.path, { read: true });
    await file.seek(offset, Deno.SeekMode.Start);
    const out = new Uint8Array(length);
    let got = 0;
    while (got < length) {
      const n = await file.read(out.subarray(got));
      if (n === null) break;
      got += n;
    }
    return got === length ? out : out.slice(0, got);
  }

  /**
   * Writes `data` to a temporary file, flushes it, and renames it over the file.
   *
   * @param data The new contents.
   */
  async replace(data: Uint8Array): Promise<void> {
    const tmp = `${this.path}.tmp-${Date.now()}-${this.#counter++}`;
    try {
      {
        using file = await Deno.open(tmp, { write: true, create: true, truncate: true });
        await writeAll(file, data);
        await file.sync();
      }
      await Deno.rename(tmp, this.path);
    } catch (e) {
      await Deno.remove(tmp).catch(() => {});
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
    using file = await Deno.open(this.path, { write: true });
    await file.seek(offset, Deno.SeekMode.Start);
    await writeAll(file, data);
    if (options.truncate) await file.truncate(offset + data.length);
    await file.syncData();
  }
}

async function writeAll(file: Deno.FsFile, data: Uint8Array): Promise<void> {
  let written = 0;
  while (written < data.length) written += await file.write(data.subarray(written));
}
