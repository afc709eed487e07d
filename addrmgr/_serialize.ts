// peers.json, read and written. The shape is btcd's (REFERENCE 3.11, Go's encoding/json:
// `Key` as an array of 32 numbers, unix-second integers, buckets as arrays of "host:port"),
// and we read btcd's versions 1 and 2. We write version 3, which btcd refuses cleanly (it
// rejects versions above 2) rather than misreading: the same fields, with 256 tried buckets
// (Core's count; btcd has 64), I2P and CJDNS hosts, never-happened times as 0 (btcd writes
// Go's zero time, -62135596800), and services above 2^53 as decimal strings.
import { ServiceFlag } from "../wire/protocol.ts";
import { type NetAddressV2, netAddressV2FromString } from "../wire/net_address_v2.ts";
import { type AddressRecord, recordOf } from "./_record.ts";
import { AddressTables, type Random } from "./_tables.ts";
import { NEW_BUCKET_COUNT, TRIED_BUCKET_COUNT } from "./constants.ts";
import { netAddressKey } from "./group_key.ts";

/** The version written. */
export const BOOK_VERSION = 3;

/** Serializes the tables as a version 3 peers.json. */
export function encodeBook(tables: AddressTables): string {
  const parts: string[] = [`{"Version":${BOOK_VERSION},"Key":[${tables.hasher.key.join(",")}]`];
  const names = new Map<AddressRecord, string>();
  // Records share their source's object: name each source once.
  const sourceNames = new Map<NetAddressV2, string>();
  const addresses: string[] = [];
  for (const rec of tables.all) {
    const name = rec.name();
    names.set(rec, name);
    let src = sourceNames.get(rec.source);
    if (src === undefined) {
      src = netAddressKey(rec.source);
      sourceNames.set(rec.source, src);
    }
    addresses.push(
      `{"Addr":"${name}","Src":"${src}","Attempts":${rec.attempts},` +
        `"TimeStamp":${rec.timestamp},"LastAttempt":${seconds(rec.lastAttemptMs)},` +
        `"LastSuccess":${seconds(rec.lastSuccessMs)},"Services":${
          services(rec.services)
        },"SrcServices":${services(rec.source.services)}}`,
    );
  }
  parts.push(`,"Addresses":[${addresses.join(",")}]`);
  const bucketList = (buckets: AddressRecord[][]) =>
    buckets.map((b) => `[${b.map((r) => `"${names.get(r)}"`).join(",")}]`).join(",");
  parts.push(`,"NewBuckets":[${bucketList(tables.newBuckets)}]`);
  parts.push(`,"TriedBuckets":[${bucketList(tables.triedBuckets)}]}`);
  return parts.join("");
}

function seconds(ms: number): number {
  return Math.floor(ms / 1000);
}

function services(value: bigint): string {
  return value <= BigInt(Number.MAX_SAFE_INTEGER) ? String(value) : `"${value}"`;
}

interface LoadedAddress {
  readonly record: AddressRecord;
  inNew: boolean;
  inTried: boolean;
}

/** What loading found besides the addresses. */
export interface LoadReport {
  /** The file's version. */
  readonly version: number;
  /** References or addresses dropped because a bucket was full after re-bucketing. */
  readonly dropped: number;
}

/**
 * Reads a peers.json (our version 3 or btcd's 1 and 2) into new tables. Addresses are put
 * in the buckets the file lists; where the file's bucket counts differ from ours (btcd's 64
 * tried buckets), they are placed again with the file's key. Entries beyond a bucket's
 * capacity (btcd lets a new bucket hold 65) are dropped.
 *
 * @throws {TypeError} On anything malformed, inconsistent or of an unknown version.
 */
