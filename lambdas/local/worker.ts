import { createHash } from 'node:crypto';
import type { DynamoDBStreamEvent, SQSEvent } from 'aws-lambda';
import type { DynamoLocalQueue, ReceivedMessage } from '../adapters/local/local-queue';
import type { DynamoLocalScheduler } from '../adapters/local/local-scheduler';
import type { DynamoLocalStream, PendingStreamRecord } from '../adapters/local/local-stream';
import { DELIVERY_BATCH_SIZE, deliveryVisibilityTimeoutMs, FAN_OUT_BATCH_SIZE } from '../contract/queues';
import type { DeliveryHandler } from '../handlers/delivery';
import type { FanOutHandler } from '../handlers/fanout';
import { describeError } from '../logger';
import { type Clock, type Logger, systemClock } from '../ports';
import type { LocalRuntime } from './runtime';

/** What the worker uses of the local stand-ins for the stream, the queue and the scheduler. */
export type WorkerStream = Pick<DynamoLocalStream, 'pending' | 'acknowledgeAll'>;
export type WorkerQueue = Pick<DynamoLocalQueue, 'receive' | 'delete' | 'changeVisibility' | 'nextDueAt'>;
export type WorkerScheduler = Pick<DynamoLocalScheduler, 'fireDue' | 'nextDueAt'>;

export interface LocalWorkerOptions {
  readonly stream: WorkerStream;
  readonly queue: WorkerQueue;
  readonly scheduler: WorkerScheduler;
  readonly fanOut: FanOutHandler;
  readonly delivery: DeliveryHandler;
  readonly clock: Clock;
  readonly logger: Logger;
  /** How long a received task stays invisible: longer than any attempt can take. */
  readonly visibilityTimeoutMs: number;
  /** Batches handed to the delivery handler at once, like Lambda's maximum concurrency. */
  readonly maxConcurrentBatches?: number;
  /** When a record failed, how long before it is tried again. */
  readonly retryBackoffMs?: number;
}

/**
 * The longest the worker sleeps. Every source of work wakes it sooner (an API request
 * nudges it, due times are known), so this only bounds how late a missed nudge is
 * noticed; each wake costs a few store queries, which is what an idle process spends.
 */
const IDLE_POLL_MS = 5000;
/**
 * A cycle that took no work sleeps at least this long, whatever the due times say: a due
 * time the worker cannot act on (its job is being written, or its index entry outlived a
 * crash) must not turn it into a busy loop.
 */
const MIN_IDLE_SLEEP_MS = 25;
const REGION = 'local';
const ACCOUNT = '000000000000';

/**
 * Local mode's stand-in for what AWS runs between the handlers: the DynamoDB stream
 * trigger (new messages → fan-out handler as stream records), EventBridge Scheduler (due
 * schedules → delivery queue) and the SQS event source mapping (due tasks → delivery
 * handler as SQS batches, partial failures handed back). It sleeps until the next due
 * time, or until nudged after an API request.
 */
export class LocalWorker {
  private running = false;
  private loop: Promise<void> | undefined;
  private wake: (() => void) | undefined;
  /** Set by a nudge that came while the worker was awake, so that it does not go to sleep on it. */
  private nudged = false;
  private readonly inFlight = new Set<Promise<void>>();
  private streamPausedUntil = 0;
  private readonly maxConcurrentBatches: number;
  private readonly retryBackoffMs: number;

  constructor(private readonly options: LocalWorkerOptions) {
    this.maxConcurrentBatches = options.maxConcurrentBatches ?? 4;
    this.retryBackoffMs = options.retryBackoffMs ?? 1000;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  /** There may be new work (a message was accepted): look now rather than at the next due time. */
  nudge(): void {
    this.nudged = true;
    this.wake?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      let busy = false;
      try {
        busy = (await this.pumpStream()) || busy;
        busy = (await this.options.scheduler.fireDue()) > 0 || busy;
        busy = (await this.pumpQueue()) || busy;
      } catch (error) {
        this.options.logger.error('local worker cycle failed', describeError(error));
      }
      if (!busy && this.running) await this.sleepUntilWork();
    }
  }

  private async sleepUntilWork(): Promise<void> {
    if (this.nudged) {
      this.nudged = false;
      return;
    }
    const now = this.options.clock.now().getTime();
    const candidates = [now + IDLE_POLL_MS, await this.options.scheduler.nextDueAt()];
    if (this.inFlight.size < this.maxConcurrentBatches) candidates.push(await this.options.queue.nextDueAt());
    if (this.streamPausedUntil > now) candidates.push(this.streamPausedUntil);
    const wakeAt = Math.max(
      now + MIN_IDLE_SLEEP_MS,
      Math.min(...candidates.filter((time): time is number => time !== undefined)),
    );
    if (this.nudged) return; // nudged while the due times were read
    await new Promise<void>((resolve) => {
      const timer = setTimeout(done, Math.max(0, wakeAt - now));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = done;
    });
    this.wake = undefined;
    this.nudged = false;
  }

