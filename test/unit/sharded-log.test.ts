import { describe, expect, it } from 'vitest';
import { MAX_READS_PER_SHARD, mergeShards } from '../../lambdas/adapters/dynamo/sharded-log';

/** A log of `count` keys spread over `shards`, read back by pages that end early at random (a filter, a 1 MB cut). */
function aShardedLog(count: number, shards: number, seed: number, kept = 0.7) {
  let state = seed;
  const random = () => {
    state = (state * 1_103_515_245 + 12_345) % 2 ** 31;
    return state / 2 ** 31;
  };
  const keys = Array.from({ length: count }, (_, index) => `k${String(index).padStart(5, '0')}`);
  const byShard = Array.from({ length: shards }, () => [] as string[]);
  for (const key of keys) byShard[Math.floor(random() * shards)]?.push(key);
  // What a filter expression leaves out: read, counted, never returned.
  const filtered = new Set(keys.filter(() => random() >= kept));
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

/**
 * Reads a log page after page, 25 items a page, as a caller with a cursor does: each page
 * goes on after the last item of the one before, or where an empty page said to.
 */
async function readEveryPage(log: ReturnType<typeof aShardedLog>, descending: boolean) {
  const read: string[] = [];
  const pages: { readonly reads: number; readonly items: number }[] = [];
  let start: string | undefined;
  while (pages.length < 1000) {
    let reads = 0;
    const { items, more, resumeAfter } = await mergeShards<string>({
      shards: 16,
      start,
      limit: 25,
      descending,
      sortKeyOf: (key) => key,
      readPage: (shard, after, limit) => {
        reads += 1;
        return log.readPage(shard, after, limit, descending);
      },
    });
    read.push(...items);
    pages.push({ reads, items: items.length });
    if (!more) break;
    const next = items.at(-1) ?? resumeAfter;
    expect(next, 'a page that says more says where to go on from').toBeDefined();
    if (next !== undefined && start !== undefined) {
      expect(descending ? next < start : next > start, 'further on than its start').toBe(true);
    }
    start = next;
  }
  return { read, pages };
}

describe('merging the shards of a log', () => {
  it.each([false, true])(
    'returns every key the filter keeps, once, in order, page after page (descending: %s)',
    async (descending) => {
      for (const seed of [1, 2, 3, 4, 5]) {
        const log = aShardedLog(300, 16, seed);
        const { read } = await readEveryPage(log, descending);
        expect(read).toEqual(descending ? [...log.keys].reverse() : log.keys);
      }
    },
  );

  it.each([false, true])(
    'gets through a filter that keeps 1 item in 1,000 in few reads, each page within its read limit (descending: %s)',
    async (descending) => {
      const log = aShardedLog(40_000, 16, 11, 0.001);
      const { read, pages } = await readEveryPage(log, descending);
      expect(read).toEqual(descending ? [...log.keys].reverse() : log.keys);
      expect(pages.every((page) => page.reads <= 16 * MAX_READS_PER_SHARD)).toBe(true);
      // 2,500 items a shard, the page limit doubling from 3 to 1,000 after each empty read
      // (the log's random early page ends waste some): a few hundred reads, not thousands.
      expect(pages.reduce((sum, page) => sum + page.reads, 0)).toBeLessThan(1_000);
    },
  );

  it('ends a page over a filter that keeps nothing at its read limit, saying where the next goes on from', async () => {
    const { read, pages } = await readEveryPage(aShardedLog(100_000, 16, 13, 0), false);
    expect(read).toEqual([]);
    expect(pages.length).toBeGreaterThan(1);
    expect(pages.every((page) => page.reads <= 16 * MAX_READS_PER_SHARD)).toBe(true);
  });

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
