import {
  CreateTableCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';

/**
 * The tables Hookpost keeps, keyed for its access patterns (documented beside each store).
 * The CDK storage construct declares the same keys; local mode and the tests create the
 * tables from these definitions. Every table expires items through `expiresAt` (epoch s).
 */

export interface TableNames {
  /** Apps, uid claims, event types, endpoints. */
  readonly catalog: string;
  /** Messages and `eventId` claims; its stream drives fan-out. */
  readonly messages: string;
  /** Delivery state and the attempt log, per message. */
  readonly deliveries: string;
  /** Local mode only: the durable delivery queue and retry schedules. */
  readonly localJobs: string;
}

export const TTL_ATTRIBUTE = 'expiresAt';

export const INDEX = {
  /** catalog: every item of one kind (apps, event types) in id order. */
  byKind: 'byKind',
  /** messages, local mode only: messages not yet handed to fan-out (DynamoDB Streams stand-in). */
  pendingStream: 'pendingStream',
  /** localJobs: jobs of a lane in due order. */
  byDue: 'byDue',
} as const;

type TableDefinition = Omit<CreateTableCommandInput, 'TableName'>;

const onDemand = { BillingMode: 'PAY_PER_REQUEST' } as const;
const pkSk: Pick<TableDefinition, 'KeySchema'> = {
  KeySchema: [
    { AttributeName: 'pk', KeyType: 'HASH' },
    { AttributeName: 'sk', KeyType: 'RANGE' },
  ],
};

export const TABLE_DEFINITIONS: Record<keyof TableNames, TableDefinition> = {
  catalog: {
    ...onDemand,
    ...pkSk,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'kindPk', AttributeType: 'S' },
      { AttributeName: 'kindSk', AttributeType: 'S' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: INDEX.byKind,
        KeySchema: [
          { AttributeName: 'kindPk', KeyType: 'HASH' },
          { AttributeName: 'kindSk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  },
  messages: {
    ...onDemand,
    ...pkSk,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
      { AttributeName: 'streamPending', AttributeType: 'S' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: INDEX.pendingStream,
        KeySchema: [
          { AttributeName: 'streamPending', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  },
  deliveries: {
    ...onDemand,
    ...pkSk,
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'sk', AttributeType: 'S' },
    ],
  },
  localJobs: {
    ...onDemand,
    KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    AttributeDefinitions: [
      { AttributeName: 'pk', AttributeType: 'S' },
      { AttributeName: 'lane', AttributeType: 'S' },
      { AttributeName: 'dueAt', AttributeType: 'N' },
    ],
    GlobalSecondaryIndexes: [
      {
        IndexName: INDEX.byDue,
        KeySchema: [
          { AttributeName: 'lane', KeyType: 'HASH' },
          { AttributeName: 'dueAt', KeyType: 'RANGE' },
        ],
        Projection: { ProjectionType: 'ALL' },
      },
    ],
  },
};

/** Creates any missing table (local mode and tests; on AWS the CDK stack owns them). */
export async function ensureTables(client: DynamoDBClient, names: TableNames): Promise<void> {
  for (const [key, definition] of Object.entries(TABLE_DEFINITIONS) as [
    keyof TableNames,
    TableDefinition,
  ][]) {
    const TableName = names[key];
    try {
      await client.send(new CreateTableCommand({ ...definition, TableName }));
    } catch (error) {
      if (error instanceof ResourceInUseException) continue;
      throw error;
    }
    try {
      await client.send(
        new UpdateTimeToLiveCommand({
          TableName,
          TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
        }),
      );
    } catch (error) {
      // dynalite has no TTL; local mode sweeps expired items itself (LocalTtlSweeper).
      if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 400)
        throw error;
    }
  }
}

export function tableNamesWithPrefix(prefix: string): TableNames {
  return {
    catalog: `${prefix}-catalog`,
    messages: `${prefix}-messages`,
    deliveries: `${prefix}-deliveries`,
    localJobs: `${prefix}-local-jobs`,
  };
}
