import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DeliveryTask } from '../../core/model';
import type { Clock, DeliveryQueue, SendOptions } from '../../ports';
import { DueJobTable } from './due-jobs';

/** A message handed out by a queue, SQS-style: it stays invisible until deleted or its lease runs out. */
export interface ReceivedMessage {
  readonly messageId: string;
  readonly receipt: string;
  readonly body: string;
  readonly receiveCount: number;
}

/** The consuming side of a queue (Lambda's event source mapping does this on AWS). */
export interface QueueReceiver {
  receive(maxMessages: number, visibilityTimeoutMs: number): Promise<ReceivedMessage[]>;
  delete(receipt: string): Promise<void>;
  /** Makes a received message visible again after `delayMs` (0: now). */
  changeVisibility(receipt: string, delayMs: number): Promise<void>;
}

export interface LocalQueueOptions {
  readonly doc: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly clock: Clock;
  /** After this many receives a message goes to the dead-letter lane, as SQS redrive does. */
  readonly maxReceiveCount: number;
  /** Told of every message moved to the dead-letter lane: local mode's alarm. */
  readonly onDeadLetter?: (message: { readonly messageId: string; readonly receiveCount: number }) => void;
}

const LANE = 'delivery-queue';
const DEAD_LETTER_LANE = 'delivery-dlq';

/**
 * The delivery queue of local mode, durable in the local-jobs table so that a restart,
 * even a SIGKILL, loses no queued delivery. Unlike SQS it takes delays of any length.
 */
export class DynamoLocalQueue implements DeliveryQueue, QueueReceiver {
  private readonly jobs: DueJobTable;
  private readonly deadLetters: DueJobTable;

  constructor(private readonly options: LocalQueueOptions) {
    this.jobs = new DueJobTable(options.doc, options.tableName, LANE);
    this.deadLetters = new DueJobTable(options.doc, options.tableName, DEAD_LETTER_LANE);
  }

  async send(tasks: readonly DeliveryTask[], sendOptions: SendOptions = {}): Promise<void> {
    const dueAt = this.options.clock.now().getTime() + Math.max(0, sendOptions.delayMs ?? 0);
    await this.jobs.putAll(tasks.map((task) => ({ id: randomUUID(), body: JSON.stringify(task), dueAt })));
  }

  async receive(maxMessages: number, visibilityTimeoutMs: number): Promise<ReceivedMessage[]> {
    const now = this.options.clock.now().getTime();
    // Each job is leased by its own conditional update, all at once: a job someone else
    // leased first is left out, whatever order the updates finish in.
    const leased = await Promise.all(
      (await this.jobs.due(now, maxMessages)).map(async (job): Promise<ReceivedMessage | undefined> => {
        if (job.receiveCount >= this.options.maxReceiveCount) {
          await this.jobs.moveTo(job, DEAD_LETTER_LANE, now);
          this.options.onDeadLetter?.({ messageId: job.id, receiveCount: job.receiveCount });
          return undefined;
        }
        const lease = await this.jobs.lease(job, now + visibilityTimeoutMs);
        if (lease === undefined) return undefined;
        return {
          messageId: job.id,
          receipt: lease.receipt,
          body: job.body,
          receiveCount: lease.job.receiveCount,
        };
      }),
    );
    return leased.filter((message): message is ReceivedMessage => message !== undefined);
  }

  delete(receipt: string): Promise<void> {
    return this.jobs.deleteLeased(receipt);
  }

  changeVisibility(receipt: string, delayMs: number): Promise<void> {
    return this.jobs.release(receipt, this.options.clock.now().getTime() + delayMs);
  }

  nextDueAt(): Promise<number | undefined> {
    return this.jobs.nextDueAt();
  }

  /** At start-up: messages leased by a process that is gone are due again now. */
  recoverLeases(): Promise<number> {
    return this.jobs.releaseAllLeases(this.options.clock.now().getTime());
  }

  /**
   * Puts every dead-lettered message back on the queue, due now, with its receives counted
   * from 0 again (what `aws sqs start-message-move-task` does on AWS); answers how many.
   */
  async redriveDeadLetters(): Promise<number> {
    const now = this.options.clock.now().getTime();
    let moved = 0;
    for (let batch = await this.deadLetters.due(Number.MAX_SAFE_INTEGER, 100); batch.length > 0; ) {
      for (const job of batch) await this.deadLetters.moveTo(job, LANE, now);
      moved += batch.length;
      batch = await this.deadLetters.due(Number.MAX_SAFE_INTEGER, 100);
    }
    return moved;
  }

  /** Bodies of the messages that exhausted their receives. */
  async deadLetterBodies(limit = 100): Promise<string[]> {
    return (await this.deadLetters.due(Number.MAX_SAFE_INTEGER, limit)).map((job) => job.body);
  }
}
