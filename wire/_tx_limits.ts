// Transaction size limits. They live apart from `tx.ts`, which re-exports them, so that the
// scanner and the writer can enforce them without importing the public module that imports them.
import { MAX_BLOCK_PAYLOAD } from "./protocol.ts";

/** Smallest serialized input: outpoint, empty script, sequence. */
export const MIN_TX_IN_SIZE = 41;
/** Smallest serialized output: value and an empty script. */
export const MIN_TX_OUT_SIZE = 9;
/** Smallest serialized transaction: version, no inputs, no outputs, lock time. */
export const MIN_TX_SIZE = 10;
/** Most inputs a transaction can have within the 4,000,000-byte limit. */
export const MAX_TX_IN_PER_TX: number = Math.floor(MAX_BLOCK_PAYLOAD / MIN_TX_IN_SIZE);
/** Most outputs a transaction can have within the 4,000,000-byte limit. */
export const MAX_TX_OUT_PER_TX: number = Math.floor(MAX_BLOCK_PAYLOAD / MIN_TX_OUT_SIZE);
/** Largest signature or public key script (btcd's bound). */
export const MAX_SCRIPT_SIZE = 4_000_000;
/** Largest witness item (btcd's bound, from the largest possible block). */
export const MAX_WITNESS_ITEM_SIZE = 4_000_000;
/** Most witness items in one input (btcd's bound). */
export const MAX_WITNESS_ITEMS_PER_INPUT = 4_000_000;
