// Waits of a Poisson process, as Bitcoin Core draws them (`rand_exp_duration`) for the times
// of address announcements.

/** A random wait, exponentially distributed with mean `meanMs`. */
export function exponentialMs(meanMs: number): number {
  return -Math.log(1 - Math.random()) * meanMs;
}
