import { assertEquals, assertMatch, assertRejects, assertStrictEquals } from "@std/assert";
import { assertSpyCalls, type Spy, spy } from "@std/testing/mock";
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
  buildVersion: Spy<unknown, [], VersionMessage>;
}

function harness(script: Incoming[], overrides: Partial<HandshakeParams> = {}): Harness {
  const h: Harness = {
    io: new ScriptedIo(script),
    seen: [],
    versions: [],
    buildVersion: spy(() => version(70016, OUR_NONCE)),
    params: undefined!,
  };
  h.params = {
    inbound: false,
    protocolVersion: 70016,
    buildVersion: h.buildVersion,
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
  const failure = await assertRejects(() => negotiate(h.io, h.params), HandshakeFailure);
  assertEquals(failure.code, code, failure.message);
  return failure;
}

function remote(protocolVersion = 70016, nonce = REMOTE_NONCE): VersionMessage {
  return version(protocolVersion, nonce);
}

Deno.test("negotiate", async (t) => {
  await t.step("btcd's constants: protocol 209 or later, 30 s to negotiate", () => {
    assertEquals(MIN_ACCEPTABLE_PROTOCOL_VERSION, 209);
    assertEquals(NEGOTIATE_TIMEOUT_MS, 30_000);
  });

  await t.step("outbound: our version goes out before anything is read", async () => {
    const h = harness([remote(), { command: "verack" }]);
    const result = await negotiate(h.io, h.params);
    assertEquals(h.io.log, [
      "write version",
      "read version",
      "write sendaddrv2",
      "write verack",
      "read verack",
    ]);
    assertEquals(result.remoteVersion.nonce, REMOTE_NONCE);
    assertEquals(result.protocolVersion, 70016);
    assertSpyCalls(h.buildVersion, 1);
  });

  await t.step("inbound: the remote's version is read before ours goes out", async () => {
    const h = harness([remote(), { command: "verack" }], { inbound: true });
    await negotiate(h.io, h.params);
    assertEquals(h.io.log, [
      "read version",
      "write version",
      "write sendaddrv2",
      "write verack",
      "read verack",
    ]);
    assertSpyCalls(h.buildVersion, 1);
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
    assertEquals(order, ["onVersion", "build"]);
  });

  await t.step("the version written is the one built, and its nonce is remembered", async () => {
    const nonces = new SentNonces();
    const h = harness([remote(), { command: "verack" }], { sentNonces: nonces });
    await negotiate(h.io, h.params);
    assertEquals(h.io.written[0], version(70016, OUR_NONCE));
    assertEquals(nonces.has(OUR_NONCE), true);
    assertEquals(nonces.has(REMOTE_NONCE), false);
  });

  await t.step("the result: remote version, negotiated version, features", async () => {
    const h = harness([
      remote(70016),
      { command: "sendaddrv2" },
      { command: "wtxidrelay" },
      { command: "verack" },
    ]);
    const result: HandshakeResult = await negotiate(h.io, h.params);
    assertEquals(result, {
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
      assertEquals(result.protocolVersion, expected, `${ours} vs ${theirs}`);
      assertEquals(h.versions.length, 1);
      assertEquals(h.versions[0][1], expected);
      assertEquals(h.versions[0][0].protocolVersion, theirs);
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
      assertEquals(failure.reject, expected);
      assertMatch(failure.message, new RegExp(`"${first.command}"`));
      assertEquals(h.io.writtenCommands, ["version"], "no reply beyond our version");
    }
  });

  await t.step("an unknown first message is named by its command", async () => {
    const h = harness([unknown("feature"), remote()], { inbound: true });
    const failure = await fails(h, "handshake-failed");
    assertMatch(failure.message, /"feature"/);
    assertEquals(failure.reject?.code, RejectCode.MALFORMED);
    assertEquals(h.io.written, [], "inbound: we never sent our version");
  });

  await t.step("EOF before the version: remote-closed", async () => {
    for (const inbound of [false, true]) {
      const h = harness([], { inbound });
      const failure = await fails(h, "remote-closed");
      assertEquals(failure.reject, undefined);
      assertEquals(h.versions.length, 0);
    }
  });

  await t.step("EOF before the verack: remote-closed", async () => {
    const h = harness([remote(), { command: "sendaddrv2" }]);
    const failure = await fails(h, "remote-closed");
    assertEquals(failure.reject, undefined);
    assertEquals(h.io.writtenCommands, ["version", "sendaddrv2", "verack"]);
  });

  await t.step("self-connection: the remote's nonce is one we sent", async () => {
    // Outbound to ourselves: our own version comes back.
    const outbound = harness([version(70016, OUR_NONCE), { command: "verack" }]);
    const failure = await fails(outbound, "self-connection");
    assertEquals(failure.reject, undefined);
    assertEquals(outbound.versions.length, 0, "onVersion is not consulted");

    // Inbound side of the same loop: the nonce was sent by another peer of this node.
    const nonces = new SentNonces();
    nonces.add(REMOTE_NONCE);
    const inbound = harness([remote(), { command: "verack" }], {
      inbound: true,
      sentNonces: nonces,
    });
    await fails(inbound, "self-connection");
    assertEquals(inbound.io.written, []);
  });

  await t.step("allowSelfConnections lets a peer talk to itself", async () => {
    const h = harness([version(70016, OUR_NONCE), { command: "verack" }], {
      allowSelfConnections: true,
    });
    const result = await negotiate(h.io, h.params);
    assertEquals(result.remoteVersion.nonce, OUR_NONCE);
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
      assertStrictEquals(failure.reject, rejection);
      assertMatch(failure.message, /no thanks/);
      assertEquals(h.io.writtenCommands, inbound ? [] : ["version"]);
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
      assertEquals(failure.reject?.command, "reject");
      assertEquals(failure.reject?.message, "version");
      assertEquals(failure.reject?.code, RejectCode.OBSOLETE);
      assertMatch(failure.reject!.reason, /209/);
      assertMatch(failure.message, /208/);
      assertEquals(h.io.writtenCommands, inbound ? [] : ["version"]);
    }
    const at = harness([remote(209), { command: "verack" }]);
    assertEquals((await negotiate(at.io, at.params)).protocolVersion, 209);
  });

  await t.step(
    "writes after version at 70016: sendaddrv2, wtxidrelay if asked, verack",
    async () => {
      const asked = harness([remote(70016), { command: "verack" }], { wtxidRelay: true });
      await negotiate(asked.io, asked.params);
      assertEquals(asked.io.writtenCommands, ["version", "sendaddrv2", "wtxidrelay", "verack"]);

      const notAsked = harness([remote(70016), { command: "verack" }], { wtxidRelay: false });
      await negotiate(notAsked.io, notAsked.params);
      assertEquals(notAsked.io.writtenCommands, ["version", "sendaddrv2", "verack"]);
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
      assertEquals(h.io.writtenCommands, ["version", "verack"], `${ours} vs ${theirs}`);
    }
  });

  await t.step("inbound writes the same sequence after reading the version", async () => {
    const h = harness([remote(70016), { command: "verack" }], { inbound: true, wtxidRelay: true });
    await negotiate(h.io, h.params);
    assertEquals(h.io.writtenCommands, ["version", "sendaddrv2", "wtxidrelay", "verack"]);
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
    assertEquals(result.wantsAddrV2, false);
    assertEquals(result.wtxidRelay, false);
    assertEquals(h.seen.map(label), [
      "unknown:feature",
      "sendtxrcncl",
      "unknown:sendcmpct2",
      "verack",
    ]);
  });

  await t.step("pre-verack: sendaddrv2 and wtxidrelay recorded at 70016", async () => {
    const h = harness([remote(70016), { command: "wtxidrelay" }, { command: "verack" }]);
    const result = await negotiate(h.io, h.params);
    assertEquals(result.wantsAddrV2, false);
    assertEquals(result.wtxidRelay, true);
    assertEquals(h.seen.map(label), ["wtxidrelay", "verack"]);

    const h2 = harness([remote(70016), { command: "sendaddrv2" }, { command: "verack" }]);
    const result2 = await negotiate(h2.io, h2.params);
    assertEquals(result2.wantsAddrV2, true);
    assertEquals(result2.wtxidRelay, false);
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
      assertEquals(result.wantsAddrV2, false, `${ours} vs ${theirs}`);
      assertEquals(result.wtxidRelay, false, `${ours} vs ${theirs}`);
      assertEquals(h.seen.length, 3, "still passed to onMessage");
    }
  });

  await t.step("pre-verack: a second version is a duplicate", async () => {
    const h = harness([remote(), { command: "sendaddrv2" }, remote(), { command: "verack" }]);
    const failure = await fails(h, "duplicate");
    assertEquals(failure.reject, {
      command: "reject",
      message: "version",
      code: RejectCode.DUPLICATE,
      reason: "duplicate version message",
    });
    assertEquals(h.seen.map(label), ["sendaddrv2"], "the duplicate is not dispatched");
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
      assertEquals(failure.reject, undefined, intruder.command);
      assertMatch(failure.message, new RegExp(`"${intruder.command}"`));
      assertEquals(h.seen, [], "the intruder is not dispatched");
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
    assertEquals(h.seen.map(label), ["sendaddrv2", "unknown:feature", "wtxidrelay", "verack"]);
    assertEquals(h.io.log.at(-1), "read verack", "nothing is read after verack");
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
    assertEquals(log, [
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
    await assertRejects(() => negotiate(h.io, h.params), Error, "socket closed");
  });
});

Deno.test("SentNonces", async (t) => {
  await t.step("remembers the last 50 by default", () => {
    const nonces = new SentNonces();
    for (let i = 1n; i <= 60n; i++) nonces.add(i);
    for (let i = 1n; i <= 10n; i++) assertEquals(nonces.has(i), false, `${i}`);
    for (let i = 11n; i <= 60n; i++) assertEquals(nonces.has(i), true, `${i}`);
  });

  await t.step("a custom limit, evicting the oldest", () => {
    const nonces = new SentNonces(2);
    nonces.add(1n);
    nonces.add(2n);
    nonces.add(3n);
    assertEquals([1n, 2n, 3n].map((n) => nonces.has(n)), [false, true, true]);
  });

  await t.step("re-adding refreshes a nonce", () => {
    const nonces = new SentNonces(2);
    nonces.add(1n);
    nonces.add(2n);
    nonces.add(1n);
    nonces.add(3n);
    assertEquals([1n, 2n, 3n].map((n) => nonces.has(n)), [true, false, true]);
  });
});