  private async pumpStream(): Promise<boolean> {
    if (this.options.clock.now().getTime() < this.streamPausedUntil) return false;
    const records = await this.options.stream.pending(FAN_OUT_BATCH_SIZE);
    if (records.length === 0) return false;
    const response = await this.options.fanOut(streamEvent(records));
    const failedSequence = response?.batchItemFailures[0]?.itemIdentifier;
    // As Lambda does for streams: everything before the first failure is done, the rest comes again.
    const failedAt = records.findIndex((record) => record.sequenceNumber === failedSequence);
    await this.options.stream.acknowledgeAll(failedAt === -1 ? records : records.slice(0, failedAt));
    if (failedAt !== -1) this.streamPausedUntil = this.options.clock.now().getTime() + this.retryBackoffMs;
    return failedAt === -1;
  }

  /**
   * Starts a batch in every free slot while the queue has due tasks, so that the slots
   * stay busy; a batch that ends nudges the worker to fill its slot again at once.
   */
  private async pumpQueue(): Promise<boolean> {
    let started = false;
    while (this.running && this.inFlight.size < this.maxConcurrentBatches) {
      const messages = await this.options.queue.receive(
        DELIVERY_BATCH_SIZE,
        this.options.visibilityTimeoutMs,
      );
      if (messages.length === 0) break;
      const batch = this.runBatch(messages).finally(() => {
        this.inFlight.delete(batch);
        this.nudge();
      });
      this.inFlight.add(batch);
      started = true;
      // Fewer than asked for: nothing more is due now.
      if (messages.length < DELIVERY_BATCH_SIZE) break;
    }
    return started;
  }

  private async runBatch(messages: readonly ReceivedMessage[]): Promise<void> {
    const { queue, logger } = this.options;
    let failed: ReadonlySet<string>;
    try {
      const response = await this.options.delivery(sqsEvent(messages, this.options.clock.now()));
      failed = new Set((response?.batchItemFailures ?? []).map((failure) => failure.itemIdentifier));
    } catch (error) {
      logger.error('delivery handler failed a whole batch', describeError(error));
      failed = new Set(messages.map((message) => message.messageId));
    }
    await Promise.all(
      messages.map((message) =>
        failed.has(message.messageId)
          ? queue.changeVisibility(message.receipt, this.retryBackoffMs)
          : queue.delete(message.receipt),
      ),
    );
  }
}

/**
 * The worker for a local runtime. As on AWS, a received task stays invisible for six
 * times the delivery function's timeout, so that no task is handed out twice while it runs.
 */
export function createLocalWorker(
  runtime: LocalRuntime,
  options: { readonly logger: Logger; readonly attemptTimeoutMs: number; readonly retryBackoffMs?: number },
): LocalWorker {
  const worker = new LocalWorker({
    stream: runtime.stream,
    queue: runtime.queue,
    scheduler: runtime.scheduler,
    fanOut: runtime.handlers.fanOut,
    delivery: runtime.handlers.delivery,
    clock: systemClock,
    logger: options.logger,
    visibilityTimeoutMs: deliveryVisibilityTimeoutMs(options.attemptTimeoutMs),
    retryBackoffMs: options.retryBackoffMs,
  });
  runtime.onAttemptRequested(() => worker.nudge());
  return worker;
}

function streamEvent(records: readonly PendingStreamRecord[]): DynamoDBStreamEvent {
  return {
    Records: records.map((record) => ({
      eventID: record.sequenceNumber,
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: REGION,
      eventSourceARN: `arn:aws:dynamodb:${REGION}:${ACCOUNT}:table/messages/stream/local`,
      dynamodb: {
        Keys: record.keys as never,
        NewImage: record.newImage as never,
        SequenceNumber: record.sequenceNumber,
        StreamViewType: 'NEW_IMAGE',
      },
    })),
  };
}

function sqsEvent(messages: readonly ReceivedMessage[], now: Date): SQSEvent {
  return {
    Records: messages.map((message) => ({
      messageId: message.messageId,
      receiptHandle: message.receipt,
      body: message.body,
      attributes: {
        ApproximateReceiveCount: String(message.receiveCount),
        SentTimestamp: String(now.getTime()),
        SenderId: ACCOUNT,
        ApproximateFirstReceiveTimestamp: String(now.getTime()),
      },
      messageAttributes: {},
      md5OfBody: createHash('md5').update(message.body).digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: `arn:aws:sqs:${REGION}:${ACCOUNT}:delivery-queue`,
      awsRegion: REGION,
    })),
  };
}
