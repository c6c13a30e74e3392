import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamImageDecoder } from '../adapters/dynamo/message-stream';
import { describeError } from '../logger';
import type { Logger } from '../ports';
import type { FanOutService } from '../services/fanout';

export type FanOutHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/**
 * The messages table's stream: each INSERT of a message is fanned out, and each attempt
 * request (resend, recover, test send) becomes its delivery tasks. Records are worked
 * on together; on failure the earliest failed sequence number is reported, so the batch
 * is retried from there (fan-out is idempotent, so records after it may run twice).
 */
export function createFanOutHandler(deps: {
  readonly fanOut: FanOutService;
  /** Reads the message or attempt request out of a record's NEW_IMAGE (undefined for other items). */
  readonly decode: StreamImageDecoder;
  readonly logger: Logger;
}): FanOutHandler {
  return async (event) => {
    const tasks = event.Records.map(async (record) => {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || image === undefined) return;
      // aws-lambda's stream types mirror the SDK's AttributeValue map.
      const work = deps.decode(image as Record<string, AttributeValue>);
      if (work === undefined) return;
      if ('message' in work) await deps.fanOut.fanOut(work.message);
      else await deps.fanOut.dispatchRequest(work.request);
    });
    const results = await Promise.allSettled(tasks);
    const failedAt = results.findIndex((result) => result.status === 'rejected');
    if (failedAt === -1) return { batchItemFailures: [] };
    const failure = results[failedAt] as PromiseRejectedResult;
    const record = event.Records[failedAt];
    deps.logger.error('fan-out failed', {
      sequenceNumber: record?.dynamodb?.SequenceNumber,
      ...describeError(failure.reason),
    });
    return { batchItemFailures: [{ itemIdentifier: record?.dynamodb?.SequenceNumber ?? '' }] };
  };
}
