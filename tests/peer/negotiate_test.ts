import assert from "node:assert/strict";
import {
  HandshakeFailure,
  type HandshakeIo,
  type HandshakeParams,
  type HandshakeResult,
  MIN_ACCEPTABLE_PROTOCOL_VERSION,
  negotiate,
  NEGOTIATE_TIMEOUT_MS,
  SentNonces,
} from "../../peer/handshake.ts";
import type { DisconnectCode } from "../../peer/disconnect.ts";
import {
  type Message,
  netAddressFromHost,
  RejectCode,
  type RejectMessage,
  type UnknownMessage,
  type VersionMessage,
} from "../../wire/mod.ts";

type Incoming = Message | UnknownMessage;

function version(protocolVersion: number, nonce: bigint): VersionMessage {
  return {
    command: "version",
    protocolVersion,
    services: 1033n,
    timestamp: 1_767_225_600n,
    addrRecv: netAddressFromHost("203.0.113.7", 8333),
    addrFrom: netAddressFromHost("::", 0),
    nonce,
    userAgent: "/test:1.0/",
    startHeight: 850_000,
    relay: true,
  };
}

const REMOTE_NONCE = 0x5555_6666_7777_8888n;
const OUR_NONCE = 0x1111_2222_3333_4444n;

/**
 * A scripted remote: `read()` hands out `script` in order, then `undefined` (EOF); every read
 * and write is logged, so tests can check who spoke when.
 */
class ScriptedIo implements HandshakeIo {
  readonly log: string[] = [];
  readonly written: Message[] = [];
  readonly #script: Incoming[];

  constructor(script: Incoming[]) {
    this.#script = [...script];
  }

  read(): Promise<Incoming | undefined> {
    const next = this.#script.shift();
    this.log.push(next === undefined ? "read EOF" : `read ${label(next)}`);
    return Promise.resolve(next);
  }

  write(message: Message): Promise<void> {
    this.log.push(`write ${message.command}`);
    this.written.push(message);
    return Promise.resolve();
  }

  get writtenCommands(): string[] {
    return this.written.map((m) => m.command);
  }
}

function label(message: Incoming): string {
  return message.command === "unknown" ? `unknown:${message.name}` : message.command;
}

function unknown(name: string): UnknownMessage {
  return { command: "unknown", name, payload: new Uint8Array() };
}

interface Harness {
  io: ScriptedIo;
  params: HandshakeParams;
  seen: Incoming[];
  versions: [VersionMessage, number][];
  built: number;
}

function harness(script: Incoming[], overrides: Partial<HandshakeParams> = {}): Harness {
  const h: Harness = {
    io: new ScriptedIo(script),
    seen: [],
    versions: [],
    built: 0,
    params: undefined!,
  };
  h.params = {
    inbound: false,
    protocolVersion: 70016,
    buildVersion: () => {
      h.built++;
      return version(70016, OUR_NONCE);
    },
    allowSelfConnections: false,
    sentNonces: new SentNonces(),
    wtxidRelay: false,
    onVersion: (v, negotiated) => {
      h.versions.push([v, negotiated]);
      return undefined;
    },
    onMessage: (m) => void h.seen.push(m),
    ...overrides,
  };
  return h;
}

/** Runs the handshake expecting a HandshakeFailure; returns it. */
async function fails(h: Harness, code: DisconnectCode): Promise<HandshakeFailure> {
  let failure: HandshakeFailure | undefined;
  await assert.rejects(negotiate(h.io, h.params), (e: unknown) => {
    assert.ok(e instanceof HandshakeFailure, `expected HandshakeFailure, got ${e}`);
    assert.ok(e instanceof Error);
    assert.equal(e.code, code, e.message);
    failure = e;
    return true;
  });
  return failure!;
}

function remote(protocolVersion = 70016, nonce = REMOTE_NONCE): VersionMessage {
  return version(protocolVersion, nonce);
}

