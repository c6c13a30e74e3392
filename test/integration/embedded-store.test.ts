import { chmod, mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { Level } from 'level';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ensureTable } from '../../lambdas/adapters/dynamo/tables';
import { type EmbeddedDynamoDb, startEmbeddedDynamoDb } from '../../lambdas/local/embedded-dynamodb';

/**
 * The prototype that gives LevelDB iterators their `close` (abstract-level's), found from an
 * iterator of a database of our own: dynalite's iterators are of the same classes.
 */
async function iteratorCloseOwner(dir: string): Promise<{ close: () => Promise<void> }> {
  const probe = new Level(join(dir, 'probe'));
  await probe.open();
  const iterator = probe.values();
  let owner = Object.getPrototypeOf(iterator);
  while (!Object.hasOwn(owner, 'close')) owner = Object.getPrototypeOf(owner);
  await iterator.close();
  await probe.close();
  return owner;
}

/**
 * Local mode's store as it runs (dynalite on LevelDB files). dynalite reads with streams
 * over LevelDB iterators and used to close them with a `return()` that abstract-level's
 * iterators lack, so none was closed: each pinned LevelDB memory until the database closed,
 * about 20 KB a Query, 300 MiB over `npm run bench:local`. patches/dynalite+4.0.0.patch
 * closes them (applied by `npm ci`'s postinstall).
 */
describe('local mode’s embedded store', () => {
  let dir: string;
  let store: EmbeddedDynamoDb;
  let client: DynamoDBClient;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'hookpost-embedded-'));
    store = await startEmbeddedDynamoDb(dir);
    client = new DynamoDBClient({
      endpoint: store.endpoint,
      region: 'local',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
      requestHandler: store.transport,
    });
  });
  afterAll(async () => {
    client?.destroy();
    await store?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('keeps its files, endpoints’ signing secrets among them, for this user alone', async () => {
    expect((await stat(join(dir, 'dynamodb'))).mode & 0o077).toBe(0);
    const opened = await mkdtemp(join(tmpdir(), 'hookpost-embedded-open-'));
    await mkdir(join(opened, 'dynamodb'), { mode: 0o755 });
    await chmod(join(opened, 'dynamodb'), 0o755);
    const again = await startEmbeddedDynamoDb(opened);
    await again.close();
    expect((await stat(join(opened, 'dynamodb'))).mode & 0o077).toBe(0);
    await rm(opened, { recursive: true, force: true });
  });

  it('closes the LevelDB iterator of every Query it answers', async () => {
    const owner = await iteratorCloseOwner(dir);
    await ensureTable(client, {
      TableName: 'iterators',
      KeySchema: [
        { AttributeName: 'pk', KeyType: 'HASH' },
        { AttributeName: 'sk', KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: 'pk', AttributeType: 'S' },
        { AttributeName: 'sk', AttributeType: 'S' },
      ],
      BillingMode: 'PAY_PER_REQUEST',
    });
    for (let n = 0; n < 5; n += 1) {
      await client.send(
        new PutItemCommand({ TableName: 'iterators', Item: { pk: { S: 'log' }, sk: { S: `item-${n}` } } }),
      );
    }
    const close = vi.spyOn(owner, 'close');
    try {
      const queries = 20;
      for (let n = 0; n < queries; n += 1) {
        const { Items = [] } = await client.send(
          new QueryCommand({
            TableName: 'iterators',
            KeyConditionExpression: 'pk = :pk',
            ExpressionAttributeValues: { ':pk': { S: 'log' } },
            Limit: 2,
          }),
        );
        expect(Items).toHaveLength(2);
      }
      await vi.waitFor(() => expect(close.mock.calls.length).toBeGreaterThanOrEqual(queries));
    } finally {
      close.mockRestore();
    }
  });
});
