import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceInUseException,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import {
  type IndexDefinition,
  TABLE_NAMES,
  TABLES,
  type TableDefinition,
  type TableName,
  TTL_ATTRIBUTE,
} from '../../contract/tables';

/** The physical name of each table of the contract. */
export type TableNames = Readonly<Record<TableName, string>>;

/** Indexes a runtime adds to a contract table for its own needs (local mode's stream stand-in). */
export type ExtraIndexes = Partial<Record<TableName, Readonly<Record<string, IndexDefinition>>>>;

/** The CreateTable request for a table of the contract (on AWS the CDK stack makes them from the same definitions). */
export function createTableInput(
  tableName: string,
  definition: TableDefinition,
  extraIndexes: Readonly<Record<string, IndexDefinition>> = {},
): CreateTableCommandInput {
  const indexes = Object.entries({ ...definition.indexes, ...extraIndexes });
  const keyNames = new Set([
    definition.partitionKey,
    definition.sortKey,
    ...indexes.flatMap(([, index]) => [index.partitionKey, index.sortKey]),
  ]);
  return {
    TableName: tableName,
    BillingMode: 'PAY_PER_REQUEST',
    KeySchema: [
      { AttributeName: definition.partitionKey, KeyType: 'HASH' },
      { AttributeName: definition.sortKey, KeyType: 'RANGE' },
    ],
    AttributeDefinitions: [...keyNames].map((AttributeName) => ({ AttributeName, AttributeType: 'S' })),
    ...(indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: indexes.map(([IndexName, index]) => ({
            IndexName,
            KeySchema: [
              { AttributeName: index.partitionKey, KeyType: 'HASH' },
              { AttributeName: index.sortKey, KeyType: 'RANGE' },
            ],
            Projection:
              index.projection === undefined
                ? { ProjectionType: 'ALL' }
                : { ProjectionType: 'INCLUDE', NonKeyAttributes: [...index.projection] },
          })),
        }),
  };
}

/**
 * Creates a table unless it exists, with TTL on `expiresAt` where the engine has TTL
 * (dynalite has none: local mode sweeps expired items itself, see LocalTtlSweeper).
 */
export async function ensureTable(client: DynamoDBClient, input: CreateTableCommandInput): Promise<void> {
  try {
    await client.send(new CreateTableCommand(input));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
    await untilActive(client, input.TableName);
    return;
  }
  await untilActive(client, input.TableName);
  try {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: input.TableName,
        TimeToLiveSpecification: { AttributeName: TTL_ATTRIBUTE, Enabled: true },
      }),
    );
  } catch (error) {
    if ((error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode !== 400) throw error;
  }
}

const ACTIVE_POLL_MS = 10;
const ACTIVE_TIMEOUT_MS = 30_000;

/**
 * Waits until a table answers reads and writes. A new table is CREATING for a while (on
 * DynamoDB Local and in dynalite too, if only until its next tick), and every item request
 * to it meanwhile fails with ResourceNotFoundException.
 */
async function untilActive(client: DynamoDBClient, tableName: string | undefined): Promise<void> {
  const deadline = Date.now() + ACTIVE_TIMEOUT_MS;
  for (;;) {
    try {
      const { Table } = await client.send(new DescribeTableCommand({ TableName: tableName }));
      if (Table?.TableStatus === 'ACTIVE') return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    if (Date.now() > deadline)
      throw new Error(`Table ${tableName} did not become ACTIVE within ${ACTIVE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, ACTIVE_POLL_MS));
  }
}

/**
 * Creates every missing table of the contract (local mode and tests; on AWS the stack owns
 * them). No stream is enabled: nothing here reads one, local mode has its own stand-in.
 */
export async function ensureTables(
  client: DynamoDBClient,
  names: TableNames,
  extraIndexes: ExtraIndexes = {},
): Promise<void> {
  for (const table of TABLE_NAMES) {
    await ensureTable(client, createTableInput(names[table], TABLES[table], extraIndexes[table]));
  }
}

export function tableNamesWithPrefix(prefix: string): TableNames {
  return { catalog: `${prefix}-catalog`, messages: `${prefix}-messages`, deliveries: `${prefix}-deliveries` };
}
