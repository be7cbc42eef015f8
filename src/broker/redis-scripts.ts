/**
 * Lua scripts of the Redis broker. Each runs atomically, so "store in the log" and "publish to the
 * live subscribers" can never be split by a crash or a concurrent writer, and a Welcome's roster is
 * taken at exactly the stream position the subscriber starts from.
 *
 * Every key of one room shares the `{room}` hash tag, so each script touches one Redis Cluster slot
 * (the per-instance index set is the one exception; see README "Redis Cluster").
 */

const NOW_MS = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
`;

/**
 * Evicts a stream's oldest entries past `maxlen` and older than `ttl`. XDEL, unlike XTRIM, records
 * `max-deleted-entry-id`, which is how OPEN tells a cursor whose events are gone.
 */
const EVICT = `
local function evict(key, maxlen, ttl)
  local excess = redis.call('XLEN', key) - maxlen
  if excess > 0 then
    for _, e in ipairs(redis.call('XRANGE', key, '-', '+', 'COUNT', excess)) do redis.call('XDEL', key, e[1]) end
  end
  for _, e in ipairs(redis.call('XRANGE', key, '-', tostring(now - ttl), 'COUNT', 128)) do redis.call('XDEL', key, e[1]) end
end
`;

/**
 * Appends to a stream with the room's next sequence number (which orders a mailbox against its room
 * log: their stream ids are per stream), evicts, and publishes the entry on the channel.
 */
const APPEND = `${EVICT}
local function append(key, seqKey, body, maxlen, ttl, channel, stream)
  local q = redis.call('INCR', seqKey)
  local id = redis.call('XADD', key, '*', 'e', body, 'q', q)
  evict(key, tonumber(maxlen), ttl)
  redis.call('PUBLISH', channel, '{"i":"' .. id .. '","q":' .. q .. ',"s":"' .. stream .. '","e":' .. body .. '}')
  return id
end
`;

/**
 * KEYS: roster, mailbox, seq. ARGV: to, body, maxlen, ttlMs, channel, from.
 * Returns the entry id; 0 when the sender is not in the room; 1 when the recipient is not.
 */
export const SEND = `${NOW_MS}${APPEND}
if redis.call('HEXISTS', KEYS[1], ARGV[6]) == 0 then return 0 end
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 0 then return 1 end
return append(KEYS[2], KEYS[3], ARGV[2], ARGV[3], tonumber(ARGV[4]), ARGV[5], 'm')
`;

/**
 * KEYS: roster, log, mailbox, owner index, seq. ARGV: peerId, rosterEntry, event, maxlen, ttlMs,
 * roomChannel, peerChannel, owner, indexMember, indexPrefix.
 * Returns the PeerConnected entry id, or nil when the peer was already in the roster (then its owner
 * moves to this instance and the previous owner is told on the peer's channel).
 */
export const JOIN = `${NOW_MS}${APPEND}
local prev = redis.call('HGET', KEYS[1], ARGV[1])
redis.call('PERSIST', KEYS[3])
redis.call('SADD', KEYS[4], ARGV[9])
if prev then
  local entry = cjson.decode(prev)
  if entry.o ~= ARGV[8] then
    redis.call('SREM', ARGV[10] .. entry.o, ARGV[9])
    entry.o = ARGV[8]
    redis.call('HSET', KEYS[1], ARGV[1], cjson.encode(entry))
    redis.call('PUBLISH', ARGV[7], '{"k":"moved","o":"' .. ARGV[8] .. '"}')
  end
  return false
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
redis.call('PERSIST', KEYS[2])
redis.call('PERSIST', KEYS[5])
return append(KEYS[2], KEYS[5], ARGV[3], ARGV[4], tonumber(ARGV[5]), ARGV[6], 'r')
`;

/**
 * KEYS: roster, log, mailbox, seq. ARGV: peerId, reason, requiredOwner ('' for any), maxlen, ttlMs,
 * roomChannel, indexMember, indexPrefix. Returns the PeerDisconnected entry id, or nil.
 */
export const LEAVE = `${NOW_MS}${APPEND}
local current = redis.call('HGET', KEYS[1], ARGV[1])
if not current then return false end
local entry = cjson.decode(current)
if ARGV[3] ~= '' and entry.o ~= ARGV[3] then return false end
redis.call('HDEL', KEYS[1], ARGV[1])
redis.call('SREM', ARGV[8] .. entry.o, ARGV[7])
local event = cjson.encode({ kind = 'PeerDisconnected', peer = { id = entry.id, name = entry.name }, reason = ARGV[2] })
local id = append(KEYS[2], KEYS[4], event, ARGV[4], tonumber(ARGV[5]), ARGV[6], 'r')
redis.call('PEXPIRE', KEYS[3], ARGV[5])
if redis.call('HLEN', KEYS[1]) == 0 then
  redis.call('PEXPIRE', KEYS[2], ARGV[5])
  redis.call('PEXPIRE', KEYS[4], ARGV[5])
end
return id
`;

/** KEYS: roster, owner index. ARGV: peerId, rosterEntry, indexMember. Puts a live peer back after Redis lost its data; silent. */
export const RESTORE = `
if redis.call('HSETNX', KEYS[1], ARGV[1], ARGV[2]) == 1 then redis.call('SADD', KEYS[2], ARGV[3]) end
return 1
`;

/** KEYS: roster, claim. ARGV: peerId, ttlMs. Returns 1 when the id was free and is now reserved. */
export const CLAIM = `
if redis.call('HEXISTS', KEYS[1], ARGV[1]) == 1 then return 0 end
if redis.call('SET', KEYS[2], '1', 'NX', 'PX', ARGV[2]) then return 1 end
return 0
`;

/**
 * KEYS: roster, log, mailbox. ARGV: afterMailbox, afterLog ('' for none), ttlMs.
 * Returns { resumed, rosterFlat, mailboxFrom, logFrom, mailboxEntries, logEntries }: the roster and
 * the stream positions taken in one atomic step, and what both streams hold after the cursor.
 */
export const OPEN = `${NOW_MS}${EVICT}
local ttl = tonumber(ARGV[3])
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
local function state(key)
  if redis.call('EXISTS', key) == 0 then return false, '0-0', '0-0' end
  evict(key, math.huge, ttl)
  local info = redis.call('XINFO', 'STREAM', key)
  local last, deleted = '0-0', '0-0'
  for i = 1, #info, 2 do
    if info[i] == 'last-generated-id' then last = info[i + 1] end
    if info[i] == 'max-deleted-entry-id' then deleted = info[i + 1] end
  end
  return true, last, deleted
end
local function covers(key, after)
  local exists, last, deleted = state(key)
  if after == '' then return false, last end
  if not exists then return after == '0-0', last end
  return cmp(after, deleted) >= 0 and cmp(after, last) <= 0, last
end
local mOk, mLast = covers(KEYS[3], ARGV[1])
local rOk, rLast = covers(KEYS[2], ARGV[2])
local roster = redis.call('HGETALL', KEYS[1])
if mOk and rOk then
  return { 1, roster, ARGV[1], ARGV[2],
    redis.call('XRANGE', KEYS[3], '(' .. ARGV[1], '+'),
    redis.call('XRANGE', KEYS[2], '(' .. ARGV[2], '+') }
end
return { 0, roster, mLast, rLast, {}, {} }
`;
