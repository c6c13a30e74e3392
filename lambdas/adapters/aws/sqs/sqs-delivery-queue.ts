import type { SendMessageBatchRequestEntry, SendMessageBatchResult } from '@aws-sdk/client-sqs';
import { MAX_QUEUE_DELAY_MS } from '../../../contract/queues';
import type { DeliveryTask } from '../../../core/model';
import type { DeliveryQueue, SendOptions } from '../../../ports';
import type { AwsJsonClient } from '../json-protocol/aws-json-client';

/** SQS takes at most 10 messages per SendMessageBatch. */
const SQS_BATCH_LIMIT = 10;
const MAX_SEND_ROUNDS = 3;

/**
 * The delivery queue on SQS. Delays ride on per-message DelaySeconds (whole seconds, at
 * most 900), so a delay is rounded up rather than cut short. Entries SQS reports as
 * failed are sent again a few times; what still fails makes the call fail, and whoever
 * called (a stream or queue handler) is retried.
 */
export class SqsDeliveryQueue implements DeliveryQueue {
  constructor(
    private readonly sqs: Pick<AwsJsonClient, 'call'>,
    private readonly queueUrl: string,
  ) {}

  async send(tasks: readonly DeliveryTask[], options: SendOptions = {}): Promise<void> {
    const delayMs = Math.max(0, options.delayMs ?? 0);
    if (delayMs > MAX_QUEUE_DELAY_MS) {
      throw new RangeError(`SQS delays stop at 900 s; ${delayMs} ms belongs on the retry scheduler.`);
    }
    const DelaySeconds = Math.ceil(delayMs / 1000);
    for (let start = 0; start < tasks.length; start += SQS_BATCH_LIMIT) {
      const entries = tasks.slice(start, start + SQS_BATCH_LIMIT).map((task, index) => ({
        Id: String(index),
        MessageBody: JSON.stringify(task),
        DelaySeconds,
      }));
      await this.sendBatch(entries);
    }
  }

  private async sendBatch(entries: SendMessageBatchRequestEntry[]): Promise<void> {
    let pending = entries;
    for (let round = 1; pending.length > 0; round++) {
      const output = await this.sqs.call<SendMessageBatchResult>('SendMessageBatch', {
        QueueUrl: this.queueUrl,
        Entries: pending,
      });
      const failed = output.Failed ?? [];
      if (failed.length === 0) return;
      if (round >= MAX_SEND_ROUNDS || failed.some((failure) => failure.SenderFault)) {
        const reasons = failed.map((failure) => `${failure.Code}: ${failure.Message ?? ''}`).join('; ');
        throw new Error(`SQS refused ${failed.length} of ${pending.length} delivery tasks: ${reasons}`);
      }
      const failedIds = new Set(failed.map((failure) => failure.Id));
      pending = pending.filter((entry) => failedIds.has(entry.Id));
      await new Promise((resolve) => setTimeout(resolve, 50 * 2 ** round));
    }
  }
}
