import {
  type AttributeValue,
  BatchGetItemCommand,
  BatchWriteItemCommand,
  type DynamoDBClient,
  QueryCommand,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { PARTITION_KEY, SORT_KEY } from '../../contract/tables';
import { readConfirmed } from './confirmed-index';
import { LOCAL_INDEX, STREAM_PENDING_ATTRIBUTE, STREAM_PENDING_VALUE } from './local-tables';

const BATCH_GET_LIMIT = 100;
const BATCH_WRITE_LIMIT = 25;

export interface PendingStreamRecord {
  readonly keys: Record<string, AttributeValue>;
  /** The item as DynamoDB Streams would carry it in NEW_IMAGE. */
  readonly newImage: Record<string, AttributeValue>;
  /** Unique and increasing, like a stream sequence number (the message id). */
  readonly sequenceNumber: string;
}

/**
 * The stand-in for the messages table's DynamoDB stream in local mode (dynalite has no
 * streams): messages written with the pending marker are read in id order through the
 * sparse pendingStream index, and acknowledged by removing the marker. A record is the
 * message item itself, read consistently: an index entry whose item is not there (its
 * write never finished) or no longer carries the marker is no record (confirmed-index.ts).
 */
export class DynamoLocalStream {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  pending(limit: number): Promise<PendingStreamRecord[]> {
    type Key = Record<string, AttributeValue>;
    return readConfirmed(limit, async (startKey: Key | undefined, pageLimit) => {
      const { Items = [], LastEvaluatedKey } = await this.client.send(
        new QueryCommand({
          TableName: this.tableName,
          IndexName: LOCAL_INDEX.pendingStream,
          KeyConditionExpression: '#pending = :pending',
          ExpressionAttributeNames: { '#pending': STREAM_PENDING_ATTRIBUTE },
          ExpressionAttributeValues: { ':pending': { S: STREAM_PENDING_VALUE } },
          Limit: pageLimit,
          ExclusiveStartKey: startKey,
        }),
      );
      const items = await this.readItems(Items);
      const confirmed = items.flatMap((item) => {
        if (item[STREAM_PENDING_ATTRIBUTE]?.S !== STREAM_PENDING_VALUE) return [];
        const keys = messageKeys(item);
        const sequenceNumber = keys?.[SORT_KEY]?.S;
        if (keys === undefined || sequenceNumber === undefined) return [];
        const { [STREAM_PENDING_ATTRIBUTE]: _marker, ...newImage } = item;
        return [{ keys, newImage, sequenceNumber }];
      });
      return { confirmed, lastKey: LastEvaluatedKey };
    });
  }

  /** The message items of these index entries, read consistently (BatchGetItem takes 100 keys a call). */
  private async readItems(
    entries: readonly Record<string, AttributeValue>[],
  ): Promise<Record<string, AttributeValue>[]> {
    const items: Record<string, AttributeValue>[] = [];
    const keys = entries
      .map(messageKeys)
      .filter((key): key is Record<string, AttributeValue> => key !== undefined);
    for (let start = 0; start < keys.length; start += BATCH_GET_LIMIT) {
      let pending = keys.slice(start, start + BATCH_GET_LIMIT);
      while (pending.length > 0) {
        const output = await this.client.send(
          new BatchGetItemCommand({
            RequestItems: { [this.tableName]: { Keys: pending, ConsistentRead: true } },
          }),
        );
        items.push(...(output.Responses?.[this.tableName] ?? []));
        pending = output.UnprocessedKeys?.[this.tableName]?.Keys ?? [];
      }
    }
    // BatchGetItem answers in no particular order; the stream's order is the message ids'.
    return items.sort((a, b) => compareText(a[SORT_KEY]?.S ?? '', b[SORT_KEY]?.S ?? ''));
  }

  /** The record's message is fanned out: it leaves the stream. */
  acknowledge(record: PendingStreamRecord): Promise<void> {
    return this.acknowledgeAll([record]);
  }

  /**
   * Acknowledges records 25 to a BatchWriteItem: each item is put back as its record
   * carries it, without the marker. That equals removing the marker because message items
   * are written once and never updated (adapters/dynamo/message-store.ts only puts); the
   * one other writer, the TTL sweeper, deletes items a retention period old, and a put
   * racing it brings back an expired item that the next sweep deletes. Across a crash it
   * is the update's case: the index entry goes first, the item after, and an item still
   * marked is found again by the start-up repair and fanned out again (fan-out is idempotent).
   */
  async acknowledgeAll(records: readonly PendingStreamRecord[]): Promise<void> {
    for (let start = 0; start < records.length; start += BATCH_WRITE_LIMIT) {
      let pending: WriteRequest[] = records
        .slice(start, start + BATCH_WRITE_LIMIT)
        .map((record) => ({ PutRequest: { Item: record.newImage } }));
      while (pending.length > 0) {
        const output = await this.client.send(
          new BatchWriteItemCommand({ RequestItems: { [this.tableName]: pending } }),
        );
        pending = output.UnprocessedItems?.[this.tableName] ?? [];
      }
    }
  }
}

function messageKeys(item: Record<string, AttributeValue>): Record<string, AttributeValue> | undefined {
  const partition = item[PARTITION_KEY];
  const sort = item[SORT_KEY];
  return partition === undefined || sort === undefined
    ? undefined
    : { [PARTITION_KEY]: partition, [SORT_KEY]: sort };
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
