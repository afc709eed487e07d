// Where the address book is kept: a small interface, a file with atomic replacement, and
// memory for tests. Only FileStorage touches the runtime, through `node:fs/promises`, which
// Deno and Node both provide (Deno's own file API does not exist under Node, where JSR's npm
// build runs); everything else in addrmgr is runtime-neutral.
import { open, readFile, rename, unlink } from "node:fs/promises";

/**
 * Storage for the serialized address book.
 *
 * @example
 * ```ts
 * import type { AddrStorage } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * let kept: string | undefined;
 * const storage: AddrStorage = {
 *   load: () => Promise.resolve(kept),
 *   save: (data) => { kept = data; return Promise.resolve(); },
 *   setAside: () => { kept = undefined; return Promise.resolve(undefined); },
 * };
 * await storage.save("{}");
 * assertEquals(await storage.load(), "{}");
 * ```
 */
export interface AddrStorage {
  /**
   * Reads the stored book.
   *
   * @returns Its text, or `undefined` when nothing was stored yet.
   */
  load(): Promise<string | undefined>;
  /**
   * Replaces the stored book. Implementations must be atomic: after a crash, the previous
   * book or the new one is stored, never a mix.
   *
   * @param data The serialized book.
   */
  save(data: string): Promise<void>;
  /**
   * Moves an unreadable book out of the way, keeping it for inspection.
   *
   * @returns Where it was kept, if anywhere.
   */
  setAside(): Promise<string | undefined>;
}

/**
 * An {@linkcode AddrStorage} in memory.
 *
 * @example
 * ```ts
 * import { MemoryStorage } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * const storage = new MemoryStorage("not json");
 * await storage.setAside();
 * assertEquals(storage.data, undefined);
 * assertEquals(storage.setAsideData, ["not json"]);
 * ```
 */
export class MemoryStorage implements AddrStorage {
  /** The stored text. */
  data: string | undefined;
  /** Texts set aside as unreadable, oldest first. */
  readonly setAsideData: string[] = [];
  /** How many times {@linkcode MemoryStorage.save} was called. */
  saves = 0;

  /**
   * Creates a storage.
   *
   * @param data Initial contents.
   */
  constructor(data?: string) {
    this.data = data;
  }

  /**
   * Reads the stored text.
   *
   * @returns The text, or `undefined`.
   */
  load(): Promise<string | undefined> {
    return Promise.resolve(this.data);
  }

  /**
   * Stores `data`.
   *
   * @param data The text.
   */
  save(data: string): Promise<void> {
    this.data = data;
    this.saves++;
    return Promise.resolve();
  }

  /**
   * Moves the stored text to {@linkcode MemoryStorage.setAsideData}.
   *
   * @returns `"memory"` when something was set aside.
   */
  setAside(): Promise<string | undefined> {
    if (this.data === undefined) return Promise.resolve(undefined);
    this.setAsideData.push(this.data);
    this.data = undefined;
    return Promise.resolve("memory");
  }
}

/** The file operations {@linkcode FileStorage} uses; replaceable in tests. */
export interface FileSystem {
  /**
   * Reads a whole file as UTF-8; when it is absent, rejects with an error whose `code` is
   * `"ENOENT"` (as `node:fs` and Deno's file API do) or with a `Deno.errors.NotFound`.
   */
  readTextFile(path: string): Promise<string>;
  /** Creates or truncates `path`, writes `data`, flushes it to disk and closes it. */
  writeAndSync(path: string, data: Uint8Array): Promise<void>;
  /** Atomically replaces `to` with `from`. */
  rename(from: string, to: string): Promise<void>;
  /** Removes a file. */
  remove(path: string): Promise<void>;
}

/** Options for {@linkcode FileStorage}. */
export interface FileStorageOptions {
  /** File operations; defaults to `node:fs/promises`'s. */
  readonly fs?: FileSystem;
  /** The current time in ms, for naming set-aside files; defaults to `Date.now`. */
  readonly now?: () => number;
}

const NODE_FS: FileSystem = {
  readTextFile: (path) => readFile(path, "utf8"),
  async writeAndSync(path, data) {
    const file = await open(path, "w");
    try {
      await file.writeFile(data);
      await file.sync();
    } finally {
      await file.close();
    }
  },
  rename: (from, to) => rename(from, to),
  remove: (path) => unlink(path),
};

/** Whether `e` says a file is absent, from `node:fs`, Deno's file API or a replacement. */
function isNotFound(e: unknown): boolean {
  if ((e as { code?: unknown } | null)?.code === "ENOENT") return true;
  return typeof Deno !== "undefined" && e instanceof Deno.errors.NotFound;
}

/**
 * An {@linkcode AddrStorage} in a file (`peers.json` by default), replaced atomically: the
 * book is written to a temporary file beside it, flushed to disk, then renamed over it, so a
 * crash or kill during a save leaves the previous file whole.
 *
 * @example
 * ```ts
 * import { FileStorage } from "@btcstream/p2p/addrmgr";
 * import { assertEquals } from "@std/assert";
 * const dir = await Deno.makeTempDir();
 * const storage = new FileStorage(`${dir}/peers.json`);
 * await storage.save('{"Version":3}');
 * assertEquals(await storage.load(), '{"Version":3}');
 * await Deno.remove(dir, { recursive: true });
 * ```
 */
export class FileStorage implements AddrStorage {
  /** The file's path. */
  readonly path: string;
  #fs: FileSystem;
  #now: () => number;
  #counter = 0;

  /**
   * Creates a storage for `path`.
   *
   * @param path The file, e.g. `"data/peers.json"`.
   * @param options Replacement file operations and clock.
   */
  constructor(path: string, options: FileStorageOptions = {}) {
    this.path = path;
    this.#fs = options.fs ?? NODE_FS;
    this.#now = options.now ?? Date.now;
  }

  /**
   * Reads the file.
   *
   * @returns Its text, or `undefined` when it does not exist.
   */
  async load(): Promise<string | undefined> {
    try {
      return await this.#fs.readTextFile(this.path);
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }

  /**
   * Writes `data` to a temporary file, flushes it, and renames it over the file. On failure
   * the temporary file is removed and the previous file is untouched.
   *
   * @param data The text.
   */
  async save(data: string): Promise<void> {
    const tmp = `${this.path}.tmp-${this.#now()}-${this.#counter++}`;
    try {
      await this.#fs.writeAndSync(tmp, new TextEncoder().encode(data));
      await this.#fs.rename(tmp, this.path);
    } catch (e) {
      await this.#fs.remove(tmp).catch(() => {});
      throw e;
    }
  }

  /**
   * Renames the file to `<path>.corrupt-<time>`.
   *
   * @returns The new name, or `undefined` when there was no file.
   */
  async setAside(): Promise<string | undefined> {
    const to = `${this.path}.corrupt-${this.#now()}`;
    try {
      await this.#fs.rename(this.path, to);
      return to;
    } catch (e) {
      if (isNotFound(e)) return undefined;
      throw e;
    }
  }
}
