import { TTL_ATTRIBUTE } from '../../contract/tables';
import type { RateLimiter } from '../../ports';
import type { Documents } from './documents';
import { isConditionalCheckFailed } from './paging';

/** A slot item outlives the last reservation by a day, then expires. */
const IDLE_EXPIRY_SECONDS = 86_400;

/**
 * Slot reservations in the deliveries table, one item per rate-limited endpoint (pk and sk
 * `RATE#{endpointId}`), holding the endpoint's next free slot in epoch milliseconds. A
 * reservation is one conditional UpdateItem in the usual case:
 * - while a backlog waits (next slot not in the past), take it and move it on by 1/rate;
 * - otherwise the endpoint is idle: the slot is now, and the next one 1/rate from now.
 * Two workers racing on the idle case both fail one condition and take the first path on
 * their next try; neither ever gets a slot another holds.
 */
export class DynamoRateLimiter implements RateLimiter {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
  ) {}

  async reserve(endpointId: string, perSecond: number, now: Date): Promise<Date> {
    const intervalMs = Math.ceil(1000 / perSecond);
    const key = { pk: `RATE#${endpointId}`, sk: `RATE#${endpointId}` };
    const common = {
      ':now': now.getTime(),
      ':expires': Math.floor(now.getTime() / 1000) + IDLE_EXPIRY_SECONDS,
    };
    for (;;) {
      try {
        const { Attributes } = await this.doc.update({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET nextSlot = nextSlot + :interval, #expires = :expires',
          ConditionExpression: 'nextSlot >= :now',
          ExpressionAttributeNames: { '#expires': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ...common, ':interval': intervalMs },
          ReturnValues: 'UPDATED_OLD',
        });
        return new Date(Attributes?.nextSlot as number);
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
      try {
        await this.doc.update({
          TableName: this.tableName,
          Key: key,
          UpdateExpression: 'SET nextSlot = :next, #expires = :expires',
          ConditionExpression: 'attribute_not_exists(nextSlot) OR nextSlot < :now',
          ExpressionAttributeNames: { '#expires': TTL_ATTRIBUTE },
          ExpressionAttributeValues: { ...common, ':next': now.getTime() + intervalMs },
        });
        return now;
      } catch (error) {
        if (!isConditionalCheckFailed(error)) throw error;
      }
    }
  }
}
