import { parseRoster, RosterMemo } from '../src/broker/redis-roster';

/** A flat HGETALL reply (field, value, …) of entries given as [id, join ms, owner]. */
const flat = (entries: Array<[string, number, string?]>): string[] => entries.flatMap(([id, j, o = 'i1']) => [id, JSON.stringify({ id, name: id === 'n' ? 'Named' : null, o, j })]);
const ids = (peers: Array<{ id: string }>): string[] => peers.map((p) => p.id);

describe('RosterMemo', () => {
  it('answers every read as parseRoster would, in join order, however the roster changed', () => {
    const memo = new RosterMemo();
    const reads: Array<Array<[string, number, string?]>> = [
      [['c', 3], ['a', 1], ['b', 2]],
      [['c', 3], ['a', 1], ['b', 2], ['e', 5], ['d', 0]],
      [['c', 3], ['b', 2], ['e', 5], ['d', 0]],
      [['c', 3], ['b', 2, 'i2'], ['e', 5], ['d', 0], ['n', 4]],
      [],
      [['a', 9]],
    ];
    for (const entries of reads) {
      const reply = flat(entries);
      expect(memo.read('room', reply)).toEqual(parseRoster(reply).map(({ id, name }) => ({ id, name })));
    }
    expect(ids(memo.read('room', flat([['x', 2], ['y', 1]])))).toEqual(['y', 'x']);
  });

  it('answers the same list while the roster stays the same, and keeps rooms apart', () => {
    const memo = new RosterMemo();
    const first = memo.read('r1', flat([['a', 1], ['b', 2]]));
    expect(memo.read('r1', flat([['b', 2], ['a', 1]]))).toBe(first);
    expect(ids(memo.read('r2', flat([['z', 1]])))).toEqual(['z']);
    expect(memo.read('r1', flat([['a', 1], ['b', 2]]))).toBe(first);
    expect(memo.read('r1', flat([['a', 1], ['b', 2, 'i2']]))).not.toBe(first);
  });
});
