// BIP 324's packet encoding vectors, every intermediate value: both encodings, the ECDH x,
// the shared secret, the four keys, both terminators, the session id, and the ciphertext of
// the packet at index in_idx (the ciphers advanced in_idx times first, as the BIP's
// run_test_vectors.py does), including the long ones given by their last bytes.
import { assert, assertEquals } from "@std/assert";
import { secp256k1 } from "@noble/curves/secp256k1.js";
import {
  ellswiftCreate,
  ellswiftDecode,
  ellswiftEcdhX,
  ellswiftXdh,
} from "../../transport/ellswift.ts";
import { deriveV2Keys, garbageTerminators } from "../../transport/keys.ts";
import { PacketCipher } from "../../transport/packet.ts";
import { bytesToHex, hexToBytes } from "../../wire/hash.ts";
import { dataTest } from "../_util/shared_data.ts";
import { bip324Vectors } from "./_vectors.ts";

function repeat(bytes: Uint8Array, times: number): Uint8Array {
  const out = new Uint8Array(bytes.length * times);
  for (let i = 0; i < times; i++) out.set(bytes, i * bytes.length);
  return out;
}

Deno.test(dataTest("BIP 324 packet encoding vectors", async (t) => {
  const rows = bip324Vectors("packet_encoding_test_vectors.csv");
  assertEquals(rows.length, 7);
  for (const row of rows) {
    await t.step(
      `in_idx ${row.in_idx}, ${row.in_initiating === "1" ? "initiator" : "responder"}`,
      () => {
        const initiator = row.in_initiating === "1";
        const priv = hexToBytes(row.in_priv_ours);
        const ours = hexToBytes(row.in_ellswift_ours), theirs = hexToBytes(row.in_ellswift_theirs);

        assertEquals(bytesToHex(secp256k1.getPublicKey(priv).subarray(1)), row.mid_x_ours);
        assertEquals(bytesToHex(ellswiftDecode(ours)), row.mid_x_ours);
        assertEquals(bytesToHex(ellswiftDecode(theirs)), row.mid_x_theirs);
        // Our own encoding of the same key (the vectors' randomness is not published) decodes
        // to the same x.
        const mine = ellswiftCreate(priv, crypto.getRandomValues(new Uint8Array(32)));
        assertEquals(bytesToHex(ellswiftDecode(mine)), row.mid_x_ours);

        assertEquals(bytesToHex(ellswiftEcdhX(theirs, priv)), row.mid_x_shared);
        const secret = ellswiftXdh({ privateKey: priv, encoding: ours, initiator }, theirs);
        assertEquals(bytesToHex(secret), row.mid_shared_secret);

        const keys = deriveV2Keys(secret, { network: "mainnet" });
        assertEquals(bytesToHex(keys.initiatorL), row.mid_initiator_l);
        assertEquals(bytesToHex(keys.initiatorP), row.mid_initiator_p);
        assertEquals(bytesToHex(keys.responderL), row.mid_responder_l);
        assertEquals(bytesToHex(keys.responderP), row.mid_responder_p);
        const terminators = garbageTerminators(keys, initiator ? "initiator" : "responder");
        assertEquals(bytesToHex(terminators.send), row.mid_send_garbage_terminator);
        assertEquals(bytesToHex(terminators.receive), row.mid_recv_garbage_terminator);
        assertEquals(bytesToHex(keys.sessionId), row.out_session_id);

        const sender = new PacketCipher(keys, initiator ? "initiator" : "responder");
        const receiver = new PacketCipher(keys, initiator ? "responder" : "initiator");
        const empty = new Uint8Array(0);
        for (let i = 0; i < Number(row.in_idx); i++) {
          const p = sender.encrypt(empty);
          // The other side follows along, so its ciphers reach the same index.
          assertEquals(receiver.decryptLength(p.subarray(0, 3)), 0);
          assert(receiver.decrypt(p.subarray(3)) !== undefined);
        }
        const contents = repeat(hexToBytes(row.in_contents), Number(row.in_multiply));
        const aad = hexToBytes(row.in_aad);
        const ignore = row.in_ignore === "1";
        const ciphertext = sender.encrypt(contents, { aad, ignore });
        if (row.out_ciphertext !== "") assertEquals(bytesToHex(ciphertext), row.out_ciphertext);
        if (row.out_ciphertext_endswith !== "") {
          const tail = row.out_ciphertext_endswith.length / 2;
          assertEquals(bytesToHex(ciphertext.subarray(-tail)), row.out_ciphertext_endswith);
        }
        assertEquals(receiver.decryptLength(ciphertext.subarray(0, 3)), contents.length);
        const back = receiver.decrypt(ciphertext.subarray(3), aad);
        assert(back !== undefined);
        assertEquals(back.ignore, ignore);
        assertEquals(back.contents, contents);
      },
    );
  }
}));
