import type { Plugin } from 'graphql-yoga';
import { SIGNALS_SUBSCRIPTION } from '@switchboard/client/wire';
import { FrameSlots } from '../src/transport/shared-frames';
import { createSession } from './helpers/clients';
import { startGateway, type TestGateway } from './helpers/gateway';
import { Inbox } from './helpers/inbox';
import { OWN_DOCUMENTS } from './helpers/own-documents';
import { rawSocket, type RawSocket } from './helpers/raw-ws';

/** A selection of its own: aliases, a field twice, the cursor in two places, no cursor on leaves. */
const ALIASED = `subscription Aliased($presence: PresenceMode) {
  signals(presence: $presence) {
    first: cursor
    ... on PeerConnected { who: peer { id name } again: cursor at __typename }
    ... on PeerDisconnected { reason peer { id } }
    ... on Welcome { peers { id } }
  }
}`;
const DOCUMENTS: Array<[string, string, Record<string, unknown>]> = [
  ['the SDK’s document', SIGNALS_SUBSCRIPTION, {}],
  ['a client’s own spelling', OWN_DOCUMENTS.signals, {}],
  ['aliases and a repeated cursor', ALIASED, { presence: 'EACH' }],
];

/** A socket whose frames are also kept as the exact text the gateway wrote. */
async function listener(url: string, token: string, query: string, variables: Record<string, unknown>): Promise<{ raw: RawSocket; texts: Inbox<string> }> {
  const raw = await rawSocket(url);
  const texts = new Inbox<string>('frame texts');
  raw.socket.on('message', (data) => texts.push(String(data)));
  await raw.init(token);
  raw.send({ id: 's', type: 'subscribe', payload: { query, variables } });
  await raw.next('next', 's');
  await texts.nextWhere((t) => t.includes('"Welcome"') || t.includes('"peers"'));
  return { raw, texts };
}

/** The next `next` frame for `s` that is about `peer` joining or leaving, as the exact text. */
const presenceText = (texts: Inbox<string>, peer: string): Promise<string> =>
  texts.nextWhere((t) => t.startsWith('{"id":"s","type":"next"') && t.includes(`"id":"${peer}"`) && !t.includes('"peers"'), undefined, `presence of ${peer}`);

/** The frame with every cursor and time put to fixed values: what two gateways must agree on byte for byte. */
function normalised(text: string): string {
  return text.replace(/"(first|again|cursor)":"[^"]*"/g, '"$1":"C"').replace(/"at":"[^"]*"/g, '"at":"T"');
}

/** Turns the shared rendering off (a plugin added later), leaving every result as it is. */
const passThrough = (): Plugin => ({ onSubscribe: () => ({ onSubscribeResult: () => ({ onNext: () => undefined }) }) });

/**
 * Presence events rendered once per selection (transport/shared-presence.ts) and written in place of
 * graphql-ws's stand-in (transport/shared-frames.ts) must be, byte for byte, what the whole pipeline
 * writes for each subscriber, with each subscriber's own cursor.
 */
