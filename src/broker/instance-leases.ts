import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RedisClient } from './redis-clients';
import { INSTANCES_KEY, keys, MARKER_KEY, parseIndexMember } from './redis-keys';

/** How long a surviving instance holds the right to clean up one dead instance's peers. */
const REAP_LOCK_MS = 30_000;
/** The offset to Redis's clock is only taken from TIME replies that came back this fast. */
const MAX_CLOCK_SAMPLE_RTT_MS = 100;

export interface InstanceLeaseOptions {
  client: RedisClient;
  instanceId: string;
  /** How long a lease lives without renewal; it is renewed every quarter of that. */
  leaseMs: number;
  log: Logger;
  /** Removes one peer of a dead instance from its room (announcing it gone); true when it was there. */
  announceGone: (room: string, peer: string, instance: string) => Promise<boolean>;
  /**
   * Told after each renewal: the dataset marker, and Redis's clock minus ours (ms) when the round
   * trip was fast enough to say (null otherwise).
   */
  onRenewed: (marker: string, clockOffsetMs: number | null) => Promise<void>;
}

/**
 * Instance leases: each instance renews its own lease and, as a survivor, announces the peers of
 * instances whose lease ran out (their peers are listed in a per-instance index set).
 */
export class InstanceLeases {
  private readonly timers: NodeJS.Timeout[] = [];

  constructor(private readonly options: InstanceLeaseOptions) {}

  start(): void {
    const interval = this.options.leaseMs / 4;
    for (const task of [() => this.renew(), () => this.reap()]) {
      const timer = setInterval(() => void task(), interval);
      timer.unref();
      this.timers.push(timer);
    }
  }

  stop(): void {
    for (const timer of this.timers.splice(0)) clearInterval(timer);
  }

  /**
   * Renews this instance's lease, samples the offset to Redis's clock, and reads the dataset marker
   * (the lost-data check rides on the lease renewal: no extra round trip).
   */
  async renew(): Promise<void> {
    const { client, instanceId, leaseMs } = this.options;
    if (client.status !== 'ready') return;
    const sentAt = Date.now();
    try {
      const replies = await client
        .multi()
        .set(keys.lease(instanceId), '1', 'PX', leaseMs)
        .zadd(INSTANCES_KEY, Date.now() + leaseMs, instanceId)
        .set(MARKER_KEY, randomBytes(6).toString('hex'), 'NX')
        .get(MARKER_KEY)
        .time()
        .exec();
      const receivedAt = Date.now();
      const marker = replies?.[3]?.[1];
      const time = replies?.[4]?.[1];
      // A slow round trip says little about the offset (its error is up to half the round trip): until
      // a fast one comes, the clocks are taken to agree (NTP keeps them within milliseconds).
      const offset =
        Array.isArray(time) && receivedAt - sentAt <= MAX_CLOCK_SAMPLE_RTT_MS
          ? Number(time[0]) * 1000 + Math.floor(Number(time[1]) / 1000) - (sentAt + receivedAt) / 2
          : null;
      if (typeof marker === 'string') await this.options.onRenewed(marker, offset);
    } catch (error) {
      this.options.log.warn({ err: error }, 'could not renew instance lease');
    }
  }

  /**
   * Announces the peers of instances whose lease ran out. Costs one sorted-set read per interval per
   * instance, whatever the number of peers; the peers of a dead instance are visited once, by one survivor.
   */
  async reap(): Promise<void> {
    const { client, instanceId, log } = this.options;
    if (client.status !== 'ready') return;
    try {
      const candidates = await client.zrangebyscore(INSTANCES_KEY, '-inf', Date.now());
      for (const instance of candidates) {
        if (instance === instanceId || (await client.exists(keys.lease(instance))) === 1) continue;
        if ((await client.set(keys.reap(instance), instanceId, 'PX', REAP_LOCK_MS, 'NX')) !== 'OK') continue;
        const members = await client.smembers(keys.index(instance));
        for (const member of members) {
          const { room, peer } = parseIndexMember(member);
          if (await this.options.announceGone(room, peer, instance)) log.info({ room, peer, instance }, 'peer of a dead instance announced gone');
        }
        await client.multi().del(keys.index(instance)).zrem(INSTANCES_KEY, instance).exec();
      }
    } catch (error) {
      log.warn({ err: error }, 'reaping dead instances failed; will retry');
    }
  }
}
