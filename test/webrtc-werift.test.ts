import { createSession, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { wsPort } from './helpers/ports';
import { openDataChannel } from './helpers/webrtc';

describe('real WebRTC peers (werift)', () => {
  let gw: TestGateway;
  const sockets: WsPeer[] = [];

  beforeAll(async () => {
    gw = await startGateway();
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await gw.close();
  });

  it('open a data channel through the gateway and exchange a message', async () => {
    const started = performance.now();
    const alice = await createSession(gw.httpUrl, 'webrtc', 'alice');
    const bob = await createSession(gw.httpUrl, 'webrtc', 'bob');
    const wa = wsPeer(gw.wsUrl, alice.token);
    const wb = wsPeer(gw.wsUrl, bob.token);
    sockets.push(wa, wb);
    const pa = await wsPort(wa, 'alice');
    const pb = await wsPort(wb, 'bob');
    await pa.events.nextWhere((e) => e.__typename === 'PeerConnected');
    const result = await openDataChannel(pa, pb);
    expect(result.received).toBe('hello from alice');
    console.log(
      `werift pair: data channel open and message received ${result.elapsedMs.toFixed(0)} ms after createOffer, ` +
        `${(performance.now() - started).toFixed(0)} ms after createSession`,
    );
    await result.close();
  });
});
