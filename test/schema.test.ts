import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { printedSchema } from '../src/api/printed';

describe('printed contract', () => {
  it('schema/schema.graphql matches the code (npm run schema:print to update)', () => {
    const committed = readFileSync(join(__dirname, '..', 'schema', 'schema.graphql'), 'utf8');
    expect(committed).toBe(printedSchema());
  });

  it('holds every operation and event type DESIGN.md fixes', () => {
    const sdl = printedSchema();
    for (const name of [
      'createSession(',
      'refreshSession:',
      'sendOffer(',
      'sendAnswer(',
      'sendIceCandidate(',
      'leaveRoom:',
      'me:',
      'peers:',
      'iceServers:',
      'signals(after: ID, presence: PresenceMode = EACH)',
      'pollSignals(after: ID, presence: PresenceMode = EACH, waitMs: Int)',
      'enum PresenceMode {\n  BATCHED\n  EACH\n}',
      'type PresenceBatch implements Signal',
      'joined: [Peer!]!',
      'left: [PeerDeparture!]!',
      'type PeerDeparture {',
      'interface Signal',
      'type Welcome implements Signal',
      'type PeerConnected implements Signal',
      'type PeerDisconnected implements Signal',
      'type Offer implements Signal',
      'type Answer implements Signal',
      'type IceCandidate implements Signal',
    ]) {
      expect(sdl).toContain(name);
    }
  });
});
