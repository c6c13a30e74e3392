import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamImageDecoder } from '../adapters/dynamo/message-stream';
import type { Message } from '../core/model';
import { describeError } from '../logger';
import type { Logger } from '../ports';
import type { FanOutService } from '../services/fanout';

export type FanOutHandler = (event: DynamoDBStreamEvent) => Promise<DynamoDBBatchResponse>;

/**
 * The messages table's stream: each INSERT of a message is fanned out, and each attempt
 * request (resend, recover, test send) becomes its delivery tasks. Records are worked
 * on together (the messages as one fan-out); on failure the earliest failed sequence
 * number is reported, so the batch is retried from there (fan-out is idempotent, so
 * records after it may run twice).
 */
export function createFanOutHandler(deps: {
  readonly fanOut: FanOutService;
  /** Reads the message or attempt request out of a record's NEW_IMAGE (undefined for other items). */
  readonly decode: StreamImageDecoder;
  readonly logger: Logger;
}): FanOutHandler {
  return async (event) => {
    const messages: { readonly index: number; readonly message: Message }[] = [];
    const jobs: { readonly index: number; readonly run: () => Promise<unknown> }[] = [];
    event.Records.forEach((record, index) => {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || image === undefined) return;
      let work: ReturnType<StreamImageDecoder>;
      try {
        // aws-lambda's stream types mirror the SDK's AttributeValue map.
        work = deps.decode(image as Record<string, AttributeValue>);
      } catch (error) {
        jobs.push({ index, run: () => Promise.reject(error) });
        return;
      }
      if (work === undefined) return;
      if ('message' in work) messages.push({ index, message: work.message });
      else {
        const { request } = work;
        jobs.push({ index, run: () => deps.fanOut.dispatchRequest(request) });
      }
    });
    // The batch's messages as one fan-out (their first tasks share SQS requests): a failure
    // is reported at the first of them, and the batch runs again from there.
    const [first] = messages;
    if (first !== undefined) {
      jobs.push({
        index: first.index,
        run: () => deps.fanOut.fanOutAll(messages.map((entry) => entry.message)),
      });
    }
    const results = await Promise.allSettled(jobs.map((job) => job.run()));
    const failed = jobs.filter((_, position) => results[position]?.status === 'rejected');
    if (failed.length === 0) return { batchItemFailures: [] };
    const failedAt = Math.min(...failed.map((job) => job.index));
    const failure = results[jobs.findIndex((job) => job.index === failedAt)] as PromiseRejectedResult;
    const record = event.Records[failedAt];
    deps.logger.error('fan-out failed', {
      sequenceNumber: record?.dynamodb?.SequenceNumber,
      ...describeError(failure.reason),
    });
    return { batchItemFailures: [{ itemIdentifier: record?.dynamodb?.SequenceNumber ?? '' }] };
  };
}
