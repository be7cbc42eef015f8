import { SignJWT } from 'jose';
import WebSocket from 'ws';
import { ClientErrorCode, CloseCode, createSignalingClient, type SignalingClient } from '@switchboard/client';
import { ChildGateway } from './helpers/child-gateway';
import { startGateway, type TestGateway } from './helpers/gateway';
import { TcpProxy } from './helpers/proxy';
import { sharedRedisSuite } from './helpers/suite';
import { answerCalls, nextEvent, opened, reach, remoteChannel, sdkClient, sessionFor, weriftSession } from './helpers/sdk';
import { nextMessage } from './helpers/webrtc';

const clients: SignalingClient[] = [];
async function join(url: string, room: string, peerId: string, options: Parameters<typeof sdkClient>[3] = {}): Promise<SignalingClient> {
  const client = await sdkClient(url, room, peerId, options);
  clients.push(client);
  return client;
}
afterEach(async () => {
  await Promise.all(clients.splice(0).map((client) => client.close()));
});

/** Alice calls Bob over a data channel; resolves when a message crossed it. */
async function call(alice: SignalingClient, bob: SignalingClient): Promise<void> {
  const bobsCalls = answerCalls(bob);
  const outgoing = weriftSession(alice, bob.peerId);
  const channel = outgoing.peerConnection.createDataChannel('chat');
  const incoming = await sessionFor(bobsCalls, bob, alice.peerId);
  const received = remoteChannel(incoming.peerConnection);
  await Promise.all([reach(outgoing, 'p2p-connected'), reach(incoming, 'p2p-connected'), opened(channel)]);
  const arrived = nextMessage(await received);
  channel.send(`from ${alice.peerId}`);
  await expect(arrived).resolves.toBe(`from ${alice.peerId}`);
}

/** A gateway started with `env` and a TCP proxy in front of it (the fault hook), for one describe block. */
function proxiedGateway(env: Record<string, string>): { gateway: () => TestGateway; proxy: () => TcpProxy } {
  let gateway: TestGateway | null = null;
  let proxy: TcpProxy | null = null;
  beforeAll(async () => {
    gateway = await startGateway(env);
    proxy = await TcpProxy.start(Number(new URL(gateway.url).port));
  });
  afterAll(async () => {
    await proxy?.close();
    await gateway?.close();
  });
  const started = <T>(value: T | null): T => {
    if (!value) throw new Error('not started: use inside a test');
    return value;
  };
  return { gateway: () => started(gateway), proxy: () => started(proxy) };
}

