import { Feed } from '../src/broker/feed';
import type { SignalEvent } from '../src/events';
import { SignalKind } from '../src/protocol';

const offer = (n: number): SignalEvent => ({ kind: SignalKind.Offer, from: 'a', to: 'b', sdp: `v=0 #${n}`, cursor: String(n), at: n });
const sdpOf = (r: IteratorResult<SignalEvent>): string => (r.done || r.value.kind !== SignalKind.Offer ? 'none' : r.value.sdp);

/**
 * Every broker's heal path replays into the feed with `preload` while its reader may already be
 * waiting in `next()`: the replay must wake it, and a live `push` after it must not overtake it.
 */
describe('Feed: replayed events and a waiting reader', () => {
  it('a replayed event wakes a reader that is already waiting, and keeps its place before later live events', async () => {
    const feed = new Feed({ maxQueuedEvents: 16, maxQueuedBytes: 1 << 20 });
    const waiting = feed.next();
    feed.preload(offer(1));
    feed.preload(offer(2));
    feed.push(offer(3));
    expect(sdpOf(await waiting)).toBe('v=0 #1');
    expect(sdpOf(await feed.next())).toBe('v=0 #2');
    expect(sdpOf(await feed.next())).toBe('v=0 #3');
  });

  it('a live event pushed while replayed ones are queued waits behind them', async () => {
    const feed = new Feed({ maxQueuedEvents: 16, maxQueuedBytes: 1 << 20 });
    feed.preload(offer(1));
    feed.push(offer(2));
    expect(feed.drainQueued(8).map((e) => (e.kind === SignalKind.Offer ? e.sdp : ''))).toEqual(['v=0 #1', 'v=0 #2']);
  });
});
