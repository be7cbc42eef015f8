import { SEND_ICE_CANDIDATE, SEND_OFFER } from '../client/operations';
import { CloseCode, MAX_SDP_BYTES } from '../src/protocol';
import { createSession } from './helpers/clients';
import { fakeSdp, HOST_CANDIDATE } from './helpers/sdp';
import { gatewaySuite } from './helpers/suite';

/** Upper bound on the flood; the gateway must give up on the reader long before. */
const MAX_FLOOD_OFFERS = 600;
const BIG_SDP = fakeSdp('flood') + `a=x-padding:${'p'.repeat(MAX_SDP_BYTES - 1024)}\r\n`;

describe('slow consumers', () => {
  const { gw, open } = gatewaySuite({ MAILBOX_EVENTS: '1024', RATE_LIMIT_SDP_PER_S: '0', RATE_LIMIT_ICE_PER_S: '0' });

  it('closes a reader that stops reading with 4102, keeps serving others, and loses nothing on resume', async () => {
    const [slowS, flooderS, aS, bS] = await Promise.all(['slow', 'flooder', 'a', 'b'].map((id) => createSession(gw().httpUrl, 'slow', id)));
    if (!slowS || !flooderS || !aS || !bS) throw new Error('sessions');
    const slow = open(slowS.token);
    const slowSignals = slow.signals();
    await slowSignals.events.next();
    const flooder = open(flooderS.token);
    flooder.signals();
    const a = open(aS.token);
    a.signals();
    const b = open(bS.token);
    const bSignals = b.signals();
    await bSignals.events.next();
    await slowSignals.events.nextWhere((e) => e.__typename === 'PeerConnected' && e.peer.id === 'b');

    const disconnects = async (): Promise<number> =>
      (await gw().core.metrics.disconnects.get()).values.find((v) => v.labels['code'] === CloseCode.SlowConsumer)?.value ?? 0;

    global.gc?.();
    const heapBefore = process.memoryUsage().heapUsed;
    slow.socket().pause();
    let sent = 0;
    const relayMs: number[] = [];
    while ((await disconnects()) === 0) {
      if (sent >= MAX_FLOOD_OFFERS) throw new Error(`no 4102 after ${sent} offers of ${BIG_SDP.length} bytes`);
      const res = await flooder.request(SEND_OFFER, { to: 'slow', sdp: BIG_SDP });
      if (res.errors) throw new Error(JSON.stringify(res.errors));
      sent++;
      if (sent % 20 === 0) {
        // Another pair keeps relaying while the reader is stuck.
        const t0 = performance.now();
        await a.request(SEND_ICE_CANDIDATE, { to: 'b', candidate: { candidate: HOST_CANDIDATE, sdpMid: String(sent) } });
        await bSignals.events.nextWhere((e) => e.__typename === 'IceCandidate' && e.candidate.sdpMid === String(sent));
        relayMs.push(performance.now() - t0);
      }
    }
    const heapAfter = process.memoryUsage().heapUsed;
    slow.socket().resume();
    expect(await slow.closes.next()).toMatchObject({ code: CloseCode.SlowConsumer });
    const maxRelay = Math.max(...relayMs);
    console.log(
      `slow consumer: closed 4102 after ${sent} offers of ${(BIG_SDP.length / 1024).toFixed(0)} KiB ` +
        `(${((sent * BIG_SDP.length) / 1048576).toFixed(1)} MiB sent); other pair relayed ${relayMs.length} signals meanwhile, ` +
        `max ${maxRelay.toFixed(1)} ms; gateway+test heap grew ${((heapAfter - heapBefore) / 1048576).toFixed(1)} MiB ` +
        `(mailbox retention holds the ${sent} offers for resume; the per-subscriber queue is capped at 1 MiB)`,
    );

    // The reader resumes from the last cursor it got and receives every offer exactly once.
    const received = slowSignals.events.all.filter((e) => e.__typename === 'Offer').length;
    const last = slowSignals.events.all[slowSignals.events.all.length - 1];
    const again = open(slowS.token).signals(last?.cursor);
    expect(await again.events.next()).toMatchObject({ __typename: 'Welcome', resumed: true });
    for (let i = received; i < sent; i++) expect(await again.events.next()).toMatchObject({ __typename: 'Offer', from: 'flooder' });
    await a.request(SEND_OFFER, { to: 'slow', sdp: fakeSdp('marker') });
    expect(await again.events.next()).toMatchObject({ __typename: 'Offer', from: 'a' });
  }, 60_000);
});
