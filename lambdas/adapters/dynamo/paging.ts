import type { QueryCommandInput, ScanCommandInput } from '@aws-sdk/lib-dynamodb';
import { MalformedRequestError } from '../../core/errors';
import type { Page } from '../../ports';
import type { Documents } from './documents';

type Key = Record<string, unknown>;

/** Cursors are opaque to callers: base64url of the key to continue after. */
export function encodeCursor(key: Key): string {
  return Buffer.from(JSON.stringify(key), 'utf8').toString('base64url');
}

/**
 * Decodes a cursor and checks that it continues this very query: a key from another
 * partition, with other attributes, or outside the query's sort-key range would make
 * DynamoDB refuse the request, and a bad cursor is the caller's mistake (400), never a 500.
 */
export function decodeCursor(
  cursor: string | undefined,
  expected: Readonly<Record<string, string>>,
  keyNames: readonly string[],
  within?: { readonly name: string; readonly lowest: string; readonly highest: string },
): Key | undefined {
  if (cursor === undefined) return undefined;
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch (cause) {
    throw new MalformedRequestError('The cursor is not valid.', { cause });
  }
  const valid =
    typeof key === 'object' &&
    key !== null &&
    Object.keys(key).length === keyNames.length &&
    // Every paginated key of Hookpost's tables is a string of at most DynamoDB's 1 KiB sort-key size.
    keyNames.every((name) => {
      const value = (key as Key)[name];
      return typeof value === 'string' && value.length > 0 && value.length <= 1024;
    }) &&
    Object.entries(expected).every(([name, value]) => (key as Key)[name] === value) &&
    (within === undefined || isBetween((key as Key)[within.name] as string, within.lowest, within.highest));
  if (!valid) throw new MalformedRequestError('The cursor does not belong to this list.');
  return key as Key;
}

function isBetween(value: string, lowest: string, highest: string): boolean {
  return value >= lowest && value <= highest;
}

/** The sort-key range of `begins_with(sk, prefix)`, for checking a cursor against it. */
export function prefixRange(name: string, prefix: string) {
  return { name, lowest: prefix, highest: `${prefix}\uffff` };
}

const MAX_QUERIES_PER_PAGE = 8;

/**
 * Reads one page of a query. A filter makes DynamoDB return fewer items than asked for,
 * so this reads on (a bounded number of times) to fill the page, and continues after the
 * last item it returns.
 */
export async function queryPage<Item>(
  doc: Documents,
  input: QueryCommandInput,
  page: { readonly limit: number; readonly startKey: Key | undefined; readonly keyNames: readonly string[] },
  decode: (item: Record<string, unknown>) => Item,
): Promise<Page<Item>> {
  const items: Record<string, unknown>[] = [];
  let startKey = page.startKey;
  for (let round = 0; round < MAX_QUERIES_PER_PAGE; round++) {
    const output = await doc.query({
      ...input,
      Limit: page.limit - items.length + 1,
      ExclusiveStartKey: startKey,
    });
    items.push(...(output.Items ?? []));
    startKey = output.LastEvaluatedKey;
    if (items.length > page.limit || startKey === undefined) break;
  }
  const data = items.slice(0, page.limit);
  const last = data.at(-1);
  // With an item to spare, continue right after the last one returned; otherwise where DynamoDB stopped.
  const nextKey =
    items.length > page.limit && last !== undefined
      ? Object.fromEntries(page.keyNames.map((name) => [name, last[name]]))
      : startKey;
  return { data: data.map(decode), nextCursor: nextKey === undefined ? null : encodeCursor(nextKey) };
}

/**
 * Every item of a query, following pagination (for bounded item collections), or, with
 * `atMost`, the items of the pages read until there were more than that many.
 */
export async function queryAll(
  doc: Documents,
  input: QueryCommandInput,
  atMost = Number.POSITIVE_INFINITY,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let startKey: Key | undefined;
  do {
    const output = await doc.query({ ...input, ExclusiveStartKey: startKey });
    items.push(...(output.Items ?? []));
    startKey = output.LastEvaluatedKey;
  } while (startKey !== undefined && items.length <= atMost);
  return items;
}

