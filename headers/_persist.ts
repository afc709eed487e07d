// Keeps a chain's file in step with its best chain: load and repair on open, then appends in
// the background after each change (serialized; a reorg rewrites the tail). The format is in
// `_file_format.ts`.
import type { getLogger } from "@logtape/logtape";
import { BLOCK_HEADER_SIZE, hashToHex } from "../wire/mod.ts";
import {
  decodeFileHeader,
  encodeFileHeader,
  FILE_HEADER_SIZE,
  type FileHeader,
  recordOffset,
} from "./_file_format.ts";
import { hashEquals, type HeaderStore } from "./_store.ts";
import type { HeaderErrorCode } from "./errors.ts";
import type { ChainParams } from "./params.ts";
import type { HeaderStorage } from "./storage.ts";

/** Records read per storage read on load, and written per append at most (1.3 MB). */
const RECORDS_PER_IO = 16384;

/** What the file needs from its chain. */
export interface ChainFileHost {
  readonly params: ChainParams;
  readonly log: ReturnType<typeof getLogger>;
  readonly store: HeaderStore;
  /** Checks a stored record and appends it to the best chain. */
  appendRecord(bytes: Uint8Array, offset: number): HeaderErrorCode | undefined;
  /** Cuts the best chain to `count` headers. */
  truncate(count: number): void;
}

/** The chain's side of its file. */
export interface ChainFile {
  /** The best chain changed: write it out soon. */
  changed(): void;
  /** The best chain was cut to `count` headers. */
  truncated(count: number): void;
  /** Writes everything pending; resolves once flushed. */
  flush(): Promise<void>;
}

/** Loads (or creates) the file into the host's chain and returns the writer. */
export async function openChainFile(
  storage: HeaderStorage,
  host: ChainFileHost,
): Promise<ChainFile> {
  const file = new FileWriter(storage, host);
  await file.load();
  return file;
}

class FileWriter implements ChainFile {
  readonly #storage: HeaderStorage;
  readonly #host: ChainFileHost;
  /** Best-chain headers known to be on disk, as they are in memory. */
  #persisted = 0;
  /** The file holds more than `#persisted` records, or its header is out of date. */
  #stale = false;
  /** The lowest count the best chain was cut to during the write in progress. */
  #minSince = Infinity;
  #tail: Promise<void> = Promise.resolve();
  #requested = false;

  constructor(storage: HeaderStorage, host: ChainFileHost) {
    this.#storage = storage;
    this.#host = host;
  }

