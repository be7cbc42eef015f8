import { LEAVE_ROOM, PEERS, SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER, ME } from '../client/operations';
import type { SignalOf } from '../client/types';
import { CloseCode } from '../src/protocol';
import { createSession } from './helpers/clients';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { gatewaySuite } from './helpers/suite';

describe('signaling over WebSocket', () => {
  const { gw, open } = gatewaySuite();

  it('carries the whole flow: Welcome, PeerConnected, offer, answer, ICE both ways, leaveRoom', async () => {
    const aliceSession = await createSession(gw().httpUrl, 'flow', 'alice', 'Alice');
    const bobSession = await createSession(gw().httpUrl, 'flow', 'bob', 'Bob');
    const alice = open(aliceSession.token);
    const bob = open(bobSession.token);

    const aliceSignals = alice.signals();
    const aliceWelcome = await aliceSignals.events.next();
    expect(aliceWelcome).toMatchObject({ __typename: 'Welcome', self: { id: 'alice', name: 'Alice' }, room: 'flow', peers: [], resumed: false });

    const bobSignals = bob.signals();
    const bobWelcome = await bobSignals.events.next();
    expect(bobWelcome).toMatchObject({ __typename: 'Welcome', self: { id: 'bob' }, peers: [{ id: 'alice', name: 'Alice' }] });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'PeerConnected', peer: { id: 'bob', name: 'Bob' } });

    expect((await alice.request(ME)).data).toEqual({ me: { id: 'alice', name: 'Alice' } });
    expect((await alice.request(PEERS)).data).toEqual({ peers: [{ id: 'bob', name: 'Bob' }] });

    const offer = fakeSdp('offer');
    const sent = await alice.request<{ sendOffer: { id: string; at: string } }>(SEND_OFFER, { to: 'bob', sdp: offer });
    expect(sent.errors).toBeUndefined();
    expect(typeof sent.data?.sendOffer.id).toBe('string');
    expect(await bobSignals.events.next()).toMatchObject({ __typename: 'Offer', from: 'alice', to: 'bob', sdp: offer });

    const answer = fakeSdp('answer');
    await bob.request(SEND_ANSWER, { to: 'alice', sdp: answer });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'Answer', from: 'bob', to: 'alice', sdp: answer });

    const full = { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: '4ZcD' };
    await alice.request(SEND_ICE_CANDIDATE, { to: 'bob', candidate: full });
    await alice.request(SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: '' } });
    await bob.request(SEND_ICE_CANDIDATE, { to: 'alice', candidate: full });
    const ice = (await bobSignals.events.next()) as SignalOf<'IceCandidate'>;
    expect(ice).toMatchObject({ __typename: 'IceCandidate', from: 'alice', to: 'bob', candidate: full });
    expect(await bobSignals.events.next()).toMatchObject({
      __typename: 'IceCandidate',
      candidate: { candidate: '', sdpMid: null, sdpMLineIndex: null, usernameFragment: null },
    });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'IceCandidate', from: 'bob', candidate: full });

    expect((await bob.request(LEAVE_ROOM)).data).toEqual({ leaveRoom: true });
    expect(await aliceSignals.events.next()).toMatchObject({ __typename: 'PeerDisconnected', peer: { id: 'bob' }, reason: 'left' });
    expect(await bob.closes.next()).toMatchObject({ code: CloseCode.SessionEnded });
    expect((await alice.request(PEERS)).data).toEqual({ peers: [] });
  });

  it('gives every event a distinct cursor and keeps each sender’s order', async () => {
    const a = await createSession(gw().httpUrl, 'order', 'a');
    const b = await createSession(gw().httpUrl, 'order', 'b');
    const pa = open(a.token);
    const pb = open(b.token);
    const bSignals = pb.signals();
    await bSignals.events.next();
    pa.signals();
    await bSignals.events.nextWhere((e) => e.__typename === 'PeerConnected');
    const count = 40;
    for (let i = 0; i < count; i++) {
      await pa.request(SEND_ICE_CANDIDATE, { to: 'b', candidate: { candidate: HOST_CANDIDATE, sdpMid: String(i) } });
    }
    const mids: string[] = [];
    const cursors = new Set<string>();
    for (let i = 0; i < count; i++) {
      const e = (await bSignals.events.next()) as SignalOf<'IceCandidate'>;
      mids.push(e.candidate.sdpMid ?? '');
      cursors.add(e.cursor);
    }
    expect(cursors.size).toBe(count);
    expect(mids).toEqual(Array.from({ length: count }, (_, i) => String(i)));
  });

  it('replaces an older connection of the same peer with 4100 and keeps the peer connected', async () => {
    const a = await createSession(gw().httpUrl, 'replace', 'a');
    const b = await createSession(gw().httpUrl, 'replace', 'b');
    const watcher = open(b.token);
    const watch = watcher.signals();
    await watch.events.next();
    const first = open(a.token);
    first.signals();
    await watch.events.nextWhere((e) => e.__typename === 'PeerConnected');
    const second = open(a.token);
    const secondSignals = second.signals();
    expect(await secondSignals.events.next()).toMatchObject({ __typename: 'Welcome', self: { id: 'a' } });
    expect(await first.closes.next()).toMatchObject({ code: CloseCode.Replaced });
    // b sees no churn: the next event it gets is the offer sent after the replacement.
    await second.request(SEND_OFFER, { to: 'b', sdp: fakeSdp('after-replace') });
    expect(await watch.events.next()).toMatchObject({ __typename: 'Offer', from: 'a' });
  });
});
