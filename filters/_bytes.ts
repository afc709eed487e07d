// Byte comparison for hashes and filters.

/**
 * Whether two byte arrays hold the same bytes.
 *
 * @param a One array.
 * @param b Another.
 * @returns True when they have the same length and contents.
 */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
