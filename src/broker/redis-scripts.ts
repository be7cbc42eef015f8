import { LuaScript, reply } from './lua-script';

/**
 * Lua scripts of the Redis broker. Each runs atomically, so "store in the log" and "publish to the
 * live subscribers" can never be split by a crash or a concurrent writer, and a Welcome's roster is
 * taken at exactly the stream position the subscriber starts from.
 *
 * Every key and channel of one room shares the `{room}` hash tag, so each script touches one Redis
 * Cluster slot, and publishes with SPUBLISH (sharded pub/sub, Redis 7) on the shard that owns it.
 * The per-instance peer index lives in another slot: the broker keeps it with separate commands.
 */

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Evicts a stream's oldest entries past `maxlen` and older than `ttl`. XDEL, unlike XTRIM, records
 * `max-deleted-entry-id`, which is how OPEN tells a cursor whose events are gone. An evicted mailbox
 * entry's idempotency key (field `k`, kept in the mailbox's `meta` hash) goes with it: keys are
 * remembered exactly as long as the signals they name.
 */
const EVICT = `
local function drop(key, entry, meta)
  redis.call('XDEL', key, entry[1])
  if not meta then return end
  local fields = entry[2]
  for i = 1, #fields, 2 do
    if fields[i] == 'k' then redis.call('HDEL', meta, fields[i + 1]) end
  end
end
local function evict(key, maxlen, ttl, meta)
  local excess = redis.call('XLEN', key) - maxlen
  if excess > 0 then
    for _, e in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', excess)) do drop(key, e, meta) end
  end
  for _, e in ipairs(redis.call('XRANGE', key, '-', tostring(now - ttl), 'COUNT', 128)) do drop(key, e, meta) end
end
`;

/**
 * Appends to a stream with the room's next sequence number (which orders a mailbox against its room
 * log: their stream ids are per stream), evicts, and publishes the entry on the channel with the
 * stream's epoch (and `extra` fields) so live subscribers stamp the same cursor a replay would.
 */
const APPEND = `${EVICT}
local function append(key, seqKey, body, maxlen, ttl, channel, stream, epoch, extra, meta, idemField, trace)
  local q = redis.call('INCR', seqKey)
  local id
  if trace then
    local fields = { 'e', body, 'q', q, 't', trace }
    if idemField then fields[7] = 'k'; fields[8] = idemField end
    id = redis.call('XADD', key, '*', unpack(fields))
  elseif idemField then
    id = redis.call('XADD', key, '*', 'e', body, 'q', q, 'k', idemField)
  else
    id = redis.call('XADD', key, '*', 'e', body, 'q', q)
  end
  if idemField then redis.call('HSET', meta, idemField, id) end
  evict(key, tonumber(maxlen), ttl, meta)
  redis.call('SPUBLISH', channel, '{"i":"' .. id .. '","q":' .. q .. ',"s":"' .. stream .. '","p":"' .. epoch .. '"' .. extra .. ',"e":' .. body .. '}')
  return id
end
`;

/**
 * Epochs: a room log's epoch is a string key, a mailbox's is field `e` of its meta hash (which also
 * names the session that owns the mailbox: `s` id, `t` start ms). Each lives exactly as long as its
 * stream, so a stream recreated after expiry, a flush or a restart gets a new epoch, and a cursor of
 * the old one is never taken for a position in the new one. `candidate` is a fresh value from the
 * gateway, used only when there is no epoch yet.
 */
const EPOCHS = `
local function roomEpoch(key, candidate)
  local e = redis.call('GET', key)
  if e then return e end
  redis.call('SET', key, candidate)
  return candidate
end
local function mailboxEpoch(meta, candidate)
  redis.call('HSETNX', meta, 'e', candidate)
  return redis.call('HGET', meta, 'e')
end
`;

/**
 * Which session owns a peer id's mailbox. The first session to join owns it; the same session
 * carries on; a strictly newer one (later start) takes it over with an empty mailbox and a new epoch,
 * when `takeOver` is set; the old session's live subscribers are told on the peer's channel. Anything else is 'superseded'
 * and changes nothing.
 */
