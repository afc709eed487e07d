// The flooder of `bench/hostile.ts`, in a process of its own so that the well-behaved peer it is
// measured against does not share its event loop: completes the handshake with the server at
// 127.0.0.1:PORT, then writes pings a thousand at a time, never reading, until TOTAL are out or
// a write has been blocked for 2 s (the server stopped reading). Prints one JSON line when
// connected (`{"ready":true}`) and one at the end (`{"written":N,"pushedBack":bool}`), then
// holds the connection until its stdin closes.
import { pingBytes, RawClient } from "../tests/_util/attacker.ts";

const [port, total] = Deno.args.map(Number);
const attacker = await RawClient.connect(port);
if (!await attacker.handshake()) throw new Error("The flooder's handshake failed");
console.log(JSON.stringify({ ready: true }));
const batch = 1_000;
const bytes = pingBytes(batch);
let written = 0;
let pushedBack = false;
while (written < total) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const blocked = await Promise.race([
    attacker.write(bytes).then(() => false),
    new Promise<boolean>((resolve) => (timer = setTimeout(() => resolve(true), 2_000))),
  ]);
  clearTimeout(timer);
  if (blocked) {
    pushedBack = true;
    break;
  }
  written += batch;
}
console.log(JSON.stringify({ written, pushedBack }));
for await (const _ of Deno.stdin.readable) { /* until the parent closes it */ }
attacker.close();
Deno.exit(0);
