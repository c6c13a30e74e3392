import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { asMapAttribute, type Documents } from '../../lambdas/adapters/dynamo/documents';
import { isConditionalCheckFailed } from '../../lambdas/adapters/dynamo/paging';
import { SdkDocuments } from '../../lambdas/adapters/dynamo/sdk-documents';
import { type DynamoEngine, ENGINES, freshTables } from '../support/dynamodb';

/**
 * The documents every store is written against (lambdas/adapters/dynamo/documents.ts),
 * held to one behaviour in both implementations: the functions' own client of DynamoDB's
 * JSON protocol, and the SDK's document client that an operator's script uses. Each case
 * writes and reads through the implementation under test and expects the same values,
 * on each engine.
 */
const IMPLEMENTATIONS: readonly {
  readonly name: string;
  readonly documents: (tables: Awaited<ReturnType<typeof freshTables>>) => Documents;
}[] = [
  { name: 'JSON protocol', documents: (tables) => tables.doc },
  { name: 'SDK document client', documents: (tables) => new SdkDocuments(tables.client) },
];

const bytes = (...values: number[]) => new Uint8Array(values);

describe.each(ENGINES)('documents on $name', ({ start }) => {
  let engine: DynamoEngine;
  beforeAll(async () => {
    engine = await start();
  }, 60_000);
  afterAll(() => engine?.close());

  describe.each(IMPLEMENTATIONS)('over the $name', ({ documents }) => {
    let doc: Documents;
    let table: string;
    let pk: string;
    // The cases build on each other's items, in one partition of fresh tables.
    beforeAll(async () => {
      const tables = await freshTables(engine.endpoint);
      doc = documents(tables);
      table = tables.tables.deliveries;
      pk = `p${randomBytes(4).toString('hex')}`;
    });
    const key = (sk: string) => ({ pk, sk });

    it('writes and reads back every kind of value, leaving out what is undefined', async () => {
      const item = {
        ...key('all'),
        text: 'héllo',
        count: 42,
        ratio: 0.5,
        yes: true,
        nothing: null,
        blob: bytes(0, 1, 2, 255),
        tags: new Set(['a', 'b']),
        list: ['x', 1, { nested: bytes(9) }],
        map: { inner: { deeper: 'value' } },
        headers: asMapAttribute({ constructor: 'is a key like any other' }),
        left: undefined,
      };
      await doc.put({ TableName: table, Item: item });
      const { Item } = await doc.get({ TableName: table, Key: key('all'), ConsistentRead: true });
      const { left: _, headers, ...rest } = item;
      expect(Item).toEqual({ ...rest, headers: { constructor: 'is a key like any other' } });
      expect(Item?.blob).toBeInstanceOf(Uint8Array);
      expect('left' in (Item ?? {})).toBe(false);
      expect((await doc.get({ TableName: table, Key: key('none') })).Item).toBeUndefined();
    });

    it('updates with expression values and answers the attributes asked for', async () => {
      await doc.put({ TableName: table, Item: { ...key('counter'), hits: 1 } });
      const { Attributes } = await doc.update({
        TableName: table,
        Key: key('counter'),
        UpdateExpression: 'SET hits = hits + :one, tags = :tags',
        ExpressionAttributeValues: { ':one': 1, ':tags': new Set(['late']) },
        ReturnValues: 'ALL_NEW',
      });
      expect(Attributes).toEqual({ ...key('counter'), hits: 2, tags: new Set(['late']) });
    });

    it('refuses a write whose condition fails, as a failed condition', async () => {
      const error = await doc
        .put({
          TableName: table,
          Item: { ...key('counter') },
          ConditionExpression: 'attribute_not_exists(pk)',
        })
        .catch((caught: unknown) => caught);
      expect(isConditionalCheckFailed(error)).toBe(true);
    });

    it('queries and scans in pages, continuing from the key it answered', async () => {
      await doc.batchWrite({
        RequestItems: {
          [table]: ['q1', 'q2', 'q3'].map((sk) => ({ PutRequest: { Item: { ...key(sk), blob: bytes(1) } } })),
        },
      });
      const query = {
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :q)',
        ExpressionAttributeValues: { ':pk': pk, ':q': 'q' },
        Limit: 2,
      };
      const first = await doc.query(query);
      expect(first.Items?.map((item) => item.sk)).toEqual(['q1', 'q2']);
      expect(first.LastEvaluatedKey).toEqual(key('q2'));
      const second = await doc.query({ ...query, ExclusiveStartKey: first.LastEvaluatedKey });
      expect(second.Items).toEqual([{ ...key('q3'), blob: bytes(1) }]);

      const scanned: unknown[] = [];
      let startKey: Record<string, unknown> | undefined;
      do {
        const page = await doc.scan({
          TableName: table,
          FilterExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': pk },
          Limit: 2,
          ExclusiveStartKey: startKey,
        });
        scanned.push(...(page.Items ?? []).map((item) => item.sk));
        startKey = page.LastEvaluatedKey;
      } while (startKey !== undefined);
      expect(scanned.sort()).toEqual(['all', 'counter', 'q1', 'q2', 'q3']);
    });

    it('reads and writes in batches, and deletes answering what was there', async () => {
      await doc.batchWrite({
        RequestItems: { [table]: [{ DeleteRequest: { Key: key('q3') } }] },
      });
      const { Responses } = await doc.batchGet({
        RequestItems: { [table]: { Keys: [key('q1'), key('q3')], ConsistentRead: true } },
      });
      expect(Responses?.[table]).toEqual([{ ...key('q1'), blob: bytes(1) }]);

      const { Attributes } = await doc.delete({ TableName: table, Key: key('q1'), ReturnValues: 'ALL_OLD' });
      expect(Attributes).toEqual({ ...key('q1'), blob: bytes(1) });
      expect(
        (await doc.get({ TableName: table, Key: key('q1'), ConsistentRead: true })).Item,
      ).toBeUndefined();
    });
  });
});
