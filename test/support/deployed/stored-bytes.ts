import { type AttributeValue, type DynamoDBClient, paginateScan } from '@aws-sdk/client-dynamodb';
import type { Properties } from '../template';

/**
 * What DynamoDB bills as stored: every item's size by DynamoDB's rules, plus 100 bytes of
 * overhead per item, and the same again for each global secondary index entry (its keys,
 * the table's keys and the attributes the index copies). Read by scanning the tables with
 * the harness's own credentials, outside the metered requests.
 */

const PER_ITEM_OVERHEAD_BYTES = 100;

/** An attribute value's size: strings and binaries by their bytes, numbers by their digits, documents with their overhead. */
function valueBytes(value: AttributeValue): number {
  if (value.S !== undefined) return Buffer.byteLength(value.S);
  if (value.N !== undefined) return numberBytes(value.N);
  if (value.B !== undefined) return value.B.length;
  if (value.BOOL !== undefined || value.NULL !== undefined) return 1;
  if (value.SS !== undefined) return value.SS.reduce((sum, entry) => sum + Buffer.byteLength(entry), 0);
  if (value.NS !== undefined) return value.NS.reduce((sum, entry) => sum + numberBytes(entry), 0);
  if (value.BS !== undefined) return value.BS.reduce((sum, entry) => sum + entry.length, 0);
  if (value.L !== undefined) return 3 + value.L.reduce((sum, entry) => sum + 1 + valueBytes(entry), 0);
  if (value.M !== undefined) return 3 + attributesBytes(value.M, Object.keys(value.M), 1);
  return 0;
}

/** About one byte per two significant digits, plus one. */
function numberBytes(text: string): number {
  const digits = text
    .replace(/^-/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return Math.ceil(Math.max(digits.length, 1) / 2) + 1;
}

function attributesBytes(
  item: Record<string, AttributeValue>,
  names: readonly string[],
  perEntry = 0,
): number {
  let bytes = 0;
  for (const name of names) {
    const value = item[name];
    if (value !== undefined) bytes += Buffer.byteLength(name) + valueBytes(value) + perEntry;
  }
  return bytes;
}

interface IndexShape {
  readonly keys: readonly string[];
  /** The copied attributes; undefined when the index copies every attribute. */
  readonly copied: readonly string[] | undefined;
}

/** The indexes of a template's table resource: their key attributes and what they copy. */
function indexesOf(table: Properties): IndexShape[] {
  const tableKeys = (table.KeySchema as { AttributeName: string }[]).map((key) => key.AttributeName);
  return ((table.GlobalSecondaryIndexes ?? []) as Properties[]).map((index) => {
    const keys = [
      ...new Set([
        ...(index.KeySchema as { AttributeName: string }[]).map((key) => key.AttributeName),
        ...tableKeys,
      ]),
    ];
    const projection = index.Projection as { ProjectionType: string; NonKeyAttributes?: string[] };
    return {
      keys,
      copied:
        projection.ProjectionType === 'ALL'
          ? undefined
          : [
              ...keys,
              ...(projection.ProjectionType === 'INCLUDE' ? (projection.NonKeyAttributes ?? []) : []),
            ],
    };
  });
}

/** What one item of a table with these properties is billed as: itself and its index entries. */
export function itemStoredBytes(item: Record<string, AttributeValue>, table: Properties): number {
  const all = Object.keys(item);
  let total = attributesBytes(item, all) + PER_ITEM_OVERHEAD_BYTES;
  for (const index of indexesOf(table)) {
    if (index.keys.some((key) => item[key] === undefined)) continue; // not in this (sparse) index
    total += attributesBytes(item, index.copied ?? all) + PER_ITEM_OVERHEAD_BYTES;
  }
  return total;
}

/** The bytes DynamoDB bills as stored for these tables now, items and index entries together. */
export async function storedBytes(
  client: DynamoDBClient,
  tables: readonly { readonly name: string; readonly properties: Properties }[],
): Promise<number> {
  let total = 0;
  for (const table of tables) {
    for await (const page of paginateScan({ client }, { TableName: table.name })) {
      for (const item of page.Items ?? []) total += itemStoredBytes(item, table.properties);
    }
  }
  return total;
}
