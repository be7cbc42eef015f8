/**
 * Every Redis key and channel name of the broker. A room's keys share the `{room}` hash tag, so each
 * script touches one Redis Cluster slot; instance-wide keys (leases, the per-instance index) do not.
 */
export const KEY_PREFIX = 'sb:';
export const INSTANCES_KEY = `${KEY_PREFIX}instances`;
/** Set once per Redis dataset; gone or different means the data was lost (FLUSHALL, empty restart). */
export const MARKER_KEY = `${KEY_PREFIX}marker`;
export const INDEX_PREFIX = `${KEY_PREFIX}inst-peers:`;

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
  roomChannel: (room: string) => `${KEY_PREFIX}{${room}}:room`,
  peerChannel: (room: string, peer: string) => `${KEY_PREFIX}{${room}}:peer:${peer}`,
  lease: (instance: string) => `${KEY_PREFIX}lease:${instance}`,
  reap: (instance: string) => `${KEY_PREFIX}reap:${instance}`,
  index: (instance: string) => `${INDEX_PREFIX}${instance}`,
};

/** A member of an instance's index set: the room and peer id of one peer it owns. */
export const indexMember = (room: string, peer: string): string => `${room}\n${peer}`;

export function parseIndexMember(member: string): { room: string; peer: string } {
  const [room = '', peer = ''] = member.split('\n');
  return { room, peer };
}
