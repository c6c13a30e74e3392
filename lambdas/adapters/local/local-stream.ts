import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import { LOCAL_INDEX, STREAM_PENDING_ATTRIBUTE, STREAM_PENDING_VALUE } from './local-tables';

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
 * sparse pendingStream index, and acknowledged by removing the marker.
 */
export class DynamoLocalStream {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
  ) {}

  async pending(limit: number): Promise<PendingStreamRecord[]> {
    const { Items = [] } = await this.client.send(
      new QueryCommand({
        TableName: this.tableName,
        IndexName: LOCAL_INDEX.pendingStream,
        KeyConditionExpression: '#pending = :pending',
        ExpressionAttributeNames: { '#pending': STREAM_PENDING_ATTRIBUTE },
        ExpressionAttributeValues: { ':pending': { S: STREAM_PENDING_VALUE } },
        Limit: limit,
      }),
    );
    return Items.flatMap((item) => {
      const { pk, sk } = item;
      if (pk === undefined || sk?.S === undefined) return [];
      const { [STREAM_PENDING_ATTRIBUTE]: _marker, ...newImage } = item;
      return [{ keys: { pk, sk }, newImage, sequenceNumber: sk.S }];
    });
  }

  async acknowledge(record: PendingStreamRecord): Promise<void> {
    await this.client.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: record.keys,
        UpdateExpression: 'REMOVE #pending',
        ExpressionAttributeNames: { '#pending': STREAM_PENDING_ATTRIBUTE },
      }),
    );
  }
}
