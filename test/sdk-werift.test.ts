import { MediaStreamTrack } from 'werift';
import type { SignalingClient } from '@switchboard/client';
import { gatewaySuite } from './helpers/suite';
import { answerCalls, MAIN_LINE, nextEvent, opened, reach, remoteChannel, sdkClient, sessionFor, weriftSession } from './helpers/sdk';
import { nextMessage } from './helpers/webrtc';

describe('the SDK drives werift peers through the gateway', () => {
  const suite = gatewaySuite();
  const clients: SignalingClient[] = [];
  const join = async (room: string, peerId: string): Promise<SignalingClient> => {
    const client = await sdkClient(suite.gw().httpUrl, room, peerId);
    clients.push(client);
    return client;
  };
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => client.close()));
  });

  test('a call connects a data channel and each side walks the seed state machine', async () => {
    const alice = await join('sdk-call', 'alice');
    const bob = await join('sdk-call', 'bob');
    const bobsCalls = answerCalls(bob);
    if (!alice.peers.some((peer) => peer.id === 'bob')) await nextEvent(alice, 'peer-connected', ({ peer }) => peer.id === 'bob');
    expect(alice.peers.map((peer) => peer.id)).toEqual(['bob']);

    const call = weriftSession(alice, 'bob');
    const channel = call.peerConnection.createDataChannel('chat');
    const answer = await sessionFor(bobsCalls, bob, 'alice');
    const [received] = await Promise.all([remoteChannel(answer.peerConnection), opened(channel), reach(call, 'p2p-connected'), reach(answer, 'p2p-connected')]);
    await opened(received);
    const arrived = nextMessage(received);
    channel.send('hello through the SDK');
    await expect(arrived).resolves.toBe('hello through the SDK');

    expect(alice.history).toEqual(['disconnected', 'connecting', 'connected']);
    expect(call.history).toEqual(MAIN_LINE);
    expect(answer.history).toEqual(MAIN_LINE);
    expect(call.polite).not.toBe(answer.polite);
  });

  test('glare: both sides offer at the same moment and still connect', async () => {
    const alice = await join('sdk-glare', 'alice');
    const bob = await join('sdk-glare', 'bob');
    await bob.ready();
    const offersSeen = { alice: 0, bob: 0 };
    alice.on('offer', () => (offersSeen.alice += 1));
    bob.on('offer', () => (offersSeen.bob += 1));
    const aliceCall = weriftSession(alice, 'bob');
    const bobCall = weriftSession(bob, 'alice');
    // Same tick: both connections need negotiation, so both make an offer before either sees the other's.
    const fromAlice = aliceCall.peerConnection.createDataChannel('from-alice');
    const fromBob = bobCall.peerConnection.createDataChannel('from-bob');
    const atBob = remoteChannel(bobCall.peerConnection);
    await Promise.all([reach(aliceCall, 'p2p-connected'), reach(bobCall, 'p2p-connected'), opened(fromAlice), opened(fromBob)]);
    expect(offersSeen.alice).toBeGreaterThanOrEqual(1);
    expect(offersSeen.bob).toBeGreaterThanOrEqual(1);
    // The offers crossed: each side saw the other's while its own was out.
    expect(aliceCall.collisions).toBeGreaterThanOrEqual(1);
    expect(bobCall.collisions).toBeGreaterThanOrEqual(1);
    const bobGets = nextMessage(await atBob);
    fromAlice.send('over alice channel');
    await expect(bobGets).resolves.toBe('over alice channel');
  });

  test('close() leaves the room: the other side sees PeerDisconnected and its session ends', async () => {
    const alice = await join('sdk-close', 'alice');
    const bob = await join('sdk-close', 'bob');
    const bobsCalls = answerCalls(bob);
    const call = weriftSession(alice, 'bob');
    call.peerConnection.createDataChannel('chat');
    const answer = await sessionFor(bobsCalls, bob, 'alice');
    await reach(answer, 'p2p-connected');
    const left = nextEvent(bob, 'peer-disconnected', ({ peer }) => peer.id === 'alice');
    const ended = nextEvent(answer, 'closed');
    await alice.close();
    await expect(left).resolves.toMatchObject({ reason: 'left' });
    await expect(ended).resolves.toEqual({ reason: 'left' });
    expect(alice.state).toBe('disconnected');
    expect(call.state).toBe('disconnected');
    expect(answer.state).toBe('disconnected');
  });

  test('a session whose peer is gone by the time its signals go out ends as `left`, not with an error (a departure still in a presence batch)', async () => {
    const alice = await join('sdk-gone', 'alice');
    const call = weriftSession(alice, 'gone');
    const errors: string[] = [];
    call.on('error', (error) => errors.push(`${error.code} ${error.message}`));
    const ended = nextEvent(call, 'closed');
    call.peerConnection.createDataChannel('chat');
    await expect(ended).resolves.toEqual({ reason: 'left' });
    expect(errors).toEqual([]);
    expect(call.state).toBe('disconnected');
  });

  test('close() leaves the tracks added to the connection running: they are the app\'s, shared by every session of a mesh', async () => {
    const alice = await join('sdk-shared-track', 'alice');
    await join('sdk-shared-track', 'bob');
    const camera = new MediaStreamTrack({ kind: 'video' });
    const toBob = weriftSession(alice, 'bob');
    toBob.peerConnection.addTrack(camera);
    await toBob.close();
    expect(toBob.peerConnection.connectionState).toBe('closed');
    expect(camera.stopped).toBe(false);
  });

  test('the roster is state: a listener attached after an await misses nothing, client.peers already has who is there', async () => {
    await join('sdk-roster', 'alice');
    const bob = await sdkClient(suite.gw().httpUrl, 'sdk-roster', 'bob', {});
    clients.push(bob);
    // The old README's order: an await first, then listen. Welcome came and went; the roster did not.
    await bob.iceServers();
    await bob.ready();
    expect(bob.peers.map((peer) => peer.id)).toEqual(['alice']);
  });
});
