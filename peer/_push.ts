// Small pure pieces behind the peer's push methods.

/**
 * A random subset of at most `max` items (all of them, shuffled, when there are fewer): a
 * partial Fisher–Yates over a copy. btcd's `PushAddrV2Msg` "swaps" with `a[i]=a[j]; a[j]=a[i]`,
 * which duplicates and loses entries; this is a real swap.
 */
export function randomSubset<T>(items: readonly T[], max: number): T[] {
  const out = items.slice();
  const n = Math.min(max, out.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(Math.random() * (out.length - i));
    const t = out[i];
    out[i] = out[j];
    out[j] = t;
  }
  out.length = n;
  return out;
}

/** A block request, remembered to suppress the same request sent twice in a row. */
export interface RequestKey {
  readonly firstLocator: Uint8Array;
  readonly hashStop: Uint8Array;
}

/** Whether `key` repeats `previous` (btcd compares the first locator hash and the stop hash). */
export function repeatsRequest(previous: RequestKey | undefined, key: RequestKey): boolean {
  return previous !== undefined && equalBytes(previous.firstLocator, key.firstLocator) &&
    equalBytes(previous.hashStop, key.hashStop);
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