const SESSION = `
local function claimSession(meta, mailbox, sid, start, candidate, takeOver, channel)
  local current = redis.call('HMGET', meta, 's', 't')
  if not current[1] then
    redis.call('HSET', meta, 's', sid, 't', start)
    redis.call('HSETNX', meta, 'e', candidate)
    return 'same'
  end
  if current[1] == sid then return 'same' end
  if takeOver and tonumber(start) > tonumber(current[2]) then
    redis.call('DEL', mailbox, meta)
    redis.call('HSET', meta, 's', sid, 't', start, 'e', candidate)
    redis.call('SPUBLISH', channel, '{"k":"session","u":"' .. sid .. '"}')
    return 'new'
  end
  return 'superseded'
end
`;

/**
 * A write whose deadline (Redis time, ms) has passed when Redis gets to run it does nothing: the
 * gateway has answered UNAVAILABLE by then, and UNAVAILABLE promises that nothing was stored.
 */
const LATE = -1;
const SUPERSEDED = -2;

/** The roster holds the room's capacity already (maxPeers > 0); nothing was stored. */
const ROOM_FULL = -3;
/** The session asking to join was removed from the room by the backend (see LEAVE's barMs). */
const REMOVED = -4;

/** A peer not in the roster may join only while the roster is under `max` (0: no limit). */
const CAPACITY = `
local function full(roster, peer, max)
  max = tonumber(max)
  return max > 0 and redis.call('HEXISTS', roster, peer) == 0 and redis.call('HLEN', roster) >= max
end
`;

/**
 * The checks a send and a broadcast share, before anything is stored. `idempotency`: the field of
 * the sender's key in the hash `keys` (false without a key) and the receipt already stored under it.
 * `senderRefusal`: 0 when the sender is not in the roster or a newer session holds its id,
 * ${SUPERSEDED} when the caller's session is the older one; nil when it may send.
 */
const SENDER = `
local function idempotency(keys, from, key)
  if key == '' then return false, false end
  local field = 'k:' .. from .. ':' .. key
  return field, redis.call('HGET', keys, field)
end
local function senderRefusal(roster, meta, from, sid, start)
  if redis.call('HEXISTS', roster, from) == 0 then return 0 end
  local sender = redis.call('HMGET', meta, 's', 't')
  if sender[1] and sender[1] ~= sid then
    if tonumber(start) > tonumber(sender[2]) then return 0 end
    return ${SUPERSEDED}
  end
  return nil
end
`;

/**
 * Keys and arguments in the order of {@link send}'s lists. `idempotencyKey` is '' for none;
 * `traceparent` is '' when tracing is off (else stored as field `t` and published as `t`, so the
 * delivering instance continues the accepting one's trace).
 * Returns the entry id (the first one's again for an idempotency key the sender used for a signal
 * still in the recipient's mailbox); 0 when the sender is not in the room; 1 when the recipient is
 * not; ${LATE} past the deadline; ${SUPERSEDED} when a newer session holds the sender's id.
 */
const SEND_LUA = `${NOW_MS}${APPEND}${EPOCHS}${SENDER}
if now > tonumber(ARGV[7]) then return ${LATE} end
local idemField, first = idempotency(KEYS[4], ARGV[6], ARGV[9])
if first then return first end
local refused = senderRefusal(KEYS[1], KEYS[5], ARGV[6], ARGV[10], ARGV[11])
if refused then return refused end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 1 end
local epoch = mailboxEpoch(KEYS[4], ARGV[8])
local owner = redis.call('HGET', KEYS[4], 's') or ''
local extra = ',"u":"' .. owner .. '"'
local trace = false
if ARGV[12] ~= '' then
  trace = ARGV[12]
  extra = extra .. ',"t":"' .. trace .. '"'
end
return append(KEYS[2], KEYS[3], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], 'm', epoch, extra, KEYS[4], idemField, trace)
`;

export type SendReply = { id: string } | 'sender-not-joined' | 'recipient-not-found' | 'late' | 'superseded';