describe('the SDK recovers by itself', () => {
  const { gateway, proxy } = proxiedGateway({});

  test('the network drops mid-negotiation: both clients reconnect, resume, and the call still connects', async () => {
    const alice = await join(proxy().httpUrl, 'cut', 'alice');
    const bob = await join(proxy().httpUrl, 'cut', 'bob');
    let cuts = 0;
    // Bob has the offer, his answer and both sides' candidates are still to cross: cut everything now.
    bob.once('offer', () => (cuts = proxy().cut()));
    await call(alice, bob);
    expect(cuts).toBeGreaterThanOrEqual(2);
    expect(alice.history).toEqual(['disconnected', 'connecting', 'connected', 'reconnecting', 'connected']);
    expect(bob.history).toEqual(['disconnected', 'connecting', 'connected', 'reconnecting', 'connected']);
  });

  test('replaced by a newer connection of the same peer, a client gives up instead of fighting back', async () => {
    const first = await join(gateway().httpUrl, 'replaced', 'alice');
    const gaveUp = nextEvent(first, 'error');
    const second = createSignalingClient({ url: gateway().httpUrl, token: first.currentToken, webSocketImpl: WebSocket });
    clients.push(second);
    await second.ready();
    await expect(gaveUp).resolves.toMatchObject({ code: ClientErrorCode.ConnectionRefused, details: { closeCode: CloseCode.Replaced } });
    expect(first.state).toBe('failed');
    expect(second.state).toBe('connected');
  });

  test('a refused token fails at once with the code to act on', async () => {
    const client = createSignalingClient({ url: gateway().httpUrl, token: await forgedToken(), webSocketImpl: WebSocket });
    clients.push(client);
    await expect(client.ready()).rejects.toMatchObject({ code: ClientErrorCode.ConnectionRefused, details: { closeCode: CloseCode.Forbidden } });
    expect(client.history).toEqual(['disconnected', 'connecting', 'failed']);
  });

  test("transport 'auto' falls back to Server-Sent Events when WebSockets never get through", async () => {
    proxy().refuseWebSockets = true;
    try {
      const alice = await join(proxy().httpUrl, 'fallback-sse', 'alice', { transport: 'auto' });
      expect(alice.transport).toBe('sse');
      expect(alice.history).toEqual(['disconnected', 'connecting', 'reconnecting', 'connected']);
      const bob = await join(gateway().httpUrl, 'fallback-sse', 'bob');
      await call(bob, alice);
    } finally {
      proxy().refuseWebSockets = false;
    }
  });

  test("transport 'auto' ends on long polling when neither WebSockets nor event streams get through", async () => {
    proxy().refuseWebSockets = true;
    proxy().refuseEventStreams = true;
    try {
      const alice = await join(proxy().httpUrl, 'fallback-polling', 'alice', { transport: 'auto' });
      expect(alice.transport).toBe('long-polling');
      const bob = await join(gateway().httpUrl, 'fallback-polling', 'bob');
      await call(bob, alice);
    } finally {
      proxy().refuseWebSockets = false;
      proxy().refuseEventStreams = false;
    }
  });

  test('Server-Sent Events carry the same call, and a cut stream resumes', async () => {
    const alice = await join(proxy().httpUrl, 'sse', 'alice', { transport: 'sse' });
    const bob = await join(gateway().httpUrl, 'sse', 'bob');
    expect(alice.transport).toBe('sse');
    const back = nextEvent(alice, 'welcome');
    proxy().cut();
    await expect(back).resolves.toMatchObject({ resumed: true });
    await call(alice, bob);
  });

  test('long polling carries the same call when sockets are not an option', async () => {
    const alice = await join(gateway().httpUrl, 'polling', 'alice', { transport: 'long-polling' });
    const bob = await join(gateway().httpUrl, 'polling', 'bob');
    expect(alice.transport).toBe('long-polling');
    await call(alice, bob);
  });
});

describe('short-lived tokens', () => {
  const { proxy } = proxiedGateway({ SESSION_TTL_S: '3' });

  test('the token is refreshed before it expires, and a reconnect after the first expiry uses the new one', async () => {
    const alice = await join(proxy().httpUrl, 'refresh', 'alice');
    const first = alice.currentToken;
    const expiresAtMs = JSON.parse(Buffer.from(first.split('.')[1] ?? '', 'base64url').toString()).exp * 1000;
    const refreshed = await nextEvent(alice, 'token', () => true, 5_000);
    expect(refreshed).not.toBe(first);
    expect(Date.now()).toBeLessThan(expiresAtMs);
    // Past the first token's expiry, a fresh connection only gets in with the refreshed one.
    await nextEvent(alice, 'token', () => Date.now() > expiresAtMs, 5_000);
    const back = nextEvent(alice, 'welcome');
    proxy().cut();
    await expect(back).resolves.toMatchObject({ resumed: true });
    expect(alice.state).toBe('connected');
  });
});

describe('close() releases everything', () => {
  let gateway: ChildGateway;
  beforeAll(async () => {
    gateway = await ChildGateway.start({});
  });
  afterAll(async () => {
    await gateway.stop();
  });

  test('after a call and close(), no socket, timer or handle of the SDK is left in this process', async () => {
    const before = process.getActiveResourcesInfo().sort();
    const alice = await sdkClient(gateway.httpUrl, 'handles', 'alice');
    const bob = await sdkClient(gateway.httpUrl, 'handles', 'bob');
    const bobsCalls = answerCalls(bob);
    const outgoing = weriftSession(alice, 'bob');
    outgoing.peerConnection.createDataChannel('chat');
    const incoming = await sessionFor(bobsCalls, bob, 'alice');
    await Promise.all([reach(outgoing, 'p2p-connected'), reach(incoming, 'p2p-connected')]);
    expect(process.getActiveResourcesInfo().length).toBeGreaterThan(before.length);

    const bobSees = nextEvent(bob, 'peer-disconnected', ({ peer }) => peer.id === 'alice');
    await alice.close();
    await expect(bobSees).resolves.toMatchObject({ reason: 'left' });
    await bob.close();
    await Promise.all([outgoing.close(), incoming.close()]);
    await settled(() => sameResources(before));
    expect(process.getActiveResourcesInfo().sort()).toEqual(before);
  });
});

