// For fuzzing: makes a damaged frame's header consistent again (length clamped to the bytes
// present, checksum recomputed), so the damage reaches the payload decoders instead of being
// stopped by the checksum check.
import { createHash } from "node:crypto";

/** Rewrites `frame`'s length and checksum fields, in place, to match its payload. */
export function fixChecksum(frame: Uint8Array): void {
  if (frame.length < 24) return;
  const view = new DataView(frame.buffer, frame.byteOffset);
  const length = Math.min(view.getUint32(16, true), frame.length - 24);
  view.setUint32(16, length, true);
  const payload = frame.subarray(24, 24 + length);
  const d = createHash("sha256").update(createHash("sha256").update(payload).digest()).digest();
  frame.set(d.subarray(0, 4), 20);
}
