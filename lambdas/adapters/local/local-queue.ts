import { randomUUID } from 'node:crypto';
import type { DeliveryTask } from '../../core/model';
import type { Clock, DeliveryQueue, SendOptions } from '../../ports';
import type { Documents } from '../dynamo/documents';
import { type DueJob, DueJobTable, parseReceipt } from './due-jobs';

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
  readonly doc: Documents;
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
 *
 * Leases and deletes are written in batches (BatchWriteItem), which cannot carry the
 * conditions that keep one job from being handed out twice. They need none because the
 * queue is its lane's only writer while it leases and deletes: local mode runs one queue
 * per data directory (lambdas/local/data-dir-lock.ts); its receives, deletes and visibility
 * changes run one at a time (`exclusively`), so the jobs a receive read as due are still
 * so when it leases them; and it remembers the leases it holds, so a delete goes into a
 * batch only under the job's current lease. Any other receipt (a lease that ran out and
 * went to a later receive) takes the conditional delete, which ignores it. Across a crash
 * nothing changes: a batch is written item by item, each job is as it was or as it was
 * put, and leases left behind are taken back at start-up (recoverLeases); the memory of
 * leases goes with the process.
 */
export class DynamoLocalQueue implements DeliveryQueue, QueueReceiver {
  private readonly jobs: DueJobTable;
  private readonly deadLetters: DueJobTable;
  /** The leases this queue holds: job id → when the lease ends (the receipt's `until`). */
  private readonly leases = new Map<string, number>();
  private lastExclusive: Promise<unknown> = Promise.resolve();
  private readonly deletesToWrite: {
    readonly receipt: string;
    readonly resolve: () => void;
    readonly reject: (error: unknown) => void;
  }[] = [];

  constructor(private readonly options: LocalQueueOptions) {
    this.jobs = new DueJobTable(options.doc, options.tableName, LANE);
    this.deadLetters = new DueJobTable(options.doc, options.tableName, DEAD_LETTER_LANE);
  }

  async send(tasks: readonly DeliveryTask[], sendOptions: SendOptions = {}): Promise<void> {
    const dueAt = this.options.clock.now().getTime() + Math.max(0, sendOptions.delayMs ?? 0);
    await this.jobs.putAll(tasks.map((task) => ({ id: randomUUID(), body: JSON.stringify(task), dueAt })));
  }

  async receive(maxMessages: number, visibilityTimeoutMs: number): Promise<ReceivedMessage[]> {
    return this.exclusively(async () => {
      const now = this.options.clock.now().getTime();
      const toLease: DueJob[] = [];
      for (const job of await this.jobs.due(now, maxMessages)) {
        if (job.receiveCount < this.options.maxReceiveCount) {
          toLease.push(job);
          continue;
        }
        await this.jobs.moveTo(job, DEAD_LETTER_LANE, now);
        this.leases.delete(job.id);
        this.options.onDeadLetter?.({ messageId: job.id, receiveCount: job.receiveCount });
      }
      const leases = await this.jobs.leaseAll(toLease, now + visibilityTimeoutMs);
      for (const { job, receipt } of leases) this.leases.set(job.id, parseReceipt(receipt).until);
      return leases.map(({ job, receipt }) => ({
        messageId: job.id,
        receipt,
        body: job.body,
        receiveCount: job.receiveCount,
      }));
    });
  }

  /**
   * Deletes a received message. Deletes asked for together (the worker deletes a batch's
   * messages at once) go out together, in one BatchWriteItem.
   */
  delete(receipt: string): Promise<void> {
    const deleted = new Promise<void>((resolve, reject) =>
      this.deletesToWrite.push({ receipt, resolve, reject }),
    );
    if (this.deletesToWrite.length === 1) queueMicrotask(() => void this.writeDeletes());
    return deleted;
  }

  private async writeDeletes(): Promise<void> {
    const deletes = this.deletesToWrite.splice(0);
    try {
      await this.exclusively(async () => {
        const current: string[] = [];
        const others: string[] = [];
        for (const { receipt } of deletes) {
          const { id, until } = parseReceipt(receipt);
          if (this.leases.get(id) === until) {
            current.push(id);
            this.leases.delete(id);
          } else others.push(receipt);
        }
        await this.jobs.deleteAll(current);
        // A lease this queue does not hold now (it ran out and the job went to a later receive,
        // or another queue took it): only the conditional delete may decide.
        await Promise.all(others.map((receipt) => this.jobs.deleteLeased(receipt)));
      });
      for (const { resolve } of deletes) resolve();
    } catch (error) {
      for (const { reject } of deletes) reject(error);
    }
  }

  changeVisibility(receipt: string, delayMs: number): Promise<void> {
    return this.exclusively(() => {
      const { id, until } = parseReceipt(receipt);
      // Only this receipt's lease: a stale one must not forget the lease of a later receive.
      if (this.leases.get(id) === until) this.leases.delete(id);
      return this.jobs.release(receipt, this.options.clock.now().getTime() + delayMs);
    });
  }

  /** Runs `work` when the queue's earlier leases and deletes are done, and nothing else meanwhile. */
  private exclusively<Result>(work: () => Promise<Result>): Promise<Result> {
    const result = this.lastExclusive.then(work);
    this.lastExclusive = result.catch(() => undefined);
    return result;
  }

  nextDueAt(): Promise<number | undefined> {
    return this.jobs.nextDueAt();
  }

  /** At start-up: messages leased by a process that is gone are due again now. */
  recoverLeases(): Promise<number> {
    return this.exclusively(() => {
      this.leases.clear();
      return this.jobs.releaseAllLeases(this.options.clock.now().getTime());
    });
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
