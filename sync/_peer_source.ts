// The peers a sync uses when it is given a server: those accepted now, then each one accepted
// later, until the sync stops.
import type { Peer } from "../peer/peer.ts";
import type { Server } from "../server/server.ts";

/**
 * Calls `add` for every accepted peer of `server`, now and as they come, until `stopped`
 * settles. `add` must ignore peers it already has: after each wake-up the server's whole list
 * is offered again, so that peers accepted together are never missed.
 */
export async function followServerPeers(
  server: Server,
  add: (peer: Peer) => void,
  stopped: Promise<void>,
): Promise<void> {
  let stop = false;
  const end = stopped.then(() => (stop = true));
  for (;;) {
    // The next waiter is registered in the same turn as the list is read: no gap between.
    const next = server.nextPeer();
    for (const peer of server.peers) add(peer);
    await Promise.race([next, end]);
    if (stop) return;
  }
}
