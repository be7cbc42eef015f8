import { createHmac } from 'node:crypto';
import { ICE_SERVERS, SEND_OFFER } from '../client/operations';
import { codeOf, createSession, http, wsPeer, type WsPeer } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { fakeSdp } from './helpers/sdp';

/** Reads one sample from Prometheus text, 0 when absent. */
function sample(text: string, name: string, labels = ''): number {
  const line = text.split('\n').find((l) => l.startsWith(`${name}${labels ? `{${labels}}` : ''} `));
  return line ? Number(line.split(' ').pop()) : 0;
}

describe('operations', () => {
  let gw: TestGateway;
  const sockets: WsPeer[] = [];
  const TURN_SECRET = 'coturn-shared-secret';

  beforeAll(async () => {
    gw = await startGateway({
      STUN_URLS: 'stun:stun.example.test:3478',
      TURN_URLS: 'turn:turn.example.test:3478?transport=udp,turns:turn.example.test:5349',
      TURN_SECRET,
      TURN_TTL_S: '600',
    });
  });
  afterAll(async () => {
    await Promise.all(sockets.map((s) => s.dispose()));
    await gw.close();
  });

  it('issues ephemeral TURN credentials that coturn’s use-auth-secret check accepts', async () => {
    const s = await createSession(gw.httpUrl, 'turn', 'alice');
    const before = Math.floor(Date.now() / 1000);
    const res = await http<{ iceServers: Array<{ urls: string[]; username: string | null; credential: string | null }> }>(
      gw.httpUrl,
      ICE_SERVERS,
      {},
      { token: s.token },
    );
    const [stun, turn] = res.data?.iceServers ?? [];
    expect(stun).toEqual({ urls: ['stun:stun.example.test:3478'], username: null, credential: null });
    expect(turn?.urls).toEqual(['turn:turn.example.test:3478?transport=udp', 'turns:turn.example.test:5349']);
    // coturn: username is "<expiry unix time>:<user>", password = base64(HMAC-SHA1(secret, username)).
    const [expiry, user] = (turn?.username ?? '').split(':');
    expect(user).toBe('alice');
    expect(Number(expiry) - before).toBeGreaterThanOrEqual(600);
    expect(Number(expiry) - before).toBeLessThanOrEqual(602);
    expect(turn?.credential).toBe(createHmac('sha1', TURN_SECRET).update(turn?.username ?? '').digest('base64'));
    expect(codeOf(await http(gw.httpUrl, ICE_SERVERS))).toBe('UNAUTHENTICATED');
  });

  it('moves the /metrics counters by the right amounts', async () => {
    const scrape = async (): Promise<string> => {
      const res = await fetch(`${gw.url}/metrics`);
      expect(res.headers.get('content-type')).toMatch(/text\/plain/);
      return res.text();
    };
    const before = await scrape();
    const a = await createSession(gw.httpUrl, 'metrics', 'alice');
    const b = await createSession(gw.httpUrl, 'metrics', 'bob');
    const alice = wsPeer(gw.wsUrl, a.token);
    const bob = wsPeer(gw.wsUrl, b.token);
    sockets.push(alice, bob);
    const aliceSignals = alice.signals();
    await aliceSignals.events.next();
    const bobSignals = bob.signals();
    await bobSignals.events.next();
    await aliceSignals.events.next();
    for (let i = 0; i < 3; i++) {
      await alice.request(SEND_OFFER, { to: 'bob', sdp: fakeSdp(`m${i}`) });
      await bobSignals.events.next();
    }
    await alice.request(SEND_OFFER, { to: 'nobody', sdp: fakeSdp('x') });
    await alice.request(SEND_OFFER, { to: 'bob', sdp: 'not sdp' });
    await alice.request(SEND_OFFER, { to: 'bob', sdp: 'also not sdp' });
    const after = await scrape();
    const delta = (name: string, labels = '') => sample(after, name, labels) - sample(before, name, labels);
    expect(delta('switchboard_signals_relayed_total', 'type="Offer"')).toBe(3);
    expect(delta('switchboard_relay_latency_seconds_count', 'type="Offer"')).toBe(3);
    expect(delta('switchboard_rejected_total', 'code="PEER_NOT_FOUND"')).toBe(1);
    expect(delta('switchboard_rejected_total', 'code="BAD_USER_INPUT"')).toBe(2);
    expect(sample(after, 'switchboard_connected_peers')).toBeGreaterThanOrEqual(2);
    expect(sample(after, 'switchboard_rooms')).toBeGreaterThanOrEqual(1);
    expect(delta('switchboard_sessions_created_total')).toBe(2);
    expect(after).toMatch(/^switchboard_build_info\{version="\d+\.\d+\.\d+[^"]*"\} 1$/m);
    // Node's defaults under their standard names, as stock dashboards and alerts expect them.
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_heap_size_used_bytes']) {
      expect(after).toMatch(new RegExp(`^${name} `, 'm'));
    }
    expect(after).not.toMatch(/^switchboard_(process|nodejs)_/m);
  });
});