Deno.test("negotiate", async (t) => {
  await t.step("btcd's constants: protocol 209 or later, 30 s to negotiate", () => {
    assert.equal(MIN_ACCEPTABLE_PROTOCOL_VERSION, 209);
    assert.equal(NEGOTIATE_TIMEOUT_MS, 30_000);
  });

  await t.step("outbound: our version goes out before anything is read", async () => {
    const h = harness([remote(), { command: "verack" }]);
    const result = await negotiate(h.io, h.params);
    assert.deepEqual(h.io.log, [
      "write version",
      "read version",
      "write sendaddrv2",
      "write verack",
      "read verack",
    ]);
    assert.equal(result.remoteVersion.nonce, REMOTE_NONCE);
    assert.equal(result.protocolVersion, 70016);
    assert.equal(h.built, 1);
  });

  await t.step("inbound: the remote's version is read before ours goes out", async () => {
    const h = harness([remote(), { command: "verack" }], { inbound: true });
    await negotiate(h.io, h.params);
    assert.deepEqual(h.io.log, [
      "read version",
      "write version",
      "write sendaddrv2",
      "write verack",
      "read verack",
    ]);
    assert.equal(h.built, 1);
  });

  await t.step("inbound: onVersion runs before our version is built and sent", async () => {
    const order: string[] = [];
    const h = harness([remote(), { command: "verack" }], {
      inbound: true,
      buildVersion: () => {
        order.push("build");
        return version(70016, OUR_NONCE);
      },
      onVersion: () => {
        order.push("onVersion");
        return undefined;
      },
    });
    await negotiate(h.io, h.params);
    assert.deepEqual(order, ["onVersion", "build"]);
  });

  await t.step("the version written is the one built, and its nonce is remembered", async () => {
    const nonces = new SentNonces();
    const h = harness([remote(), { command: "verack" }], { sentNonces: nonces });
    await negotiate(h.io, h.params);
    assert.deepEqual(h.io.written[0], version(70016, OUR_NONCE));
    assert.equal(nonces.has(OUR_NONCE), true);
    assert.equal(nonces.has(REMOTE_NONCE), false);
  });

  await t.step("the result: remote version, negotiated version, features", async () => {
    const h = harness([
      remote(70016),
      { command: "sendaddrv2" },
      { command: "wtxidrelay" },
      { command: "verack" },
    ]);
    const result: HandshakeResult = await negotiate(h.io, h.params);
    assert.deepEqual(result, {
      remoteVersion: remote(70016),
      protocolVersion: 70016,
      wantsAddrV2: true,
      wtxidRelay: true,
    });
  });

  await t.step("negotiated = min(ours, theirs), and onVersion sees it", async () => {
    const cases: [number, number, number][] = [
      [70016, 70002, 70002],
      [70012, 70016, 70012],
      [70016, 70017, 70016],
      [70016, 209, 209],
    ];
    for (const [ours, theirs, expected] of cases) {
      const h = harness([remote(theirs), { command: "verack" }], { protocolVersion: ours });
      const result = await negotiate(h.io, h.params);
      assert.equal(result.protocolVersion, expected, `${ours} vs ${theirs}`);
      assert.equal(h.versions.length, 1);
      assert.equal(h.versions[0][1], expected);
      assert.equal(h.versions[0][0].protocolVersion, theirs);
    }
  });

  await t.step("first message not version: handshake-failed with a MALFORMED reject", async () => {
    for (const first of [{ command: "verack" }, { command: "ping", nonce: 1n }] as Incoming[]) {
      const h = harness([first, remote(), { command: "verack" }]);
      const failure = await fails(h, "handshake-failed");
      const expected: RejectMessage = {
        command: "reject",
        message: "version",
        code: RejectCode.MALFORMED,
        reason: "a version message must precede all others",
      };
      assert.deepEqual(failure.reject, expected);
      assert.match(failure.message, new RegExp(`"${first.command}"`));
      assert.deepEqual(h.io.writtenCommands, ["version"], "no reply beyond our version");
    }
  });

  await t.step("an unknown first message is named by its command", async () => {
    const h = harness([unknown("feature"), remote()], { inbound: true });
    const failure = await fails(h, "handshake-failed");
    assert.match(failure.message, /"feature"/);
    assert.equal(failure.reject?.code, RejectCode.MALFORMED);
    assert.deepEqual(h.io.written, [], "inbound: we never sent our version");
  });

  await t.step("EOF before the version: remote-closed", async () => {
    for (const inbound of [false, true]) {
      const h = harness([], { inbound });
      const failure = await fails(h, "remote-closed");
      assert.equal(failure.reject, undefined);
      assert.equal(h.versions.length, 0);
    }
  });

  await t.step("EOF before the verack: remote-closed", async () => {
    const h = harness([remote(), { command: "sendaddrv2" }]);
    const failure = await fails(h, "remote-closed");
    assert.equal(failure.reject, undefined);
    assert.deepEqual(h.io.writtenCommands, ["version", "sendaddrv2", "verack"]);
  });

  await t.step("self-connection: the remote's nonce is one we sent", async () => {
    // Outbound to ourselves: our own version comes back.
    const outbound = harness([version(70016, OUR_NONCE), { command: "verack" }]);
    const failure = await fails(outbound, "self-connection");
    assert.equal(failure.reject, undefined);
    assert.equal(outbound.versions.length, 0, "onVersion is not consulted");

    // Inbound side of the same loop: the nonce was sent by another peer of this node.
    const nonces = new SentNonces();
    nonces.add(REMOTE_NONCE);
    const inbound = harness([remote(), { command: "verack" }], {
      inbound: true,
      sentNonces: nonces,
    });
    await fails(inbound, "self-connection");
    assert.deepEqual(inbound.io.written, []);
  });

  await t.step("allowSelfConnections lets a peer talk to itself", async () => {
    const h = harness([version(70016, OUR_NONCE), { command: "verack" }], {
      allowSelfConnections: true,
    });
    const result = await negotiate(h.io, h.params);
    assert.equal(result.remoteVersion.nonce, OUR_NONCE);
  });

  await t.step("onVersion can reject: code rejected, with its reject", async () => {
    const rejection: RejectMessage = {
      command: "reject",
      message: "version",
      code: RejectCode.NONSTANDARD,
      reason: "no thanks",
    };
    for (const inbound of [false, true]) {
      const h = harness([remote(), { command: "verack" }], {
        inbound,
        onVersion: () => rejection,
      });
      const failure = await fails(h, "rejected");
      assert.equal(failure.reject, rejection);
      assert.match(failure.message, /no thanks/);
      assert.deepEqual(h.io.writtenCommands, inbound ? [] : ["version"]);
    }
  });

  await t.step("onVersion may be async", async () => {
    const h = harness([remote(), { command: "verack" }], {
      onVersion: async () => {
        await Promise.resolve();
        return { command: "reject", message: "version", code: RejectCode.INVALID, reason: "x" };
      },
    });
    await fails(h, "rejected");
    const ok = harness([remote(), { command: "verack" }], {
      onVersion: () => Promise.resolve(undefined),
    });
    await negotiate(ok.io, ok.params);
  });

  await t.step("obsolete: a remote below 209 gets an OBSOLETE reject", async () => {
    for (const inbound of [false, true]) {
      const h = harness([remote(208), { command: "verack" }], { inbound });
      const failure = await fails(h, "obsolete");
      assert.equal(failure.reject?.command, "reject");
      assert.equal(failure.reject?.message, "version");
      assert.equal(failure.reject?.code, RejectCode.OBSOLETE);
      assert.match(failure.reject!.reason, /209/);
      assert.match(failure.message, /208/);
      assert.deepEqual(h.io.writtenCommands, inbound ? [] : ["version"]);
    }
    const at = harness([remote(209), { command: "verack" }]);
    assert.equal((await negotiate(at.io, at.params)).protocolVersion, 209);
  });

  await t.step(
    "writes after version at 70016: sendaddrv2, wtxidrelay if asked, verack",
    async () => {
      const asked = harness([remote(70016), { command: "verack" }], { wtxidRelay: true });
      await negotiate(asked.io, asked.params);
      assert.deepEqual(asked.io.writtenCommands, ["version", "sendaddrv2", "wtxidrelay", "verack"]);

      const notAsked = harness([remote(70016), { command: "verack" }], { wtxidRelay: false });
      await negotiate(notAsked.io, notAsked.params);
      assert.deepEqual(notAsked.io.writtenCommands, ["version", "sendaddrv2", "verack"]);
    },
  );

  await t.step("below 70016 negotiated: no sendaddrv2, no wtxidrelay, even if asked", async () => {
    for (
      const [ours, theirs] of [[70016, 70015], [70015, 70016], [70016, 70002], [70016, 209]]
    ) {
      const h = harness([remote(theirs), { command: "verack" }], {
        protocolVersion: ours,
        wtxidRelay: true,
      });
      await negotiate(h.io, h.params);
      assert.deepEqual(h.io.writtenCommands, ["version", "verack"], `${ours} vs ${theirs}`);
    }
  });

  await t.step("inbound writes the same sequence after reading the version", async () => {
    const h = harness([remote(70016), { command: "verack" }], { inbound: true, wtxidRelay: true });
    await negotiate(h.io, h.params);
    assert.deepEqual(h.io.writtenCommands, ["version", "sendaddrv2", "wtxidrelay", "verack"]);
  });

  await t.step("pre-verack: unknown commands and sendtxrcncl are ignored", async () => {
    const h = harness([
      remote(),
      unknown("feature"),
      { command: "sendtxrcncl", version: 1, salt: 42n },
      unknown("sendcmpct2"),
      { command: "verack" },
    ]);
    const result = await negotiate(h.io, h.params);
    assert.equal(result.wantsAddrV2, false);
    assert.equal(result.wtxidRelay, false);
    assert.deepEqual(h.seen.map(label), [
      "unknown:feature",
      "sendtxrcncl",
      "unknown:sendcmpct2",
      "verack",
    ]);
  });

  await t.step("pre-verack: sendaddrv2 and wtxidrelay recorded at 70016", async () => {
    const h = harness([remote(70016), { command: "wtxidrelay" }, { command: "verack" }]);
    const result = await negotiate(h.io, h.params);
    assert.equal(result.wantsAddrV2, false);
    assert.equal(result.wtxidRelay, true);
    assert.deepEqual(h.seen.map(label), ["wtxidrelay", "verack"]);

    const h2 = harness([remote(70016), { command: "sendaddrv2" }, { command: "verack" }]);
    const result2 = await negotiate(h2.io, h2.params);
    assert.equal(result2.wantsAddrV2, true);
    assert.equal(result2.wtxidRelay, false);
  });

  await t.step("pre-verack: sendaddrv2 and wtxidrelay ignored below 70016", async () => {
    for (const [ours, theirs] of [[70016, 70015], [70015, 70016]]) {
      const h = harness(
        [remote(theirs), { command: "sendaddrv2" }, { command: "wtxidrelay" }, {
          command: "verack",
        }],
        { protocolVersion: ours },
      );
      const result = await negotiate(h.io, h.params);
      assert.equal(result.wantsAddrV2, false, `${ours} vs ${theirs}`);
      assert.equal(result.wtxidRelay, false, `${ours} vs ${theirs}`);
      assert.equal(h.seen.length, 3, "still passed to onMessage");
    }
  });

  await t.step("pre-verack: a second version is a duplicate", async () => {
    const h = harness([remote(), { command: "sendaddrv2" }, remote(), { command: "verack" }]);
    const failure = await fails(h, "duplicate");
    assert.deepEqual(failure.reject, {
      command: "reject",
      message: "version",
      code: RejectCode.DUPLICATE,
      reason: "duplicate version message",
    });
    assert.deepEqual(h.seen.map(label), ["sendaddrv2"], "the duplicate is not dispatched");
  });

  await t.step("pre-verack: any other known message fails the handshake", async () => {
    const intruders: Incoming[] = [
      { command: "ping", nonce: 1n },
      { command: "pong", nonce: 1n },
      { command: "getaddr" },
      { command: "inv", inventory: [] },
      { command: "sendheaders" },
      { command: "feefilter", feeRate: 1000n },
      { command: "reject", message: "tx", code: RejectCode.INVALID, reason: "x" },
    ];
    for (const intruder of intruders) {
      const h = harness([remote(), intruder, { command: "verack" }]);
      const failure = await fails(h, "handshake-failed");
      assert.equal(failure.reject, undefined, intruder.command);
      assert.match(failure.message, new RegExp(`"${intruder.command}"`));
      assert.deepEqual(h.seen, [], "the intruder is not dispatched");
    }
  });

  await t.step("onMessage sees every message after version up to verack, in order", async () => {
    const h = harness([
      remote(),
      { command: "sendaddrv2" },
      unknown("feature"),
      { command: "wtxidrelay" },
      { command: "verack" },
      { command: "ping", nonce: 9n },
    ]);
    await negotiate(h.io, h.params);
    assert.deepEqual(h.seen.map(label), ["sendaddrv2", "unknown:feature", "wtxidrelay", "verack"]);
    assert.equal(h.io.log.at(-1), "read verack", "nothing is read after verack");
  });

  await t.step("an async onMessage is awaited before the next read", async () => {
    const log: string[] = [];
    const h = harness([remote(), unknown("feature"), { command: "verack" }], {
      onMessage: async (m) => {
        log.push(`start ${label(m)}`);
        await Promise.resolve();
        await Promise.resolve();
        log.push(`end ${label(m)}`);
      },
    });
    const io = h.io;
    const read = io.read.bind(io);
    io.read = () => {
      log.push("read");
      return read();
    };
    await negotiate(io, h.params);
    assert.deepEqual(log, [
      "read",
      "read",
      "start unknown:feature",
      "end unknown:feature",
      "read",
      "start verack",
      "end verack",
    ]);
  });

  await t.step("a failing write rejects the handshake with the write's error", async () => {
    const h = harness([remote(), { command: "verack" }]);
    h.io.write = () => Promise.reject(new Error("socket closed"));
    await assert.rejects(negotiate(h.io, h.params), /socket closed/);
  });
});

Deno.test("SentNonces", async (t) => {
  await t.step("remembers the last 50 by default", () => {
    const nonces = new SentNonces();
    for (let i = 1n; i <= 60n; i++) nonces.add(i);
    for (let i = 1n; i <= 10n; i++) assert.equal(nonces.has(i), false, `${i}`);
    for (let i = 11n; i <= 60n; i++) assert.equal(nonces.has(i), true, `${i}`);
  });

  await t.step("a custom limit, evicting the oldest", () => {
    const nonces = new SentNonces(2);
    nonces.add(1n);
    nonces.add(2n);
    nonces.add(3n);
    assert.deepEqual([1n, 2n, 3n].map((n) => nonces.has(n)), [false, true, true]);
  });

  await t.step("re-adding refreshes a nonce", () => {
    const nonces = new SentNonces(2);
    nonces.add(1n);
    nonces.add(2n);
    nonces.add(1n);
    nonces.add(3n);
    assert.deepEqual([1n, 2n, 3n].map((n) => nonces.has(n)), [true, false, true]);
  });
});