export function decodeBook(
  text: string,
  random: Random,
  keepLocal = false,
): [AddressTables, LoadReport] {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new TypeError(`Cannot read peers.json: ${(e as Error).message}`);
  }
  const root = object(json, "the file");
  const version = root.Version;
  if (version !== 1 && version !== 2 && version !== 3) {
    throw new TypeError(`Cannot read peers.json: unknown version ${JSON.stringify(version)}`);
  }
  const key = root.Key;
  if (
    !Array.isArray(key) || key.length !== 32 ||
    !key.every((b) => Number.isInteger(b) && b >= 0 && b <= 255)
  ) {
    throw new TypeError("Cannot read peers.json: Key must be an array of 32 bytes");
  }
  const tables = new AddressTables(Uint8Array.from(key), random, keepLocal);
  const byName = new Map<string, LoadedAddress>();
  for (const entry of array(root.Addresses, "Addresses")) {
    const a = object(entry, "an address");
    const name = string(a.Addr, "Addr");
    const svc = version === 1 ? ServiceFlag.NETWORK : toServices(a.Services, "Services");
    const srcSvc = version === 1 ? 0n : toServices(a.SrcServices, "SrcServices");
    const na = parseKey(name, svc, toTimestamp(a.TimeStamp));
    const src = parseKey(string(a.Src, "Src"), srcSvc, 0);
    const record = recordOf(na, src);
    record.attempts = integer(a.Attempts, "Attempts");
    record.lastAttemptMs = toMs(a.LastAttempt, "LastAttempt");
    record.lastSuccessMs = toMs(a.LastSuccess, "LastSuccess");
    if (byName.has(name)) throw new TypeError(`Cannot read peers.json: ${name} listed twice`);
    byName.set(name, { record, inNew: false, inTried: false });
  }
  const newBuckets = buckets(root.NewBuckets, "NewBuckets", byName);
  const triedBuckets = buckets(root.TriedBuckets, "TriedBuckets", byName);
  for (const b of newBuckets) for (const e of b) e.inNew = true;
  for (const b of triedBuckets) for (const e of b) e.inTried = true;
  for (const [name, e] of byName) {
    if (e.inNew && e.inTried) {
      throw new TypeError(`Cannot read peers.json: ${name} is in both new and tried buckets`);
    }
    if (!e.inNew && !e.inTried) {
      throw new TypeError(`Cannot read peers.json: ${name} is in no bucket`);
    }
  }
  let dropped = 0;
  const sameNew = newBuckets.length === NEW_BUCKET_COUNT;
  newBuckets.forEach((b, i) => {
    for (const { record } of b) {
      const bucket = sameNew ? i : tables.newBucketOf(record);
      if (!tables.restoreNew(record, bucket)) dropped++;
    }
  });
  const sameTried = triedBuckets.length === TRIED_BUCKET_COUNT;
  triedBuckets.forEach((b, i) => {
    for (const { record } of b) {
      const bucket = sameTried ? i : tables.triedBucketOf(record);
      if (tables.restoreTried(record, bucket)) continue;
      // No room in its tried bucket: back to the new table, as an eviction would do.
      const newBucket = tables.newBucketOf(record);
      if (!tables.restoreNew(record, newBucket)) dropped++;
    }
  });
  return [tables, { version, dropped }];
}

function buckets(
  value: unknown,
  field: string,
  byName: Map<string, LoadedAddress>,
): LoadedAddress[][] {
  return array(value, field).map((b) =>
    array(b, field).map((name) => {
      const e = byName.get(string(name, field));
      if (e === undefined) {
        throw new TypeError(`Cannot read peers.json: ${field} lists unknown address ${name}`);
      }
      return e;
    })
  );
}

/** Parses btcd's "host:port" (IPv6 in brackets) into an address. */
export function parseKey(text: string, services: bigint, timestamp: number): NetAddressV2 {
  let host: string;
  let port: string;
  if (text.startsWith("[")) {
    const end = text.indexOf("]:");
    host = text.slice(1, end);
    port = text.slice(end + 2);
    if (end < 0) throw new TypeError(`Cannot read peers.json: bad address ${text}`);
  } else {
    const colon = text.lastIndexOf(":");
    host = text.slice(0, colon);
    port = text.slice(colon + 1);
    if (colon < 0) throw new TypeError(`Cannot read peers.json: bad address ${text}`);
  }
  if (!/^[0-9]{1,5}$/.test(port)) {
    throw new TypeError(`Cannot read peers.json: bad port in ${text}`);
  }
  try {
    return netAddressV2FromString(host, Number(port), { services, timestamp });
  } catch (e) {
    throw new TypeError(`Cannot read peers.json: ${(e as Error).message}`);
  }
}

function object(value: unknown, what: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new TypeError(`Cannot read peers.json: ${what} is not an object`);
  }
  return value as Record<string, unknown>;
}

function array(value: unknown, field: string): unknown[] {
  if (!Array.isArray(value)) throw new TypeError(`Cannot read peers.json: ${field} is not a list`);
  return value;
}

function string(value: unknown, field: string): string {
  if (typeof value !== "string") {
    throw new TypeError(`Cannot read peers.json: ${field} is not a string`);
  }
  return value;
}

function integer(value: unknown, field: string): number {
  if (!Number.isSafeInteger(value)) {
    throw new TypeError(`Cannot read peers.json: ${field} is not an integer`);
  }
  return value as number;
}

function toTimestamp(value: unknown): number {
  const t = integer(value, "TimeStamp");
  return Math.min(Math.max(t, 0), 0xffffffff);
}

/** Unix seconds to ms; btcd writes never as Go's zero time (-62135596800), we write 0. */
function toMs(value: unknown, field: string): number {
  const t = integer(value, field);
  return t <= 0 ? 0 : t * 1000;
}

function toServices(value: unknown, field: string): bigint {
  // Go writes uint64 as an exact integer; above 2^53 JSON.parse rounds it (btcd never sets
  // such bits). We write those as strings.
  if (typeof value === "number" && Number.isInteger(value) && value >= 0) return BigInt(value);
  if (typeof value === "string" && /^[0-9]{1,20}$/.test(value)) {
    const v = BigInt(value);
    if (v <= 0xffffffffffffffffn) return v;
  }
  throw new TypeError(`Cannot read peers.json: ${field} is not a uint64`);
}
