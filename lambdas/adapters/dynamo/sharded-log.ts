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
  /** How many items the shard's next read evaluates: doubled after a read that kept none. */
  pageLimit: number;
}

/**
 * The most items one read of one shard evaluates. A filter that keeps few items makes
 * reads come back empty; doubling the next read's limit each time gets through a sparse
 * stretch in a few reads instead of one per handful of items.
 */
const MAX_SHARD_PAGE = 1_000;
/**
 * The most reads of all shards together in one merge: 12 a shard. A page that reaches it
 * ends with what it has, and says where to go on from (`resumeAfter`, when it has nothing),
 * so that a filter matching nothing in a long log costs a bounded time and price per page.
 */
export const MAX_READS_PER_SHARD = 12;

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
}): Promise<{
  readonly items: Item[];
  readonly more: boolean;
  /** When a page ends with no items but more to read (the read limit): where to go on from. */
  readonly resumeAfter?: string;
}> {
  const { sortKeyOf, descending } = options;
  const comesBefore = (a: string, b: string) => (descending ? a > b : a < b);
  // Each shard holds about 1/shards of the log: a page of that much, plus one, mostly suffices.
  const perShardLimit = Math.ceil(options.limit / options.shards) + 1;
  const cursors: ShardCursor<Item>[] = Array.from({ length: options.shards }, (_, shard) => ({
    shard,
    buffer: [],
    next: options.start,
    done: false,
    pageLimit: perShardLimit,
  }));
  let readsLeft = options.shards * MAX_READS_PER_SHARD;
  const read = async (cursor: ShardCursor<Item>) => {
    readsLeft -= 1;
    const page = await options.readPage(cursor.shard, cursor.next, cursor.pageLimit);
    cursor.buffer.push(...page.items);
    cursor.next = page.lastSortKey;
    cursor.done = page.lastSortKey === undefined;
    if (page.items.length === 0) cursor.pageLimit = Math.min(cursor.pageLimit * 2, MAX_SHARD_PAGE);
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
      if (readsLeft < unsure.length) {
        // Every shard is read through the unsure shard that is least far, and nothing before it is left.
        const resumeAfter = unsure
          .map((cursor) => cursor.next as string)
          .reduce((least, next) => (comesBefore(next, least) ? next : least));
        return items.length > 0 ? { items, more: true } : { items, more: true, resumeAfter };
      }
      await Promise.all(unsure.map(read));
      continue;
    }
    if (first === undefined) break;
    items.push(first.buffer.shift() as Item);
  }
  return { items, more: cursors.some((cursor) => cursor.buffer.length > 0 || !cursor.done) };
}
