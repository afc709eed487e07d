// A tap is an identity TransformStream that observes each chunk going by. The peer's stall,
// keepalive and statistics stages are taps, composed with `pipeThrough`.

/**
 * An identity `TransformStream` that calls `observe` with each chunk before passing it on.
 *
 * @param observe Called once per chunk, in order; must not throw.
 * @returns The tap.
 *
 * @example
 * ```ts
 * import { tap } from "./tap.ts";
 * import { assertEquals } from "@std/assert";
 * const seen: number[] = [];
 * const stream = ReadableStream.from([1, 2]).pipeThrough(tap((n) => seen.push(n)));
 * const out = await Array.fromAsync(stream);
 * assertEquals(out, [1, 2]);
 * assertEquals(seen, [1, 2]);
 * ```
 */
export function tap<T>(observe: (chunk: T) => void): TransformStream<T, T> {
  return new TransformStream<T, T>({
    transform(chunk, controller) {
      observe(chunk);
      controller.enqueue(chunk);
    },
  });
}