describe('presence rendered once per selection', () => {
  let shared: TestGateway;
  let unshared: TestGateway;
  beforeAll(async () => {
    [shared, unshared] = await Promise.all([startGateway(), startGateway({}, { plugins: [passThrough()] })]);
  });
  afterAll(() => Promise.all([shared.close(), unshared.close()]));

  it.each(DOCUMENTS)('%s: joins and leaves are the bytes graphql-ws would write, each with the subscriber’s cursor', async (what, query, variables) => {
    const room = `shared-${what.length}`;
    const frames: Record<'shared' | 'unshared', { bob: string[]; alice: string[] }> = { shared: { bob: [], alice: [] }, unshared: { bob: [], alice: [] } };
    for (const [name, gw] of [['shared', shared], ['unshared', unshared]] as const) {
      const [bob, alice, carol] = await Promise.all(['bob', 'alice', 'carol'].map((peer) => createSession(gw.httpUrl, room, peer, `${peer} "the" \\ ünïcode`)));
      if (!bob || !alice || !carol) throw new Error('no session');
      const listeners = [await listener(gw.wsUrl, bob.token, query, variables), await listener(gw.wsUrl, alice.token, query, variables)];
      await Promise.all(listeners.map(({ texts }, i) => (i === 0 ? presenceText(texts, 'alice') : Promise.resolve(''))));
      const joiner = await rawSocket(gw.wsUrl);
      await joiner.init(carol.token);
      joiner.send({ id: 'c', type: 'subscribe', payload: { query: SIGNALS_SUBSCRIPTION } });
      await joiner.next('next', 'c');
      const joins = await Promise.all(listeners.map(({ texts }) => presenceText(texts, 'carol')));
      joiner.send({ id: 'l', type: 'subscribe', payload: { query: 'mutation { leaveRoom }' } });
      const leaves = await Promise.all(listeners.map(({ texts }) => presenceText(texts, 'carol')));
      frames[name] = { bob: [joins[0] ?? '', leaves[0] ?? ''], alice: [joins[1] ?? '', leaves[1] ?? ''] };
      for (const { raw } of listeners) raw.socket.close(1000);
      joiner.socket.close(1000);
    }
    for (const text of [...frames.shared.bob, ...frames.shared.alice]) {
      // What graphql-ws itself writes for this payload: JSON.stringify({ id, type, payload }).
      const { id, type, payload } = JSON.parse(text) as { id: string; type: string; payload: unknown };
      expect(text).toBe(JSON.stringify({ id, type, payload }));
    }
    expect(frames.shared.bob.map(normalised)).toEqual(frames.unshared.bob.map(normalised));
    expect(frames.shared.alice.map(normalised)).toEqual(frames.shared.bob.map(normalised));
    // One rendering, two subscribers: each frame carries its own subscriber's cursor.
    const cursorOf = (text: string): string => /"(?:cursor|first)":"([^"]*)"/.exec(text)?.[1] ?? '';
    expect(cursorOf(frames.shared.bob[0] ?? '')).not.toBe(cursorOf(frames.shared.alice[0] ?? ''));
    expect(cursorOf(frames.shared.bob[0] ?? '')).not.toBe('');
  });

  it('resuming from a shared event’s cursor replays exactly what came after it', async () => {
    const room = 'shared-resume';
    const [bob, carol, dave] = await Promise.all(['bob', 'carol', 'dave'].map((peer) => createSession(shared.httpUrl, room, peer)));
    if (!bob || !carol || !dave) throw new Error('no session');
    const first = await listener(shared.wsUrl, bob.token, SIGNALS_SUBSCRIPTION, {});
    const joiners: RawSocket[] = [];
    for (const peer of [carol, dave]) {
      const joiner = await rawSocket(shared.wsUrl);
      await joiner.init(peer.token);
      joiner.send({ id: 'c', type: 'subscribe', payload: { query: SIGNALS_SUBSCRIPTION } });
      await joiner.next('next', 'c');
      joiners.push(joiner);
    }
    const afterCarol = JSON.parse(await presenceText(first.texts, 'carol')) as { payload: { data: { signals: { cursor: string } } } };
    await presenceText(first.texts, 'dave');
    first.raw.socket.close(1000);
    const resumed = await rawSocket(shared.wsUrl);
    await resumed.init(bob.token);
    resumed.send({ id: 's', type: 'subscribe', payload: { query: SIGNALS_SUBSCRIPTION, variables: { after: afterCarol.payload.data.signals.cursor } } });
    expect(await resumed.next('next', 's')).toMatchObject({ payload: { data: { signals: { __typename: 'Welcome', resumed: true } } } });
    const replayed = await resumed.next('next', 's');
    expect(replayed).toMatchObject({ payload: { data: { signals: { __typename: 'PeerConnected', peer: { id: 'dave' } } } } });
    resumed.socket.close(1000);
    for (const joiner of joiners) joiner.socket.close(1000);
  });
});

describe('FrameSlots', () => {
  const nextMessage = (id: string, payload: unknown): string => JSON.stringify({ id, type: 'next', payload });

  it('writes one next message per payload in place of a stand-in, and every other message as it is', () => {
    const slots = new FrameSlots();
    const other = nextMessage('x', { data: { a: 1 }, extensions: { note: '"payload":{"extensions":' } });
    expect(slots.resolve(other)).toBe(other);
    const standIn = slots.standIn(['{"data":{"n":1}}', '{"data":{"n":2}}']);
    expect(slots.resolve(other)).toBe(other);
    expect(slots.resolve(nextMessage('weird "id" \\', standIn))).toEqual([
      nextMessage('weird "id" \\', { data: { n: 1 } }),
      nextMessage('weird "id" \\', { data: { n: 2 } }),
    ]);
    // A stand-in is written once: sent again (it never is), it would go out as the stand-in it is.
    expect(slots.resolve(nextMessage('s', standIn))).toBe(nextMessage('s', standIn));
  });

});
