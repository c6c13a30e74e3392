import { TTL_ATTRIBUTE } from '../../contract/tables';
import type { Documents } from '../dynamo/documents';
import { batchWriteAll, scanPages } from '../dynamo/paging';

/**
 * DynamoDB deletes items whose TTL attribute has passed; dynalite does not. In local mode
 * this sweeper does it instead, so that retention means the same on a laptop.
 */
export class LocalTtlSweeper {
  constructor(
    private readonly doc: Documents,
    private readonly tables: readonly { readonly name: string; readonly keys: readonly string[] }[],
  ) {}

  /** Deletes every expired item; answers how many. */
  async sweep(now: Date): Promise<number> {
    let deleted = 0;
    for (const table of this.tables) {
      for await (const keys of scanPages(this.doc, {
        TableName: table.name,
        FilterExpression: '#ttl < :now',
        ExpressionAttributeNames: { '#ttl': TTL_ATTRIBUTE },
        ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
        ProjectionExpression: table.keys.join(', '),
      })) {
        await batchWriteAll(
          this.doc,
          table.name,
          keys.map((Key) => ({ DeleteRequest: { Key } })),
        );
        deleted += keys.length;
      }
    }
    return deleted;
  }
}