export const send = new LuaScript('sbSend', {
  keys: ['roster', 'mailbox', 'seq', 'recipientMeta', 'senderMeta'],
  args: ['to', 'body', 'maxlen', 'ttlMs', 'channel', 'from', 'deadlineMs', 'epochCandidate', 'idempotencyKey', 'senderSid', 'senderStartMs', 'traceparent'],
  lua: SEND_LUA,
  decode: (value): SendReply => {
    if (typeof value === 'string') return { id: value };
    if (value === 0) return 'sender-not-joined';
    if (value === 1) return 'recipient-not-found';
    if (value === LATE) return 'late';
    if (value === SUPERSEDED) return 'superseded';
    return reply.unexpected(value, 'send');
  },
});

/**
 * Keys and arguments in the order of {@link broadcast}'s lists. Appends an app message for the whole
 * room to the room log, once, with SEND's checks of the sender (`logMeta` holds the idempotency keys
 * of the log's messages and expires with them).
 * Returns the entry id (the first one's again for a repeated key still in the log); 0 when the
 * sender is not in the room; ${LATE} past the deadline; ${SUPERSEDED} when a newer session holds the
 * sender's id.
 */
const BROADCAST_LUA = `${NOW_MS}${APPEND}${EPOCHS}${SENDER}
if now > tonumber(ARGV[6]) then return ${LATE} end
local idemField, first = idempotency(KEYS[6], ARGV[1], ARGV[8])
if first then return first end
local refused = senderRefusal(KEYS[1], KEYS[4], ARGV[1], ARGV[9], ARGV[10])
if refused then return refused end
local trace = false
local extra = ''
if ARGV[11] ~= '' then
  trace = ARGV[11]
  extra = ',"t":"' .. trace .. '"'
end
local id = append(KEYS[2], KEYS[3], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], 'r', roomEpoch(KEYS[5], ARGV[7]), extra, KEYS[6], idemField, trace)
redis.call('PEXPIRE', KEYS[6], ARGV[4])
return id
`;

export type BroadcastReply = { id: string } | 'sender-not-joined' | 'late' | 'superseded';

export const broadcast = new LuaScript('sbBroadcast', {
  keys: ['roster', 'log', 'seq', 'senderMeta', 'roomEpoch', 'logMeta'],
  args: ['from', 'body', 'maxlen', 'ttlMs', 'roomChannel', 'deadlineMs', 'epochCandidate', 'idempotencyKey', 'senderSid', 'senderStartMs', 'traceparent'],
  lua: BROADCAST_LUA,
  decode: (value): BroadcastReply => {
    if (typeof value === 'string') return { id: value };
    if (value === 0) return 'sender-not-joined';
    if (value === LATE) return 'late';
    if (value === SUPERSEDED) return 'superseded';
    return reply.unexpected(value, 'broadcast');
  },
});

/** `maxPeers`: 0 for no limit; `removed` holds `<sid>:<start ms>` of a session the backend removed. ${REMOVED} when the backend removed this session (and it is not a newer one); ${ROOM_FULL} when a new peer would take the roster past maxPeers (checked and added in this one step: no two instances both admit the last seat). */
/**
 * Keys and arguments in the order of {@link join}'s lists.
 * Returns the PeerConnected entry id; nil when the peer was already in the roster (then its owner
 * moves to this instance and the previous owner is told on the peer's channel, and drops the peer
 * from its own index); ${LATE} past the
 * deadline; ${SUPERSEDED} when a newer session holds the peer id.
 */
