import { SEND_ICE_CANDIDATE } from '../client/operations';
import type { SignalOf } from '../client/types';
import { createSession } from './helpers/clients';
import { wsPort } from './helpers/ports';
import { HOST_CANDIDATE } from './helpers/sdp';
import { openDataChannel } from './helpers/webrtc';
import { gatewaySuite } from './helpers/suite';

const MAILBOX_EVENTS = 4;

describe('resume after the mailbox dropped the cursor', () => {
  const { gw, open } = gatewaySuite({ MAILBOX_EVENTS: String(MAILBOX_EVENTS), RATE_LIMIT_ICE_PER_S: '0' });

  it('answers resumed: false, and the werift pair is connected again after an ICE restart', async () => {
    const a = await createSession(gw().httpUrl, 'restart', 'alice');
    const b = await createSession(gw().httpUrl, 'restart', 'bob');
    const aliceWs = open(a.token);
    const pa = await wsPort(aliceWs, 'alice');
    const bobWs = open(b.token);
    const pb = await wsPort(bobWs, 'bob');
    await pa.events.nextWhere((e) => e.__typename === 'PeerConnected');
    const call = await openDataChannel(pa, pb);
    try {
      const lastCursor = pb.events.all[pb.events.all.length - 1]?.cursor ?? '';

      // bob's socket dies; more than the mailbox holds is sent to him meanwhile.
      bobWs.socket().terminate();
      await bobWs.closes.next();
      for (let i = 0; i <= MAILBOX_EVENTS; i++) {
        const res = await aliceWs.request(SEND_ICE_CANDIDATE, { to: 'bob', candidate: { candidate: HOST_CANDIDATE, sdpMid: '0', sdpMLineIndex: 0 } });
        expect(res.errors).toBeUndefined();
      }

      const bobBack = open(b.token);
      const restarted = performance.now();
      const pb2 = await wsPort(bobBack, 'bob', lastCursor);
      const welcome = pb2.events.all[0] as SignalOf<'Welcome'> | undefined;
      expect(welcome).toMatchObject({ __typename: 'Welcome', resumed: false });

      // What the client does on resumed: false: renegotiate with an ICE restart.
      const ufrag = (sdp: string | undefined): string => /a=ice-ufrag:(\S+)/.exec(sdp ?? '')?.[1] ?? '';
      const before = { alice: ufrag(call.offerer.pc.remoteDescription?.sdp), bob: ufrag(call.answerer.pc.remoteDescription?.sdp) };
      call.answerer.listen(pb2);
      await call.answerer.offer({ iceRestart: true });
      // The restart is complete when alice's fresh candidates (new ufrag) reached bob after the answer.
      const restartAnswer = await pb2.events.nextWhere((e) => e.__typename === 'Answer', undefined, 'restart answer');
      await pb2.events.nextWhere((e) => e.__typename === 'IceCandidate' && e.candidate.usernameFragment === ufrag(restartAnswer.__typename === 'Answer' ? restartAnswer.sdp : ''));
      const after = { alice: ufrag(call.offerer.pc.remoteDescription?.sdp), bob: ufrag(call.answerer.pc.remoteDescription?.sdp) };
      expect(after.alice).not.toBe(before.alice);
      expect(after.bob).not.toBe(before.bob);
      expect([call.offerer.pc.signalingState, call.answerer.pc.signalingState]).toEqual(['stable', 'stable']);
      expect([call.offerer.pc.connectionState, call.answerer.pc.connectionState]).toEqual(['connected', 'connected']);
      expect([...call.offerer.errors, ...call.answerer.errors]).toEqual([]);
      console.log(`ICE restart after resumed: false: renegotiated through the gateway in ${(performance.now() - restarted).toFixed(0)} ms, both peers connected`);
    } finally {
      await call.close();
    }
  });
});
