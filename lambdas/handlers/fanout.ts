import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import type { StreamImageDecoder } from '../adapters/dynamo/message-stream';
import type { AttemptRequest, Message } from '../core/model';
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
    const works = event.Records.map((record, index) => {
      const image = record.dynamodb?.NewImage;
      if (record.eventName !== 'INSERT' || image === undefined) return undefined;
      // aws-lambda's stream types mirror the SDK's AttributeValue map.
      const work = deps.decode(image as Record<string, AttributeValue>);
      return work === undefined ? undefined : { index, work };
    });
    const messages = works.flatMap((entry) =>
      entry !== undefined && 'message' in entry.work ? [entry] : [],
    );
    const requests = works.flatMap((entry) =>
      entry !== undefined && 'request' in entry.work ? [entry] : [],
    );
    // The batch's messages together (their first tasks share SQS requests), each request on its own.
    const jobs = [
      ...(messages.length === 0
        ? []
        : [
            {
              index: messages[0]?.index ?? 0,
              run: () =>
                deps.fanOut.fanOutAll(messages.map((entry) => (entry.work as { message: Message }).message)),
            },
          ]),
      ...requests.map((entry) => ({
        index: entry.index,
        run: () => deps.fanOut.dispatchRequest((entry.work as { request: AttemptRequest }).request),
      })),
    ];
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