const JOIN_LUA = `${NOW_MS}${APPEND}${EPOCHS}${SESSION}${CAPACITY}
if now > tonumber(ARGV[9]) then return ${LATE} end
local bar = redis.call('GET', KEYS[7])
if bar then
  local sid, start = string.match(bar, '^(.*):(%d+)$')
  if sid == ARGV[11] or tonumber(ARGV[12]) <= tonumber(start) then return ${REMOVED} end
end
if full(KEYS[1], ARGV[1], ARGV[13]) then return ${ROOM_FULL} end
local session = claimSession(KEYS[5], KEYS[3], ARGV[11], ARGV[12], ARGV[10], true, ARGV[7])
if session == 'superseded' then return ${SUPERSEDED} end
local prev = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('PERSIST', KEYS[3])
redis.call('PERSIST', KEYS[5])
if prev then
  local entry = cjson.decode(prev)
  if entry.o ~= ARGV[8] or session == 'new' then
    if session == 'new' then entry = cjson.decode(ARGV[2]) end
    entry.o = ARGV[8]
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
    redis.call('SPUBLISH', ARGV[7], '{"k":"moved","o":"' .. ARGV[8] .. '"}')
  end
  return false
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PERSIST', KEYS[2])
redis.call('PERSIST', KEYS[4])
redis.call('PERSIST', KEYS[6])
return append(KEYS[2], KEYS[4], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], 'r', roomEpoch(KEYS[6], ARGV[10]), '')
`;

export type JoinReply = { joined: string } | 'present' | 'late' | 'superseded' | 'full' | 'removed';

export const join = new LuaScript('sbJoin', {
  keys: ['roster', 'log', 'mailbox', 'seq', 'meta', 'roomEpoch', 'removed'],
  args: ['peerId', 'rosterEntry', 'event', 'maxlen', 'ttlMs', 'roomChannel', 'peerChannel', 'owner', 'deadlineMs', 'epochCandidate', 'sid', 'sessionStartMs', 'maxPeers'],
  lua: JOIN_LUA,
  decode: (value): JoinReply => {
    if (typeof value === 'string') return { joined: value };
    if (value === null) return 'present';
    if (value === LATE) return 'late';
    if (value === SUPERSEDED) return 'superseded';
    if (value === ROOM_FULL) return 'full';
    if (value === REMOVED) return 'removed';
    return reply.unexpected(value, 'join');
  },
});

/**
 * Keys and arguments in the order of {@link leave}'s lists (`requiredOwner` '' for any).
 * Returns { PeerDisconnected entry id, the instance that owned the peer }, or nil. The mailbox (and its meta) expire after the
 * retention; the room's log, sequence and epoch too once the roster is empty.
 */
const LEAVE_LUA = `${NOW_MS}${APPEND}${EPOCHS}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local entry = cjson.decode(current)
if ARGV[3] ~= '' and entry.o ~= ARGV[3] then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
local event = cjson.encode({ kind = 'PeerDisconnected', peer = { id = entry.id, name = entry.name }, reason = ARGV[2] })
local id = append(KEYS[2], KEYS[4], event, ARGV[4], tonumber(ARGV[5]), ARGV[6], 'r', roomEpoch(KEYS[6], ARGV[7]), '')
if tonumber(ARGV[8]) > 0 then
  local owner = redis.call('HMGET', KEYS[5], 's', 't')
  if owner[1] then redis.call('SET', KEYS[7], owner[1] .. ':' .. owner[2], 'PX', ARGV[8]) end
  redis.call('SPUBLISH', ARGV[9], '{"k":"removed"}')
end
redis.call('PEXPIRE', KEYS[3], ARGV[5])
redis.call('PEXPIRE', KEYS[5], ARGV[5])
local last = redis.call('HLEN', KEYS[1]) == 0
if last then
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  redis.call('PEXPIRE', KEYS[4], ARGV[5])
  redis.call('PEXPIRE', KEYS[6], ARGV[5])
end
return { id, entry.o, last and 1 or 0, event }
`;

/**
 * Null when the peer was not in the roster; else the PeerDisconnected appended (its id and JSON), the
 * instance that owned the peer, and whether it was the room's last. With `barMs` > 0 (the backend
 * removed the peer) the session that owns the peer id may not join again for barMs (`removed` holds
 * it), and the peer's live subscribers, on whichever instance, are told to end.
 */
export type LeaveReply = { id: string; owner: string; last: boolean; event: string } | null;

export const leave = new LuaScript('sbLeave', {
  keys: ['roster', 'log', 'mailbox', 'seq', 'meta', 'roomEpoch', 'removed'],
  args: ['peerId', 'reason', 'requiredOwner', 'maxlen', 'ttlMs', 'roomChannel', 'epochCandidate', 'barMs', 'peerChannel'],
  lua: LEAVE_LUA,
  decode: (value): LeaveReply => {
    if (value === null) return null;
    const [id, owner, last, event] = reply.array(value, 'leave');
    return { id: reply.string(id, 'leave id'), owner: reply.string(owner, 'leave owner'), last: reply.number(last, 'leave last') === 1, event: reply.string(event, 'leave event') };
  },
});