describe('two instances sharing Redis', () => {
  const instances = sharedRedisSuite();

  test('Alice on one instance calls Bob on the other', async () => {
    const [one, two] = instances();
    if (!one || !two) throw new Error('gateways did not start');
    const alice = await join(one.httpUrl, 'two-instances', 'alice');
    const bob = await join(two.httpUrl, 'two-instances', 'bob');
    await call(alice, bob);
  });
});

function sameResources(before: string[]): boolean {
  return JSON.stringify(process.getActiveResourcesInfo().sort()) === JSON.stringify(before);
}

/** Waits (bounded) until `done()` holds, checking after each turn of the event loop's timers. */
async function settled(done: () => boolean, timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done() && Date.now() < deadline) await new Promise((resolve) => setImmediate(resolve));
}

describe('a resume that lost signals', () => {
  const { gateway, proxy } = proxiedGateway({ MAILBOX_EVENTS: '4' });

  test('Welcome with resumed: false makes the session restart ICE with fresh credentials', async () => {
    // Alice (through the proxy) stays away about a second after the cut: time for her mailbox to overflow.
    const alice = await join(proxy().httpUrl, 'lost', 'alice', { reconnect: { baseDelayMs: 2_000 } });
    const bob = await join(gateway().httpUrl, 'lost', 'bob');
    const bobsCalls = answerCalls(bob);
    const outgoing = weriftSession(alice, 'bob');
    outgoing.peerConnection.createDataChannel('chat');
    const incoming = await sessionFor(bobsCalls, bob, 'alice');
    await Promise.all([reach(outgoing, 'p2p-connected'), reach(incoming, 'p2p-connected')]);
    const firstUfrag = ufragOf(outgoing.peerConnection.localDescription?.sdp ?? '');

    const restartOffer = nextEvent(bob, 'offer', ({ from, sdp }) => from === 'alice' && ufragOf(sdp) !== firstUfrag);
    const lost = nextEvent(alice, 'welcome', ({ resumed }) => !resumed);
    proxy().cut();
    for (let i = 0; i < 6; i += 1) await bob.sendIceCandidate('alice', { candidate: '', sdpMid: '0', sdpMLineIndex: 0 });
    await lost;
    await expect(restartOffer).resolves.toMatchObject({ to: 'bob' });
  });
});

function ufragOf(sdp: string): string | undefined {
  return /^a=ice-ufrag:(\S+)/m.exec(sdp)?.[1];
}

/** A well-formed session token signed with the wrong secret. */
function forgedToken(): Promise<string> {
  return new SignJWT({ room: 'replaced' })
    .setProtectedHeader({ alg: 'HS256' })
    .setSubject('mallory')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode('not-the-gateway-secret-but-long-enough-for-hs256'));
}

describe('KNOWN_OPERATIONS_ONLY', () => {
  let gateway: TestGateway;
  beforeAll(async () => {
    gateway = await startGateway({ KNOWN_OPERATIONS_ONLY: 'true' });
  });
  afterAll(async () => {
    await gateway.close();
  });

  test('accepts every operation the SDK sends, on WebSocket, Server-Sent Events and long polling', async () => {
    const alice = await join(gateway.httpUrl, 'known', 'alice');
    const bob = await join(gateway.httpUrl, 'known', 'bob', { transport: 'long-polling' });
    const carol = await join(gateway.httpUrl, 'known', 'carol', { transport: 'sse' });
    for (const client of [alice, bob, carol]) await expect(client.iceServers()).resolves.toEqual([]);
    await call(alice, bob);
    await call(carol, alice);
  });
});
