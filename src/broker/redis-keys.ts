/**
 * Every Redis key and channel name of the broker. A room's keys and channels share the `{room}` hash
 * tag, so each script touches one Redis Cluster slot; the instance-wide keys (leases, the
 * per-instance peer index, the dataset marker) share the `{instances}` tag, so the lease renewal and
 * the reaper's transactions touch one slot too.
 */
export const KEY_PREFIX = 'sb:';
const INSTANCE_PREFIX = `${KEY_PREFIX}{instances}:`;
export const INSTANCES_KEY = `${INSTANCE_PREFIX}all`;
/** Set once per Redis dataset; gone or different means the data was lost (FLUSHALL, empty restart). */
export const MARKER_KEY = `${INSTANCE_PREFIX}marker`;

/**
 * The webhook outbox: one stream for every instance's room events, read through the consumer group
 * {@link WEBHOOK_GROUP}. Its own `{webhooks}` hash tag: one Cluster slot, apart from the rooms'.
 */
export const WEBHOOK_OUTBOX_KEY = `${KEY_PREFIX}{webhooks}:outbox`;
export const WEBHOOK_GROUP = 'webhooks';

export const keys = {
  roster: (room: string) => `${KEY_PREFIX}{${room}}:roster`,
  log: (room: string) => `${KEY_PREFIX}{${room}}:log`,
  seq: (room: string) => `${KEY_PREFIX}{${room}}:seq`,
  mailbox: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:mb:${peer}`,
  /**
   * The mailbox's epoch and owning session (hash fields e, s, t) and the idempotency keys of the
   * signals it holds (`k:<from>:<key>` → entry id); lives as long as the mailbox.
   */
  mailboxMeta: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:mbm:${peer}`,
  /** The room log's epoch; lives as long as the log. */
  roomEpoch: (room: string) => `${KEY_PREFIX}{${room}}:epoch`,
  claim: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:claim:${peer}`,
  /** `<sid>:<start ms>` of a session the backend removed; expires when it may join again. */
  removed: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:rm:${peer}`,
  /** Idempotency keys of the room log's messages (`k:<from>:<key>` → entry id); expire with their entries. */
  logMeta: (room: string) => `${KEY_PREFIX}{${room}}:logm`,
  roomChannel: (room: string) => `${KEY_PREFIX}{${room}}:room`,
  peerChannel: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:peer:${peer}`,
  lease: (instance: string) => `${INSTANCE_PREFIX}lease:${instance}`,
  reap: (instance: string) => `${INSTANCE_PREFIX}reap:${instance}`,
  /** The peers an instance owns (members from {@link indexMember}): what the reaper announces when it dies. */
  index: (instance: string) => `${INSTANCE_PREFIX}peers:${instance}`,
};

/** A member of an instance's index set: the room and peer id of one peer it owns. */
export const indexMember = (room: string, peer: string): string => `${room}\n${peer}`;

export function parseIndexMember(member: string): { room: string; peer: string } {
  const [room = '', peer = ''] = member.split('\n');
  return { room, peer };
}
