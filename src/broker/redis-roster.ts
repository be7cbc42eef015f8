import type { PeerInfo } from '../events';

/** A roster hash value: one peer of a room. */
export interface RosterEntry {
  id: string;
  name: string | null;
  /** Owning instance. */
  o: string;
  /** Join time, for roster order. */
  j: number;
}

/** A flat HGETALL reply of a roster (field, value, …), parsed, in join order. */
export function parseRoster(flat: string[]): RosterEntry[] {
  const entries: RosterEntry[] = [];
  for (let i = 1; i < flat.length; i += 2) entries.push(parseEntry(flat[i] ?? 'null'));
  return entries.sort(byJoin);
}

function parseEntry(raw: string): RosterEntry {
  const entry = JSON.parse(raw) as RosterEntry;
  return { ...entry, name: entry.name ?? null };
}

const byJoin = (a: { j: number }, b: { j: number }): number => a.j - b.j;

/** Rooms whose last roster read is kept; past it the least recently read is forgotten. */
const MAX_REMEMBERED_ROOMS = 64;

interface Remembered {
  raw: Map<string, string>;
  peers: Array<PeerInfo & { j: number }>;
  list: PeerInfo[];
}

/**
 * The last roster read of each room, parsed: a read that finds the same entries answers the same
 * list, and one that finds a few new entries parses and places only those. A join storm reads a
 * room's roster once per shared OPEN run, hundreds of times, and each time it is the last one plus a
 * few joins: parsed and sorted whole each time it was a twentieth of the gateway's CPU at 2,000 peers.
 * The lists it answers are shared: read-only.
 */
export class RosterMemo {
  private readonly rooms = new Map<string, Remembered>();

  /** The peers of a flat HGETALL reply of `room`'s roster, in join order. */
  read(room: string, flat: string[]): PeerInfo[] {
    const before = this.rooms.get(room);
    this.rooms.delete(room);
    const raw = new Map<string, string>();
    const added: Array<PeerInfo & { j: number }> = [];
    let kept = 0;
    for (let i = 0; i + 1 < flat.length; i += 2) {
      const id = flat[i] ?? '';
      const value = flat[i + 1] ?? 'null';
      raw.set(id, value);
      if (before?.raw.get(id) === value) kept++;
      else {
        const { name, j } = parseEntry(value);
        added.push({ id, name, j });
      }
    }
    let remembered: Remembered;
    if (before && added.length === 0 && kept === before.raw.size) {
      remembered = before;
    } else {
      const stayed = before ? before.peers.filter((p) => before.raw.get(p.id) === raw.get(p.id)) : [];
      const peers = merge(stayed, added.sort(byJoin));
      remembered = { raw, peers, list: peers.map(({ id, name }) => ({ id, name })) };
    }
    this.rooms.set(room, remembered);
    if (this.rooms.size > MAX_REMEMBERED_ROOMS) this.rooms.delete(this.rooms.keys().next().value ?? '');
    return remembered.list;
  }
}

/** Two lists in join order as one (the first's entries first among equal join times). */
function merge<T extends { j: number }>(a: T[], b: T[]): T[] {
  if (b.length === 0) return a;
  const out: T[] = [];
  let i = 0;
  let k = 0;
  while (i < a.length || k < b.length) {
    const x = a[i];
    const y = b[k];
    if (y === undefined || (x !== undefined && x.j <= y.j)) {
      out.push(x as T);
      i++;
    } else {
      out.push(y);
      k++;
    }
  }
  return out;
}
