import { INDEX, PARTITION_KEY, SORT_KEY, TABLES } from '../../contract/tables';
import type { Page, PageRequest } from '../../ports';
import type { Documents } from './documents';
import { decodeCursor, queryPage } from './paging';

/**
 * The catalog's byKind index: items that carry a kind and a sort value in its key
 * attributes (apps by id, event types by name) can be listed in order, one kind at a time.
 */
const BY_KIND = TABLES.catalog.indexes[INDEX.byKind];
const LIST_KEYS = [PARTITION_KEY, SORT_KEY, BY_KIND.partitionKey, BY_KIND.sortKey];

/** The attributes that put an item in the byKind index. */
export function kindIndexAttributes(kind: string, sortValue: string): Record<string, string> {
  return { [BY_KIND.partitionKey]: kind, [BY_KIND.sortKey]: sortValue };
}

/** One page of the items of a kind, in sort-value order. */
export function listKind<Item>(
  doc: Documents,
  tableName: string,
  kind: string,
  page: PageRequest,
  decode: (item: Record<string, unknown>) => Item,
): Promise<Page<Item>> {
  return queryPage(
    doc,
    {
      TableName: tableName,
      IndexName: INDEX.byKind,
      KeyConditionExpression: '#kind = :kind',
      ExpressionAttributeNames: { '#kind': BY_KIND.partitionKey },
      ExpressionAttributeValues: { ':kind': kind },
    },
    {
      limit: page.limit,
      startKey: decodeCursor(page.cursor, { [BY_KIND.partitionKey]: kind }, LIST_KEYS),
      keyNames: LIST_KEYS,
    },
    decode,
  );
}
