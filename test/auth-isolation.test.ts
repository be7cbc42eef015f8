import { SignJWT } from 'jose';
import { ME, PEERS, SEND_OFFER } from '../client/operations';
import { CloseCode, ErrorCode } from '../src/protocol';
import { codeOf, createSession, http } from './helpers/clients';
import { startGateway, TEST_SECRET } from './helpers/gateway';
import { fakeSdp } from './helpers/sdp';
import { gatewaySuite } from './helpers/suite';

const encode = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url');

async function sign(claims: Record<string, unknown>, secret = TEST_SECRET): Promise<string> {
  return new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(new TextEncoder().encode(secret));
}

describe('authentication and isolation', () => {
  const { gw, open } = gatewaySuite();

  const now = () => Math.floor(Date.now() / 1000);
  const badTokens: Array<[string, () => Promise<string | undefined>]> = [
    ['missing', async () => undefined],
    ['expired', () => sign({ sub: 'mallory', room: 'r', exp: now() - 60 })],
    ['signed with another secret', () => sign({ sub: 'mallory', room: 'r', exp: now() + 60 }, 'another-secret-another-secret-another-secret')],
    ['alg none', async () => `${encode({ alg: 'none', typ: 'JWT' })}.${encode({ sub: 'mallory', room: 'r', exp: now() + 60 })}.`],
    ['without room claim', () => sign({ sub: 'mallory', exp: now() + 60 })],
    ['with a malformed peer id', () => sign({ sub: 'mal lory', room: 'r', exp: now() + 60 })],
    ['garbage', async () => 'not.a.jwt'],
  ];

  it.each(badTokens)('refuses on HTTP with UNAUTHENTICATED: %s token', async (_label, make) => {
    const token = await make();
    const res = await http(gw().httpUrl, ME, {}, token === undefined ? {} : { token });
    expect(codeOf(res)).toBe(ErrorCode.Unauthenticated);
    expect(res.data ?? null).toBeNull();
  });

  it.each(badTokens)('closes the WebSocket with 4403: %s token', async (_label, make) => {
    const socket = open(await make());
    expect(await socket.closes.next()).toMatchObject({ code: CloseCode.Forbidden });
  });

  it('keeps rooms apart: another room’s peers are invisible and unreachable', async () => {
    const alice = await createSession(gw().httpUrl, 'iso-a', 'alice');
    const bob = await createSession(gw().httpUrl, 'iso-a', 'bob');
    const eve = await createSession(gw().httpUrl, 'iso-b', 'eve');
    const aliceWs = open(alice.token);
    const aliceSignals = aliceWs.signals();
    await aliceSignals.events.next();
    open(bob.token).signals();
    await aliceSignals.events.nextWhere((e) => e.__typename === 'PeerConnected');

    const eveWs = open(eve.token);
    const eveSignals = eveWs.signals();
    expect(await eveSignals.events.next()).toMatchObject({ __typename: 'Welcome', room: 'iso-b', peers: [] });
    expect((await eveWs.request(PEERS)).data).toEqual({ peers: [] });
    const res = await eveWs.request(SEND_OFFER, { to: 'alice', sdp: fakeSdp('eve') });
    expect(codeOf(res)).toBe(ErrorCode.PeerNotFound);

    // A token minted for another room with the same peer id is another peer.
    const aliceElsewhere = await createSession(gw().httpUrl, 'iso-b', 'alice');
    const elsewhereWs = open(aliceElsewhere.token);
    await elsewhereWs.signals().events.next();
    const sneaky = await elsewhereWs.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp('x') });
    expect(codeOf(sneaky)).toBe(ErrorCode.PeerNotFound);

    // A peer that is not connected to its room cannot send at all.
    const ghost = await createSession(gw().httpUrl, 'iso-a', 'ghost');
    expect(codeOf(await http(gw().httpUrl, SEND_OFFER, { to: 'alice', sdp: fakeSdp('g') }, { token: ghost.token }))).toBe(ErrorCode.Forbidden);

    // Nothing reached alice: her next event is bob's offer, sent now.
    await http(gw().httpUrl, SEND_OFFER, { to: 'alice', sdp: fakeSdp('bob') }, { token: bob.token });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'Offer', from: 'bob' });
  });

  it('cannot forge from: the sender is always the token’s peer', async () => {
    const alice = await createSession(gw().httpUrl, 'forge', 'alice');
    const bob = await createSession(gw().httpUrl, 'forge', 'bob');
    const aliceWs = open(alice.token);
    const aliceSignals = aliceWs.signals();
    await aliceSignals.events.next();
    const bobWs = open(bob.token);
    bobWs.signals();
    await aliceSignals.events.nextWhere((e) => e.__typename === 'PeerConnected');

    const forged = await http(
      gw().httpUrl,
      'mutation { sendOffer(to: "alice", sdp: "v=0", from: "carol") { id } }',
      {},
      { token: bob.token },
    );
    expect(forged.errors?.[0]?.message).toMatch(/Unknown argument "from"/);
    await http(gw().httpUrl, SEND_OFFER, { to: 'alice', sdp: fakeSdp('bob'), from: 'carol' }, { token: bob.token });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'Offer', from: 'bob', to: 'alice' });
  });

  it('refuses a guest who asks for a peer id a live session holds, and createSession without guests needs the API key', async () => {
    await createSession(gw().httpUrl, 'taken', 'alice');
    const again = await http(gw().httpUrl, 'mutation { createSession(room: "taken", peerId: "alice") { token } }');
    expect(codeOf(again)).toBe(ErrorCode.PeerIdTaken);

    const locked = await startGateway({ GUEST_SESSIONS: 'false', SIGNALING_API_KEY: 'backend-key' });
    try {
      const q = 'mutation { createSession(room: "locked", peerId: "p1") { token peerId } }';
      expect(codeOf(await http(locked.httpUrl, q))).toBe(ErrorCode.Forbidden);
      expect(codeOf(await http(locked.httpUrl, q, {}, { headers: { 'x-api-key': 'wrong-key!!' } }))).toBe(ErrorCode.Forbidden);
      const ok = await http<{ createSession: { peerId: string } }>(locked.httpUrl, q, {}, { headers: { 'x-api-key': 'backend-key' } });
      expect(ok.data?.createSession.peerId).toBe('p1');
    } finally {
      await locked.close();
    }
  });

  it('refreshSession mints a working token for the same peer', async () => {
    const s = await createSession(gw().httpUrl, 'refresh', 'alice', 'Alice');
    const res = await http<{ refreshSession: { token: string; peerId: string; room: string } }>(
      gw().httpUrl,
      'mutation { refreshSession { token peerId room } }',
      {},
      { token: s.token },
    );
    expect(res.data?.refreshSession).toMatchObject({ peerId: 'alice', room: 'refresh' });
    const me = await http(gw().httpUrl, ME, {}, { token: res.data?.refreshSession.token ?? '' });
    expect(me.data).toEqual({ me: { id: 'alice', name: 'Alice' } });
  });
});