/**
 * Keys and arguments in the order of {@link restore}'s lists. Puts a live peer back after Redis lost its data, with its session; silent.
 */
const RESTORE_LUA = `
redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2])
if redis.call('HEXISTS', KEYS[2], 's') == 0 then redis.call('HSET', KEYS[2], 's', ARGV[3], 't', ARGV[4]) end
redis.call('HSETNX', KEYS[2], 'e', ARGV[5])
return 1
`;

export const restore = new LuaScript('sbRestore', {
  keys: ['roster', 'meta'],
  args: ['peerId', 'rosterEntry', 'sid', 'sessionStartMs', 'epochCandidate'],
  lua: RESTORE_LUA,
  decode: (value): void => {
    if (value !== 1) reply.unexpected(value, 'restore');
  },
});

/** Keys and arguments: {@link claim}'s lists. Returns 1 when the id was free and is now reserved. */
const CLAIM_LUA = `${CAPACITY}
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if full(KEYS[1], ARGV[1], ARGV[3]) then return ${ROOM_FULL} end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 1 end
return 0
`;

export const claim = new LuaScript('sbClaim', {
  keys: ['roster', 'claim'],
  args: ['peerId', 'ttlMs', 'maxPeers'],
  lua: CLAIM_LUA,
  /** 'full' when the roster is at maxPeers. */
  decode: (value): 'claimed' | 'taken' | 'full' => {
    const n = reply.number(value, 'claim');
    return n === 1 ? 'claimed' : n === ROOM_FULL ? 'full' : 'taken';
  },
});

/**
 * Opens several subscribers of one room in one atomic step: one read of the roster and of the room
 * log's state for all of them (a join storm's subscribers arrive together; read once per subscriber,
 * the roster made the storm n² in Redis and timed its commands out). Keys: the room's, then each
 * subscriber's mailbox and meta; arguments: the run's, then each subscriber's (`after*` '' for no
 * cursor). Returns { roster, opened… }: the roster once, then per subscriber { resumed, mailboxEpoch,
 * mailboxFrom, logEpoch, logFrom, mailboxEntries, logEntries } — both stream positions taken in the
 * same step as the roster, and what both streams hold after the cursor — or { ${SUPERSEDED} } when a
 * newer session holds its peer id.
 * Mode 'open' (a client's cursor): a cursor of another epoch is not resumed. Mode 'heal' (a live
 * subscriber catching up after a reconnect): a stream of a newer epoch was recreated while the
 * subscriber was live, so everything in it is new to it.
 */
