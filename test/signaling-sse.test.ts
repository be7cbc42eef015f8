import { LEAVE_ROOM, SEND_ANSWER, SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import { createSession, http, sseSignals } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';

describe('signaling over Server-Sent Events', () => {
  let gw: TestGateway;
  const stops: Array<() => void> = [];

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    stops.forEach((stop) => stop());
    await gw.close();
  });

  it('carries the whole flow with subscriptions on SSE and sends on HTTP', async () => {
    const alice = await createSession(gw.httpUrl, 'sse-flow', 'alice');
    const bob = await createSession(gw.httpUrl, 'sse-flow', 'bob');
    const aliceSub = sseSignals(gw.httpUrl, alice.token);
    stops.push(aliceSub.stop);
    expect(await aliceSub.events.next()).toMatchObject({ __typename: 'Welcome', self: { id: 'alice' }, peers: [] });
    const bobSub = sseSignals(gw.httpUrl, bob.token);
    stops.push(bobSub.stop);
    expect(await bobSub.events.next()).toMatchObject({ __typename: 'Welcome', peers: [{ id: 'alice' }] });
    expect(await aliceSub.events.next()).toMatchObject({ __typename: 'PeerConnected', peer: { id: 'bob' } });

    const offer = fakeSdp('sse-offer');
    expect((await http(gw.httpUrl, SEND_OFFER, { to: 'bob', sdp: offer }, { token: alice.token })).errors).toBeUndefined();
    expect(await bobSub.events.next()).toMatchObject({ __typename: 'Offer', from: 'alice', sdp: offer });

    const answer = fakeSdp('sse-answer');
    await http(gw.httpUrl, SEND_ANSWER, { to: 'alice', sdp: answer }, { token: bob.token });
    expect(await aliceSub.events.next()).toMatchObject({ __typename: 'Answer', from: 'bob', sdp: answer });

    const candidate = { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0, usernameFragment: '4ZcD' };
    await http(gw.httpUrl, SEND_ICE_CANDIDATE, { to: 'alice', candidate }, { token: bob.token });
    await http(gw.httpUrl, SEND_ICE_CANDIDATE, { to: 'bob', candidate }, { token: alice.token });
    expect(await aliceSub.events.next()).toMatchObject({ __typename: 'IceCandidate', from: 'bob', candidate });
    expect(await bobSub.events.next()).toMatchObject({ __typename: 'IceCandidate', from: 'alice', candidate });

    expect((await http(gw.httpUrl, LEAVE_ROOM, {}, { token: bob.token })).data).toEqual({ leaveRoom: true });
    expect(await aliceSub.events.next()).toMatchObject({ __typename: 'PeerDisconnected', peer: { id: 'bob' }, reason: 'left' });
  });
});
