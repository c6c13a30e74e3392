/**
 * An application's message log is spread over several partition keys (shards), so that one
 * busy application is not held to what one partition takes (message-store.ts says how
 * many and why). Within a shard its items sort by id, and ids sort the same way in every
 * shard, so the log in id order is a merge of the shards' queries: this module merges
 * them, reading each shard a page at a time and only as far as the merged order needs.
 */

/** One read of one shard: its next items in order, and how far it read (undefined: to the end). */
export interface ShardPage<Item> {
  readonly items: readonly Item[];
  readonly lastSortKey: string | undefined;
}

interface ShardCursor<Item> {
  readonly shard: number;
  readonly buffer: Item[];
  /** Where the shard's next read starts (exclusive); the caller's start before the first read. */
  next: string | undefined;
  done: boolean;
}

/**
 * Up to `limit` items of all shards together, in sort-key order (descending when asked),
 * from after `start` (exclusive) or the beginning of the range, and whether any remain.
 * An item is taken only when no shard can still hold one before it: a shard not read to
 * the end, whose reading stopped short of the item, is read further first. A shard's read
 * may end early (a filter, DynamoDB's 1 MB page) without losing anything.
 */
export async function mergeShards<Item>(options: {
  readonly shards: number;
  readonly start: string | undefined;
  readonly limit: number;
  readonly descending: boolean;
  readonly sortKeyOf: (item: Item) => string;
  readonly readPage: (shard: number, after: string | undefined, limit: number) => Promise<ShardPage<Item>>;
}): Promise<{ readonly items: Item[]; readonly more: boolean }> {
  const { sortKeyOf, descending } = options;
  const comesBefore = (a: string, b: string) => (descending ? a > b : a < b);
  // Each shard holds about 1/shards of the log: a page of that much, plus one, mostly suffices.
  const perShardLimit = Math.ceil(options.limit / options.shards) + 1;
  const cursors: ShardCursor<Item>[] = Array.from({ length: options.shards }, (_, shard) => ({
    shard,
    buffer: [],
    next: options.start,
    done: false,
  }));
  const read = async (cursor: ShardCursor<Item>) => {
    const page = await options.readPage(cursor.shard, cursor.next, perShardLimit);
    cursor.buffer.push(...page.items);
    cursor.next = page.lastSortKey;
    cursor.done = page.lastSortKey === undefined;
  };
  await Promise.all(cursors.map(read));

  const items: Item[] = [];
  while (items.length < options.limit) {
    let first: ShardCursor<Item> | undefined;
    for (const cursor of cursors) {
      const head = cursor.buffer[0];
      if (head === undefined) continue;
      const firstHead = first?.buffer[0];
      if (firstHead === undefined || comesBefore(sortKeyOf(head), sortKeyOf(firstHead))) first = cursor;
    }
    const firstHead = first?.buffer[0];
    // Shards read empty but not to their end, that may still hold an item before the first head.
    const unsure = cursors.filter(
      (cursor) =>
        !cursor.done &&
        cursor.buffer.length === 0 &&
        (firstHead === undefined ||
          cursor.next === undefined ||
          comesBefore(cursor.next, sortKeyOf(firstHead))),
    );
    if (unsure.length > 0) {
      await Promise.all(unsure.map(read));
      continue;
    }
    if (first === undefined) break;
    items.push(first.buffer.shift() as Item);
  }
  return { items, more: cursors.some((cursor) => cursor.buffer.length > 0 || !cursor.done) };
}