const OPEN_LUA = `${NOW_MS}${EVICT}${EPOCHS}${SESSION}
local ttl = tonumber(ARGV[1])
local heal = ARGV[2] == 'heal'
local function parse(id)
  local ms, seq = string.match(id, '^(%d+)-(%d+)$')
  return tonumber(ms), tonumber(seq)
end
local function cmp(a, b)
  local am, as = parse(a)
  local bm, bs = parse(b)
  if am ~= bm then return am < bm and -1 or 1 end
  if as ~= bs then return as < bs and -1 or 1 end
  return 0
end
local function state(key, meta)
  if redis.call('EXISTS', key) == 0 then return false, '0-0', '0-0' end
  evict(key, math.huge, ttl, meta)
  local info = redis.call('XINFO', 'STREAM', key)
  local last, deleted = '0-0', '0-0'
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
    if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
  end
  return true, last, deleted
end
-- Whether every entry after the cursor is still there; and where to replay from, and the stream's end.
local function position(exists, last, deleted, current, epoch, after)
  if after == '' then return false, last, last end
  if epoch ~= current then
    if heal then return deleted == '0-0', '0-0', last end
    return false, last, last
  end
  if string.match(after, '^%d+%-%d+$') == nil then return false, last, last end
  if not exists then return after == '0-0', after, last end
  return cmp(after, deleted) >= 0 and cmp(after, last) <= 0, after, last
end
local rEpoch = roomEpoch(KEYS[3], ARGV[3])
local logExists, logLast, logDeleted = state(KEYS[2], false)
local replies = { redis.call('HGETALL', KEYS[1]) }
for n = 0, (#KEYS - 3) / 2 - 1 do
  local mailbox, meta = KEYS[4 + 2 * n], KEYS[5 + 2 * n]
  local a = 4 + 8 * n
  local session = claimSession(meta, mailbox, ARGV[a + 4], ARGV[a + 5], ARGV[a + 6], not heal, ARGV[a + 7])
  if session == 'superseded' then
    replies[#replies + 1] = { ${SUPERSEDED} }
  else
    local mEpoch = mailboxEpoch(meta, ARGV[a + 6])
    local mExists, mLast, mDeleted = state(mailbox, meta)
    local mOk, mFrom, mEnd = position(mExists, mLast, mDeleted, mEpoch, ARGV[a], ARGV[a + 1])
    local rOk, rFrom, rEnd = position(logExists, logLast, logDeleted, rEpoch, ARGV[a + 2], ARGV[a + 3])
    if mOk and rOk then
      replies[#replies + 1] = { 1, mEpoch, mFrom, rEpoch, rFrom,
        redis.call('XRANGE', mailbox, '(' .. mFrom, '+'),
        redis.call('XRANGE', KEYS[2], '(' .. rFrom, '+') }
    else
      replies[#replies + 1] = { 0, mEpoch, mEnd, rEpoch, rEnd, {}, {} }
    end
  end
end
return replies
`;

/** A stream entry as XRANGE returns it. */
export type StreamEntry = [id: string, fields: string[]];

/** One stream as OPEN found it: its epoch, the position to replay from, and the entries after it. */
export interface OpenedStream {
  epoch: string;
  from: string;
  entries: StreamEntry[];
}

/** One subscriber's part of an OPEN. */
export type OpenReply = { kind: 'superseded' } | { kind: 'opened'; resumed: boolean; mailbox: OpenedStream; log: OpenedStream };

/** An OPEN run: the roster (flat HGETALL reply), read once, and each subscriber's part in the order asked. */
export interface OpenRun {
  roster: string[];
  opened: OpenReply[];
}

function streamEntries(value: unknown, what: string): StreamEntry[] {
  return reply.array(value, what).map((entry) => {
    const [id, fields] = reply.array(entry, what);
    return [reply.string(id, what), reply.strings(fields, what)];
  });
}

function openReply(value: unknown): OpenReply {
  const parts = reply.array(value, 'open');
  if (parts.length === 1 && parts[0] === SUPERSEDED) return { kind: 'superseded' };
  if (parts.length !== 7) return reply.unexpected(value, 'open');
  const [resumed, mailboxEpoch, mailboxFrom, logEpoch, logFrom, mailbox, log] = parts;
  return {
    kind: 'opened',
    resumed: reply.number(resumed, 'open resumed') === 1,
    mailbox: { epoch: reply.string(mailboxEpoch, 'open'), from: reply.string(mailboxFrom, 'open'), entries: streamEntries(mailbox, 'open mailbox') },
    log: { epoch: reply.string(logEpoch, 'open'), from: reply.string(logFrom, 'open'), entries: streamEntries(log, 'open log') },
  };
}

export const open = new LuaScript('sbOpen', {
  keys: ['roster', 'log', 'roomEpoch'],
  args: ['ttlMs', 'mode', 'roomEpochCandidate'],
  each: {
    keys: ['mailbox', 'meta'],
    args: ['mailboxEpoch', 'afterMailbox', 'logEpoch', 'afterLog', 'sid', 'sessionStartMs', 'mailboxEpochCandidate', 'peerChannel'],
  },
  lua: OPEN_LUA,
  decode: (value): OpenRun => {
    const [roster, ...opened] = reply.array(value, 'open');
    return { roster: reply.strings(roster, 'open roster'), opened: opened.map(openReply) };
  },
});
