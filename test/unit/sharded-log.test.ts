import { describe, expect, it } from 'vitest';
import { mergeShards } from '../../lambdas/adapters/dynamo/sharded-log';

/** A log of `count` keys spread over `shards`, read back by pages that end early at random (a filter, a 1 MB cut). */
function aShardedLog(count: number, shards: number, seed: number) {
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const keys = Array.from({ length: count }, (_, index) => `k${String(index).padStart(5, '0')}`);
  const byShard = Array.from({ length: shards }, () => [] as string[]);
  for (const key of keys) byShard[Math.floor(random() * shards)]?.push(key);
  // What a filter expression leaves out: read, counted, never returned.
  const filtered = new Set(keys.filter(() => random() < 0.3));
  const readPage = async (shard: number, after: string | undefined, limit: number, descending: boolean) => {
    const ordered = descending ? [...(byShard[shard] ?? [])].reverse() : (byShard[shard] ?? []);
    const rest = ordered.filter((key) => after === undefined || (descending ? key < after : key > after));
    // A page may stop before the limit, even with nothing in it, and still say where it stopped.
    const taken = Math.min(limit, Math.floor(random() * (limit + 1)));
    const evaluated = rest.slice(0, Math.max(taken, Math.min(rest.length, 1)));
    const items = evaluated.filter((key) => !filtered.has(key));
    const lastSortKey = evaluated.length < rest.length ? evaluated.at(-1) : undefined;
    return { items, lastSortKey };
  };
  return { keys: keys.filter((key) => !filtered.has(key)), readPage };
}

describe('merging the shards of a log', () => {
  it.each([false, true])(
    'returns every key the filter keeps, once, in order, page after page (descending: %s)',
    async (descending) => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const log = aShardedLog(300, 16, seed);
        const read: string[] = [];
        let start: string | undefined;
        for (let page = 0; page < 1000; page += 1) {
          const { items, more } = await mergeShards<string>({
            shards: 16,
            start,
            limit: 25,
            descending,
            sortKeyOf: (key) => key,
            readPage: (shard, after, limit) => log.readPage(shard, after, limit, descending),
          });
          read.push(...items);
          start = read.at(-1) ?? start;
          if (!more) break;
          expect(items.length, 'a page that says more is not empty').toBeGreaterThan(0);
        }
        expect(read).toEqual(descending ? [...log.keys].reverse() : log.keys);
      }
    },
  );

  it('stops at the limit and says more remain', async () => {
    const log = aShardedLog(100, 4, 9);
    const readAll = (shard: number, after: string | undefined, limit: number) =>
      log.readPage(shard, after, limit, false);
    const { items, more } = await mergeShards<string>({
      shards: 4,
      start: undefined,
      limit: 10,
      descending: false,
      sortKeyOf: (key) => key,
      readPage: readAll,
    });
    expect(items).toHaveLength(10);
    expect(more).toBe(true);
  });
});
