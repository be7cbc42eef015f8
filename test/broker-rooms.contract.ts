import { type Broker, PeerRemovedError, RoomFullError } from '../src/broker/broker';
import type { PeerSession } from '../src/events';
import { LeaveReason, SignalKind } from '../src/protocol';
import { next } from './broker.contract';

/** What a room-control test needs from an engine: two brokers on one shared state (the same one for memory). */
export interface SharedBrokers {
  brokers: [Broker, Broker];
  close: () => Promise<void>;
}

export interface RoomControlOptions {
  maxPeersPerRoom: number;
}

const S: PeerSession = { id: '', startedAtMs: 0 };
const peer = (id: string) => ({ id, name: null });
const BAR_MS = 60_000;

/**
 * Room capacity and the backend's room controls, run against each engine. `make` gives two brokers
 * sharing one state: two instances on one Redis, or the one memory broker twice.
 */
export function roomControlContract(name: string, make: (options: RoomControlOptions) => Promise<SharedBrokers>): void {
  describe(`Broker room control: ${name}`, () => {
    let shared: SharedBrokers;
    let a: Broker;
    let b: Broker;
    let roomNo = 0;
    let room: string;

    beforeAll(async () => {
      shared = await make({ maxPeersPerRoom: 2 });
      [a, b] = shared.brokers;
    });
    beforeEach(() => {
      room = `control${++roomNo}`;
    });
    afterAll(async () => {
      await shared.close();
    });

    it('refuses a peer past the capacity, storing nothing, and admits it once a seat is free', async () => {
      await a.join(room, peer('p1'), S);
      await b.join(room, peer('p2'), S);
      await expect(a.join(room, peer('p3'), S)).rejects.toBeInstanceOf(RoomFullError);
      await expect(b.claim({ room, peer: 'p3' }, 60_000)).rejects.toBeInstanceOf(RoomFullError);
      expect((await a.roster(room)).map((p) => p.id)).toEqual(['p1', 'p2']);
      // A peer already in the roster (a resume, a move to the other instance) takes no new seat.
      expect(await b.join(room, peer('p1'), S)).toBe(false);
      await a.leave(room, 'p2', LeaveReason.Left, 'anywhere');
      expect(await b.join(room, peer('p3'), S)).toBe(true);
      expect((await b.roster(room)).map((p) => p.id)).toEqual(['p1', 'p3']);
    });

    it('admits exactly one of two peers racing for the last seat on two instances', async () => {
      await a.join(room, peer('p1'), S);
      const outcomes = await Promise.allSettled([a.join(room, peer('x'), S), b.join(room, peer('y'), S)]);
      expect(outcomes.filter((o) => o.status === 'fulfilled')).toHaveLength(1);
      const refused = outcomes.find((o) => o.status === 'rejected');
      expect(refused?.status === 'rejected' && refused.reason).toBeInstanceOf(RoomFullError);
      expect(await a.roster(room)).toHaveLength(2);
    });

    it('removes a peer on another instance: its feed ends, the others see "removed", its session cannot come back', async () => {
      const first: PeerSession = { id: 'first', startedAtMs: 1_000 };
      await a.join(room, peer('p1'), S);
      await b.join(room, peer('p2'), first);
      const watcher = await a.open({ ...peer('p1'), room, session: S }, null);
      const removed = await b.open({ ...peer('p2'), room, session: first }, null);
      await next(watcher);
      await next(removed);
      expect(await a.remove(room, 'p2', BAR_MS)).toBe(true);
      expect(await next(watcher)).toMatchObject({ kind: 'PeerDisconnected', peer: { id: 'p2' }, reason: 'removed' });
      await expect(next(removed)).rejects.toBeInstanceOf(PeerRemovedError);
      await expect(b.join(room, peer('p2'), first)).rejects.toBeInstanceOf(PeerRemovedError);
      await expect(a.join(room, peer('p2'), { id: 'older', startedAtMs: 500 })).rejects.toBeInstanceOf(PeerRemovedError);
      expect(await a.roster(room)).toEqual([peer('p1')]);
      expect(await a.remove(room, 'p2', BAR_MS)).toBe(false);
      // A new session of the peer id (minted after the removal) may join.
      expect(await b.join(room, peer('p2'), { id: 'second', startedAtMs: 2_000 })).toBe(true);
      void watcher.return();
    });

    it('broadcasts an app message once to every other member, on both instances, replayed from a cursor', async () => {
      await a.join(room, peer('p1'), S);
      await b.join(room, peer('p2'), S);
      const sender = await a.open({ ...peer('p1'), room, session: S }, null);
      const reader = await b.open({ ...peer('p2'), room, session: S }, null);
      await next(sender);
      const welcome = await next(reader);
      const message = { kind: SignalKind.Message, from: 'p1', to: null, data: 'hi' } as const;
      const keyed = { session: S, idempotencyKey: 'm1', traceparent: null };
      const receipt = await a.broadcast(room, message, keyed);
      expect(await b.broadcast(room, message, keyed)).toEqual(receipt);
      expect(await next(reader)).toMatchObject({ kind: 'Message', from: 'p1', to: null, data: 'hi' });
      expect(await a.broadcast(room, { ...message, from: 'ghost' }, keyed)).toBe('sender-not-joined');
      await b.broadcast(room, { ...message, from: 'p2', data: 'back' }, { ...keyed, idempotencyKey: null });
      // The sender reads the other's message, never its own.
      expect(await next(sender)).toMatchObject({ kind: 'Message', from: 'p2', data: 'back' });
      void reader.return();
      const replay = await a.open({ ...peer('p2'), room, session: S }, welcome.cursor);
      expect(await next(replay)).toMatchObject({ kind: 'Welcome', resumed: true });
      expect(await next(replay)).toMatchObject({ kind: 'Message', from: 'p1', data: 'hi' });
      void replay.return();
      void sender.return();
    });

    it('lists the rooms that have peers, from either instance', async () => {
      await a.join(room, peer('p1'), S);
      await b.join(`${room}-b`, peer('p2'), S);
      for (const broker of [a, b]) {
        const rooms = await broker.listRooms();
        expect(rooms).toEqual(expect.arrayContaining([{ id: room, peers: [peer('p1')] }, { id: `${room}-b`, peers: [peer('p2')] }]));
      }
      await a.leave(room, 'p1', LeaveReason.Left, 'anywhere');
      expect((await b.listRooms()).map((r) => r.id)).not.toContain(room);
    });
  });
}
