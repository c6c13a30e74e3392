import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { DeliveryNotReadyError } from '../core/errors';
import { deliveryTaskSchema, parseInput } from '../core/schemas';
import { describeError } from '../logger';
import type { Logger } from '../ports';
import type { DeliveryService } from '../services/delivery';

export type DeliveryHandler = (event: SQSEvent) => Promise<SQSBatchResponse>;

/**
 * The delivery queue's consumer: one attempt per record, all records at once, and a
 * partial batch response naming the records to hand back to the queue. A record that
 * fails every time ends in the dead-letter queue through the queue's redrive policy.
 */
export function createDeliveryHandler(deps: {
  readonly delivery: DeliveryService;
  readonly logger: Logger;
}): DeliveryHandler {
  return async (event) => {
    const results = await Promise.allSettled(
      event.Records.map(async (record) =>
        deps.delivery.deliver(parseInput(deliveryTaskSchema, JSON.parse(record.body), 'delivery task')),
      ),
    );
    const batchItemFailures = results.flatMap((result, index) => {
      if (result.status === 'fulfilled') return [];
      const record = event.Records[index];
      const level = result.reason instanceof DeliveryNotReadyError ? 'info' : 'error';
      deps.logger[level]('delivery task handed back to the queue', {
        messageId: record?.messageId,
        ...describeError(result.reason),
      });
      return [{ itemIdentifier: record?.messageId ?? '' }];
    });
    return { batchItemFailures };
  };
}
