import { BatchWriteCommand, type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TTL_ATTRIBUTE } from '../aws/dynamo/tables';

const BATCH_WRITE_LIMIT = 25;

/**
 * DynamoDB deletes items whose TTL attribute has passed; dynalite does not. In local mode
 * this sweeper does it instead, so that retention means the same on a laptop.
 */
export class LocalTtlSweeper {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tables: readonly { readonly name: string; readonly keys: readonly string[] }[],
  ) {}

  /** Deletes every expired item; answers how many. */
  async sweep(now: Date): Promise<number> {
    let deleted = 0;
    for (const table of this.tables) {
      let startKey: Record<string, unknown> | undefined;
      do {
        const output = await this.doc.send(
          new ScanCommand({
            TableName: table.name,
            FilterExpression: '#ttl < :now',
            ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
            ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
            ProjectionExpression: table.keys.join(', '),
            ExclusiveStartKey: startKey,
          }),
        );
        const keys = output.Items ?? [];
        for (let start = 0; start < keys.length; start += BATCH_WRITE_LIMIT) {
          let requests = keys
            .slice(start, start + BATCH_WRITE_LIMIT)
            .map((Key) => ({ DeleteRequest: { Key } }));
          while (requests.length > 0) {
            const result = await this.doc.send(
              new BatchWriteCommand({ RequestItems: { [table.name]: requests } }),
            );
            requests = (result.UnprocessedItems?.[table.name] ?? []) as typeof requests;
          }
        }
        deleted += keys.length;
        startKey = output.LastEvaluatedKey;
      } while (startKey !== undefined);
    }
    return deleted;
  }
}