/** A Scan's pages one after another, each handled before the next is read. */
export async function* scanPages(
  doc: Documents,
  input: Omit<ScanCommandInput, 'ExclusiveStartKey'>,
): AsyncGenerator<Record<string, unknown>[]> {
  let startKey: Key | undefined;
  do {
    const output = await doc.scan({ ...input, ExclusiveStartKey: startKey });
    yield output.Items ?? [];
    startKey = output.LastEvaluatedKey;
  } while (startKey !== undefined);
}

/** A write refused because its condition failed (by either client: both name the error so). */
export function isConditionalCheckFailed(error: unknown): boolean {
  return error instanceof Error && error.name === 'ConditionalCheckFailedException';
}

/** Awaits a conditional write whose failed condition means "nothing to do". */
export async function ignoringConditionFailure(write: Promise<unknown>): Promise<void> {
  try {
    await write;
  } catch (error) {
    if (!isConditionalCheckFailed(error)) throw error;
  }
}

const BATCH_GET_LIMIT = 100;

/**
 * The items of these keys that exist, in BatchGetItem calls of 100 (BATCH_GETS_IN_FLIGHT at
 * once), asking again for what DynamoDB reports unprocessed (after a short, growing pause:
 * it means throttling). The order of the answer is DynamoDB's, not the keys'.
 */
export async function batchGetAll(
  doc: Documents,
  tableName: string,
  keys: readonly Key[],
  options: { readonly consistentRead?: boolean; readonly projection?: readonly string[] } = {},
): Promise<Record<string, unknown>[]> {
  const names = Object.fromEntries((options.projection ?? []).map((name, index) => [`#p${index}`, name]));
  const read = {
    ConsistentRead: options.consistentRead ?? false,
    ...(options.projection === undefined
      ? {}
      : { ProjectionExpression: Object.keys(names).join(', '), ExpressionAttributeNames: names }),
  };
  const items: Record<string, unknown>[] = [];
  const batches: Key[][] = [];
  for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
    batches.push(keys.slice(start, start + BATCH_GET_LIMIT));
  }
  const readBatches = async () => {
    for (let batch = batches.shift(); batch !== undefined; batch = batches.shift()) {
      let pending = batch;
      for (let round = 0; pending.length > 0; round++) {
        if (round > 0) await pause(round);
        const output = await doc.batchGet({ RequestItems: { [tableName]: { Keys: [...pending], ...read } } });
        items.push(...(output.Responses?.[tableName] ?? []));
        pending = output.UnprocessedKeys?.[tableName]?.Keys ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(BATCH_GETS_IN_FLIGHT, batches.length) }, readBatches));
  return items;
}

/**
 * BatchGetItem requests a read keeps in flight at once: a count of an endpoint's thousands
 * of deliveries takes about a fourth of the time, with at most 400 items asked for at once.
 */
const BATCH_GETS_IN_FLIGHT = 4;

const pause = (round: number) =>
  new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** round)));

const BATCH_WRITE_LIMIT = 25;

type WriteRequest =
  | { PutRequest: { Item: Record<string, unknown> } }
  | { DeleteRequest: { Key: Record<string, unknown> } };

/**
 * Writes any number of puts and deletes in BatchWriteItem calls of 25, sending again what
 * DynamoDB reports unprocessed (after a short, growing pause: it means throttling).
 */
export async function batchWriteAll(
  doc: Documents,
  tableName: string,
  requests: readonly WriteRequest[],
): Promise<void> {
  for (let start = 0; start < requests.length; start += BATCH_WRITE_LIMIT) {
    let pending = requests.slice(start, start + BATCH_WRITE_LIMIT);
    for (let round = 0; pending.length > 0; round++) {
      if (round > 0) await pause(round);
      const output = await doc.batchWrite({ RequestItems: { [tableName]: [...pending] } });
      pending = (output.UnprocessedItems?.[tableName] ?? []) as WriteRequest[];
    }
  }
}
