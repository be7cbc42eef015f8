import { BrokerUnavailableError, type Broker, type SendOptions } from '../../src/broker/broker';
import type { Feed } from '../../src/broker/feed';
import type { DirectSignal, PeerSession, SignalEvent } from '../../src/events';
import { SignalKind } from '../../src/protocol';
import { untilStatus } from './child-gateway';
import { HOST_CANDIDATE } from './sdp';
import { nextEvent, sdkClient } from './sdk';

/** A failed-over Redis must serve writes again within this (the bound for healing). */
export const HEAL_WITHIN_MS = 10_000;
const SENDS_BEFORE_FAILURE = 40;
const ACKS_AFTER_HEAL = 40;
/** Pace of the sender: steady traffic, not a flood (the test measures outcomes, not speed). */
const SEND_EVERY_MS = 5;
const DRAIN_WITHIN_MS = 10_000;
const REOPEN_WITHIN_MS = 10_000;

const S: PeerSession = { id: '', startedAtMs: 0 };

/** What happened to the signals sent through a failover. */
export interface FailoverReport {
  sent: number;
  /** Sends acknowledged (stored, and replicated when REDIS_WAIT_REPLICAS asked for it). */
  acknowledged: number;
  /** Sends answered UNAVAILABLE. */
  refused: number;
  /** Acknowledged sends that never arrived (a promoted replica lacked them). */
  lostAcknowledged: number;
  /** Refused sends that arrived all the same (stored before the answer was lost); each is a retry the idempotency key deduplicates. */
  refusedButDelivered: number;
  duplicates: number;
  outOfOrder: number;
  /** From the failure to the first acknowledged send after it. */
  healMs: number;
  /** Times the reader's feed ended and it resumed from its cursor; how many of those resumes were not `resumed: true`. */
  reopened: number;
  notResumed: number;
}

const wait = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Sends a steady stream of offers from `a` to `b` in `room` through `broker`, starts `fail` (kill a
 * primary, make Sentinel fail over) part-way without pausing the traffic, and keeps sending until the broker has acknowledged
 * {@link ACKS_AFTER_HEAL} sends after the failure; meanwhile `b` reads, resuming from its cursor
 * whenever its feed ends, as the SDK does. Returns what arrived against what was acknowledged.
 */
export async function trafficThroughFailover(broker: Broker, room: string, fail: () => Promise<void>): Promise<FailoverReport> {
  await broker.join(room, { id: 'a', name: null }, S);
  await broker.join(room, { id: 'b', name: null }, S);
  const seen: number[] = [];
  let reopened = 0;
  let notResumed = 0;
  let reading = true;
  let feed: Feed = await broker.open({ id: 'b', name: null, room, session: S }, null);
  let cursor: string | null = null;
  const record = (event: SignalEvent): void => {
    cursor = event.cursor;
    if (event.kind === SignalKind.Offer) seen.push(Number(event.sdp.slice('v=0 #'.length)));
    if (event.kind === SignalKind.Welcome && reopened > 0 && !event.resumed) notResumed++;
  };
  const reader = (async () => {
    while (reading) {
      try {
        const event = await feed.nextWithin(200);
        if (event) record(event);
        else if (feed.isClosed) throw new Error('feed ended');
      } catch {
        if (!reading) break;
        const deadline = Date.now() + REOPEN_WITHIN_MS;
        for (;;) {
          try {
            feed = await broker.open({ id: 'b', name: null, room, session: S }, cursor);
            reopened++;
            break;
          } catch (error) {
            if (Date.now() > deadline) throw error;
            await wait(100);
          }
        }
      }
    }
  })();

  const acknowledged: number[] = [];
  const refused: number[] = [];
  let failedAt = 0;
  let healedAt = 0;
  let acksAfterHeal = 0;
  // The failure runs alongside the traffic: sends go on while it happens.
  let failing: Promise<void> = Promise.resolve();
  for (let i = 1; acksAfterHeal < ACKS_AFTER_HEAL; i++) {
    if (i === SENDS_BEFORE_FAILURE) {
      failedAt = Date.now();
      failing = fail();
    }
    const signal: DirectSignal = { kind: SignalKind.Offer, from: 'a', to: 'b', sdp: `v=0 #${i}` };
    const options: SendOptions = { session: S, idempotencyKey: `k${i}`, traceparent: null };
    try {
      await broker.send(room, signal, options);
      acknowledged.push(i);
      if (failedAt > 0) {
        if (healedAt === 0) healedAt = Date.now();
        acksAfterHeal++;
      }
    } catch (error) {
      if (!(error instanceof BrokerUnavailableError)) throw error;
      refused.push(i);
      if (failedAt > 0 && Date.now() - failedAt > HEAL_WITHIN_MS) throw new Error(`no send acknowledged within ${HEAL_WITHIN_MS} ms of the failure`);
    }
    await wait(SEND_EVERY_MS);
  }
  await failing;
  const last = acknowledged[acknowledged.length - 1] ?? 0;
  const drainDeadline = Date.now() + DRAIN_WITHIN_MS;
  while (!seen.includes(last) && Date.now() < drainDeadline) await wait(50);
  reading = false;
  await reader;
  await feed.return();

  const unique = new Set(seen);
  return {
    sent: acknowledged.length + refused.length,
    acknowledged: acknowledged.length,
    refused: refused.length,
    lostAcknowledged: acknowledged.filter((n) => !unique.has(n)).length,
    refusedButDelivered: refused.filter((n) => unique.has(n)).length,
    duplicates: seen.length - unique.size,
    outOfOrder: seen.filter((n, k) => k > 0 && n <= (seen[k - 1] ?? 0)).length,
    healMs: healedAt - failedAt,
    reopened,
    notResumed,
  };
}

/**
 * Two SDK clients on two gateway instances, `sends` ICE candidates from alice to bob with `fail`
 * started a quarter of the way in (the SDK retries UNAVAILABLE with the same idempotency key).
 * Resolves with what was acknowledged and what bob received, in order, and both clients' final states,
 * once every instance is ready again.
 */
export async function sdkSignalsThroughFailover(
  gateways: Array<{ httpUrl: string; url: string }>,
  room: string,
  sends: number,
  fail: () => Promise<void>,
): Promise<{ delivered: string[]; received: string[]; states: string[] }> {
  const [first, second] = gateways;
  if (!first || !second) throw new Error('two gateways needed');
  const alice = await sdkClient(first.httpUrl, room, 'alice');
  const bob = await sdkClient(second.httpUrl, room, 'bob');
  try {
    const received: string[] = [];
    bob.on('ice-candidate', (signal) => received.push(signal.candidate.sdpMid ?? ''));
    let failed: Promise<void> = Promise.resolve();
    const delivered: string[] = [];
    for (let i = 0; i < sends; i++) {
      if (i === Math.floor(sends / 4)) failed = fail();
      await alice.sendIceCandidate('bob', { candidate: HOST_CANDIDATE, sdpMid: `m${i}`, sdpMLineIndex: 0 });
      delivered.push(`m${i}`);
    }
    await failed;
    const last = `m${sends - 1}`;
    if (!received.includes(last)) await nextEvent(bob, 'ice-candidate', (signal) => signal.candidate.sdpMid === last);
    const states = [alice.state, bob.state];
    for (const gateway of gateways) await untilStatus(`${gateway.url}/readyz`, 200, HEAL_WITHIN_MS);
    return { delivered, received, states };
  } finally {
    await Promise.all([alice.close(), bob.close()]);
  }
}
