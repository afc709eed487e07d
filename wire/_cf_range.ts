// The codec shared by `getcfilters` and `getcfheaders` (BIP 157): `filter type u8 | start height
// u32le | stop hash`. The range's width can only be checked against the chain, so it is the
// handler's job, not the codec's.
import type { MessageCodec } from "./_codec.ts";
import { checkHash, checkUint } from "./_fields.ts";

/** A request for filters or filter headers over a range of blocks. */
export interface CFRangeMessage<C extends string> {
  readonly command: C;
  readonly filterType: number;
  readonly startHeight: number;
  readonly stopHash: Uint8Array;
}

/** Builds the codec for `getcfilters` or `getcfheaders`. */
export function cfRangeCodec<C extends "getcfilters" | "getcfheaders">(
  command: C,
): MessageCodec<CFRangeMessage<C>> {
  return {
    command,
    encode(w, m) {
      checkUint(command, "filterType", m.filterType, 0xff);
      checkUint(command, "startHeight", m.startHeight, 0xffffffff);
      checkHash(command, "stopHash", m.stopHash);
      w.u8(m.filterType);
      w.u32le(m.startHeight);
      w.bytesRaw(m.stopHash);
    },
    decode(r) {
      const filterType = r.u8("filterType");
      const startHeight = r.u32le("startHeight");
      const stopHash = r.hash("stopHash");
      return { command, filterType, startHeight, stopHash };
    },
    maxPayloadLength() {
      return 1 + 4 + 32;
    },
  };
}