  async load(): Promise<void> {
    const { params, store, log } = this.#host;
    const size = await this.#storage.size() ?? 0;
    if (size === 0) {
      const data = new Uint8Array(FILE_HEADER_SIZE + BLOCK_HEADER_SIZE);
      data.set(this.#fileHeader(1), 0);
      data.set(store.raw(0), FILE_HEADER_SIZE);
      await this.#storage.replace(data);
      this.#persisted = 1;
      return;
    }
    const reading = decodeFileHeader(await this.#storage.read(0, FILE_HEADER_SIZE));
    if (reading.kind === "foreign") {
      throw new Error(
        `Cannot open the header chain: the storage holds something else (${reading.reason})`,
      );
    }
    let committed: FileHeader | undefined;
    if (reading.kind === "ok") {
      committed = reading.header;
      if (
        committed.networkMagic !== params.network.magic ||
        !hashEquals(committed.genesisHash, 0, params.genesisHash, 0)
      ) {
        throw new Error(
          `Cannot open the header chain: the storage holds another network's chain ` +
            `(genesis ${hashToHex(committed.genesisHash)}), not ${params.name}'s`,
        );
      }
    }
    const records = Math.max(0, Math.floor((size - FILE_HEADER_SIZE) / BLOCK_HEADER_SIZE));
    const whole = size === recordOffset(records);
    const notes: string[] = [];
    if (reading.kind === "corrupt") notes.push("the file header's checksum fails");
    if (!whole) notes.push(`a partial record after record ${records - 1}`);

    // Record 0 must be our genesis; then every record is checked as a received header.
    let genesisOk = false;
    let failure = "";
    let brokenLink = false;
    const genesis = store.raw(0);
    for (let start = 0; start < records && failure === ""; start += RECORDS_PER_IO) {
      const n = Math.min(RECORDS_PER_IO, records - start);
      const bytes = await this.#storage.read(recordOffset(start), n * BLOCK_HEADER_SIZE);
      const got = Math.floor(bytes.length / BLOCK_HEADER_SIZE);
      for (let i = 0; i < got && failure === ""; i++) {
        const height = start + i;
        if (height === 0) {
          genesisOk = genesis.every((b, k) => bytes[k] === b);
          if (!genesisOk) failure = "record 0 is not the genesis header";
          continue;
        }
        const code = this.#host.appendRecord(bytes, i * BLOCK_HEADER_SIZE);
        if (code !== undefined) {
          failure = `record ${height} fails (${code})`;
          brokenLink = code === "non-continuous";
        }
      }
      if (got < n && failure === "") failure = `the file ended at record ${start + got}`;
    }
    if (failure !== "") notes.push(failure);
    // A record that does not link to the one before means either may be damaged: the one
    // before is only vouched for by this link (or by the committed tip hash), so it goes too.
    if (
      brokenLink && store.count > 1 &&
      !(committed !== undefined && committed.count === store.count &&
        store.hashIs(committed.count - 1, committed.tipHash, 0))
    ) this.#host.truncate(store.count - 1);

    // Keep the committed chain when the records hold it; otherwise the valid prefix, but only
    // as far as something vouches for its last record: the record after it in the file (its
    // prevBlock) or the committed tip hash. Its own proof of work is not enough: on regtest a
    // flipped bit passes it half the time. Then one header is lost (and synced again) rather
    // than a damaged one kept.
    const valid = store.count;
    let keep = valid;
    if (
      committed !== undefined && committed.count >= 1 && committed.count <= valid &&
      store.hashIs(committed.count - 1, committed.tipHash, 0)
    ) {
      keep = committed.count;
    } else if (valid > 1) {
      const next = await this.#storage.read(recordOffset(valid) + 4, 32);
      if (!(next.length === 32 && store.hashIs(valid - 1, next, 0))) keep = valid - 1;
    }
    if (keep < valid) this.#host.truncate(keep);
    this.#persisted = genesisOk ? keep : 0;
    this.#stale = committed === undefined || committed.count !== keep || records !== keep ||
      !whole || !genesisOk;
    if (notes.length > 0 || keep !== records) {
      if (keep !== records && failure === "") notes.push("uncommitted headers after the tip");
      log.warn("Header file recovered: kept {kept} of {records} headers ({problem})", {
        kept: keep,
        records,
        problem: notes.join("; "),
      });
    }
    if (this.#stale) await this.flush();
  }

  changed(): void {
    if (this.#requested) return;
    this.#requested = true;
    const run = this.#tail.then(() => {
      this.#requested = false;
      return this.#write();
    });
    this.#tail = run.catch((error) => {
      this.#host.log.error("Could not write the header chain: {error}", { error });
    });
  }

  truncated(count: number): void {
    if (count < this.#persisted) this.#persisted = count;
    if (count < this.#minSince) this.#minSince = count;
    this.#stale = true;
  }

  flush(): Promise<void> {
    const run = this.#tail.then(() => this.#write());
    this.#tail = run.catch(() => {});
    return run;
  }

  async #write(): Promise<void> {
    const store = this.#host.store;
    while (this.#persisted < store.count || this.#stale) {
      this.#stale = false;
      const from = this.#persisted;
      const to = Math.min(store.count, from + RECORDS_PER_IO);
      this.#minSince = to;
      const data = store.rawRange(from, to);
      const header = this.#fileHeader(to);
      try {
        await this.#storage.write(recordOffset(from), data, { truncate: true });
        await this.#storage.write(0, header);
      } catch (e) {
        // Unknown state on disk: rewrite from the last point known good next time.
        this.#stale = true;
        throw e;
      }
      this.#persisted = Math.min(to, this.#minSince);
      if (this.#minSince < to) this.#stale = true;
      this.#minSince = Infinity;
    }
  }

  #fileHeader(count: number): Uint8Array {
    const { params, store } = this.#host;
    return encodeFileHeader({
      networkMagic: params.network.magic,
      genesisHash: params.genesisHash,
      count,
      tipHash: store.hash(count - 1),
    });
  }
}
