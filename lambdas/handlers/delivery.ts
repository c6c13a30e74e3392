import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { deliveryTaskSchema, taskIds } from '../core/delivery-task';
import { DeliveryNotReadyError } from '../core/errors';
import type { DeliveryTask } from '../core/model';
import { parseInput } from '../core/parse-input';
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
    // The tasks that parse, by record: a failure's log line then names its delivery.
    const tasks: (DeliveryTask | undefined)[] = [];
    const results = await Promise.allSettled(
      event.Records.map(async (record, index) => {
        const task = parseInput(deliveryTaskSchema, JSON.parse(record.body), 'delivery task');
        tasks[index] = task;
        return deps.delivery.deliver(task);
      }),
    );
    const batchItemFailures = results.flatMap((result, index) => {
      if (result.status === 'fulfilled') return [];
      const record = event.Records[index];
      const task = tasks[index];
      const level = result.reason instanceof DeliveryNotReadyError ? 'info' : 'error';
      deps.logger[level]('delivery task handed back to the queue', {
        messageId: record?.messageId,
        ...(task === undefined ? {} : taskIds(task)),
        ...describeError(result.reason),
      });
      return [{ itemIdentifier: record?.messageId ?? '' }];
    });
    return { batchItemFailures };
  };
}
