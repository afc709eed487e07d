// Who may start an inbound handshake (btcd's `internal/inbound`, 2026): at most N incomplete
// handshakes per source prefix (IPv4 /24, IPv6 /64), so that one host or subnet can't hold
// every inbound slot with connections that never finish their handshake. A slot is held
// from accept until the handshake completes or the connection ends.
import { tryNetAddress } from "./_host_port.ts";

/** btcd's `defaultMaxPendingInboundHandshakes`. */
export const MAX_PENDING_INBOUND_PER_SOURCE = 8;

export class InboundAdmission {
  readonly #max: number;
  readonly #pending = new Map<string, number>();

  constructor(maxPerSource: number) {
    this.#max = maxPerSource;
  }

  /**
   * Reserves a handshake slot for `host`: a release function (safe to call twice), or
   * undefined when its prefix already has the maximum.
   */
  acquire(host: string): (() => void) | undefined {
    const prefix = sourcePrefix(host);
    const pending = this.#pending.get(prefix) ?? 0;
    if (pending >= this.#max) return undefined;
    this.#pending.set(prefix, pending + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const left = (this.#pending.get(prefix) ?? 1) - 1;
      if (left === 0) this.#pending.delete(prefix);
      else this.#pending.set(prefix, left);
    };
  }
}

/** The prefix a source is counted under: IPv4 /24, IPv6 /64, else the host itself. */
export function sourcePrefix(host: string): string {
  const address = tryNetAddress(host, 0)?.address;
  if (address === undefined) return host;
  const bytes = address.length === 4 ? 3 : 8;
  return `${address.length === 4 ? "4" : "6"}:${Array.from(address.subarray(0, bytes)).join(".")}`;
}
