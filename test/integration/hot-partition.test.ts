import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DynamoMessageStore, LOG_SHARDS } from '../../lambdas/adapters/dynamo/message-store';
import type { Message } from '../../lambdas/core/model';
import { type DynamoEngine, freshTables, startDynamoDbLocal } from '../support/dynamodb';
import { aMessage, anInvoicePayload } from '../support/fixtures';

/**
 * One application sending 3,000 messages a second must not meet the 1,000 write units a
 * second one partition key takes (message-store.ts, LOG_SHARDS). Against DynamoDB Local:
 * how its messages and eventId claims spread over the keys, what that makes of the busiest
 * key's write rate at 3,000 messages a second, and that the log still reads back whole and
 * in order across the keys.
 */
const MESSAGES = 3_000;
const TARGET_MESSAGES_PER_SECOND = 3_000;
const PARTITION_WRITE_UNITS_PER_SECOND = 1_000;

describe('one busy application on DynamoDB Local', () => {
  let engine: DynamoEngine;
  let tables: Awaited<ReturnType<typeof freshTables>>;
  let messages: DynamoMessageStore;
  const appId = 'app_01KBUSYBUSYBUSYBUSYBUSYBUS';
  const accepted: Message[] = [];

  beforeAll(async () => {
    engine = await startDynamoDbLocal();
    tables = await freshTables(engine.endpoint);
    messages = new DynamoMessageStore(tables.doc, tables.tables.messages, { retentionDays: 30 });
    const start = Date.parse('2026-11-23T10:00:00.000Z');
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < MESSAGES) {
          const index = next++;
          const message = aMessage(
            appId,
            { eventId: `order-${index}`, payload: anInvoicePayload(index) },
            // 3,000 a second: a millisecond apart in threes.
            new Date(start + Math.floor(index / 3)),
          );
          accepted.push((await messages.accept(message)).message);
        }
      }),
    );
    accepted.sort((a, b) => (a.id < b.id ? -1 : 1));
  }, 300_000);
  afterAll(async () => {
    tables?.client.destroy();
    await engine?.close();
  });

  it('spreads its messages and claims over the shards, none taking more than it can write', async () => {
    const writeUnitsByKey = new Map<string, number>();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await tables.doc.scan({ TableName: tables.tables.messages, ExclusiveStartKey: startKey });
      for (const item of page.Items ?? []) {
        const key = item.pk as string;
        // A message (1 KiB deflated) and a claim are one write unit each.
        writeUnitsByKey.set(key, (writeUnitsByKey.get(key) ?? 0) + 1);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey !== undefined);

    expect(writeUnitsByKey.size).toBe(LOG_SHARDS);
    const units = [...writeUnitsByKey.values()];
    expect(units.reduce((sum, value) => sum + value, 0)).toBe(2 * MESSAGES);
    const busiest = Math.max(...units);
    // Even spread: no key more than a third above its share.
    expect(busiest).toBeLessThan(((2 * MESSAGES) / LOG_SHARDS) * 1.34);
    // The busiest key's rate when the app sends 3,000 a second, with headroom to spare.
    const busiestPerSecond = (busiest / MESSAGES) * TARGET_MESSAGES_PER_SECOND;
    console.log(
      `busiest of ${LOG_SHARDS} keys: ${busiest} of ${2 * MESSAGES} writes, ${Math.round(busiestPerSecond)} write units/s at ${TARGET_MESSAGES_PER_SECOND} messages/s`,
    );
    expect(busiestPerSecond).toBeLessThan(PARTITION_WRITE_UNITS_PER_SECOND * 0.6);
  });

  it('lists them back newest first, each once, across pages', async () => {
    const listed: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await messages.list(appId, { limit: 100, cursor });
      listed.push(...page.data.map((message) => message.id));
      cursor = page.nextCursor ?? undefined;
    } while (cursor !== undefined);
    expect(listed).toEqual(accepted.map((message) => message.id).reverse());
  });

  it('reads them forward in id order, each once, as a poll endpoint does', async () => {
    const read: string[] = [];
    let after = 'msg_';
    for (;;) {
      const page = await messages.listForward(appId, { after, through: 'msg_~', limit: 100 });
      read.push(...page.messages.map((message) => message.id));
      after = read.at(-1) ?? after;
      if (!page.more) break;
    }
    expect(read).toEqual(accepted.map((message) => message.id));
  });
});
