import type { CreateTableCommandInput, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY, SORT_KEY } from '../../contract/tables';
import { ensureTable, ensureTables, type TableNames, tableNamesWithPrefix } from '../dynamo/tables';

/**
 * What local mode keeps besides the contract's tables, to stand in for what AWS runs
 * (dynalite has no streams, and there is no SQS or Scheduler on a laptop): the local-jobs
 * table of its queue and scheduler, and a sparse index on the messages table that plays
 * the messages table's stream.
 */
export interface LocalTableNames extends TableNames {
  /** The durable delivery queue and retry schedules. */
  readonly localJobs: string;
}

export const LOCAL_INDEX = {
  /** messages: messages not yet handed to fan-out, in id order. */
  pendingStream: 'pendingStream',
  /** localJobs: the jobs of a lane in due order. */
  byDue: 'byDue',
} as const;

/**
 * A message item written with this attribute shows up in the sparse pendingStream index
 * until the local stream stand-in has handed it to fan-out. It is written in the same
 * PutItem as the message, so no accepted message can miss fan-out.
 */
export const STREAM_PENDING_ATTRIBUTE = 'streamPending';
export const STREAM_PENDING_VALUE = 'pending';
export const NEW_MESSAGE_MARKER: Readonly<Record<string, string>> = {
  [STREAM_PENDING_ATTRIBUTE]: STREAM_PENDING_VALUE,
};

function localJobsTable(tableName: string): CreateTableCommandInput {
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'lane', AttributeType: 'S' },
      { AttributeName: 'dueAt', AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: LOCAL_INDEX.byDue,
        KeySchema: [
          { AttributeName: 'lane', KeyType: 'HASH' },
          { AttributeName: 'dueAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  };
}

export function localTableNames(prefix: string): LocalTableNames {
  return { ...tableNamesWithPrefix(prefix), localJobs: `${prefix}-local-jobs` };
}

/** Creates every missing table of local mode: the contract's, with local mode's index, and its own. */
export async function ensureLocalTables(client: DynamoDBClient, names: LocalTableNames): Promise<void> {
  await ensureTables(client, names, {
    messages: { [LOCAL_INDEX.pendingStream]: { partitionKey: STREAM_PENDING_ATTRIBUTE, sortKey: SORT_KEY } },
  });
  await ensureTable(client, localJobsTable(names.localJobs));
}

/** The tables whose items expire, with their key attributes, for the local TTL sweeper. */
export function expiringTables(names: LocalTableNames): { name: string; keys: string[] }[] {
  return [names.messages, names.deliveries].map((name) => ({ name, keys: [PARTITION_KEY, SORT_KEY] }));
}
