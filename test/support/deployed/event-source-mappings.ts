import { createHash } from 'node:crypto';
import {
  DescribeStreamCommand,
  type DynamoDBStreamsClient,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import {
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  type Message,
  ReceiveMessageCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import type { EmulatedFunction, InvokeOutcome } from './lambda-runtime';

/**
 * Lambda's event source mappings, offline, from the template's settings: pollers that
 * read the source with the function role's own credentials (through the IAM-checking
 * stand-ins, as the Lambda service uses that role), hand batches to the function, and
 * treat its answer as Lambda does: a partial batch response names the records to keep
 * (SQS) or to retry from (streams); an answer that names a record outside the batch, or a
 * failed invocation, fails the whole batch.
 */

export interface Poller {
  /** What went wrong while reading the source, for a test to show. */
  readonly problems: readonly string[];
  start(): Promise<void>;
  stop(): Promise<void>;
}

interface BatchItemFailure {
  readonly itemIdentifier?: unknown;
}

/** The records a partial batch response names, or undefined when it fails the whole batch. */
function namedFailures(outcome: InvokeOutcome, identifiers: readonly string[]): Set<string> | undefined {
  if (!outcome.ok) return undefined;
  const failures =
    (outcome.result as { batchItemFailures?: BatchItemFailure[] } | null)?.batchItemFailures ?? [];
  const named = new Set<string>();
  for (const failure of failures) {
    if (typeof failure.itemIdentifier !== 'string' || !identifiers.includes(failure.itemIdentifier))
      return undefined;
    named.add(failure.itemIdentifier);
  }
  return named;
}

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export interface SqsMappingSettings {
  readonly queueUrl: string;
  readonly queueArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly maximumConcurrency: number;
  readonly reportBatchItemFailures: boolean;
}

/** An SQS event source mapping: long polls, batches, partial batch responses, capped concurrency. */
export class SqsPoller implements Poller {
  readonly problems: string[] = [];
  private running = false;
  private loop: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly fn: EmulatedFunction,
    private readonly sqs: SQSClient,
    private readonly settings: SqsMappingSettings,
  ) {}

  async start(): Promise<void> {
    // As when Lambda creates the mapping: the role must be able to read the queue's attributes.
    await this.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: this.settings.queueUrl,
        AttributeNames: ['VisibilityTimeout'],
      }),
    );
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
    await Promise.allSettled([...this.inFlight]);
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.inFlight.size >= this.settings.maximumConcurrency) {
        await Promise.race(this.inFlight);
        continue;
      }
      let messages: Message[];
      try {
        ({ Messages: messages = [] } = await this.sqs.send(
          new ReceiveMessageCommand({
            QueueUrl: this.settings.queueUrl,
            MaxNumberOfMessages: this.settings.batchSize,
            WaitTimeSeconds: 1,
            MessageSystemAttributeNames: ['All'],
            MessageAttributeNames: ['All'],
          }),
        ));
      } catch (error) {
        this.problems.push(String(error));
        await pause(200);
        continue;
      }
      if (messages.length === 0) continue;
      const batch = this.deliver(messages).finally(() => this.inFlight.delete(batch));
      this.inFlight.add(batch);
    }
  }

  private async deliver(messages: readonly Message[]): Promise<void> {
    const outcome = await this.fn.invoke({ Records: messages.map((message) => this.record(message)) });
    const ids = messages.map((message) => message.MessageId ?? '');
    const failed = this.settings.reportBatchItemFailures
      ? namedFailures(outcome, ids)
      : outcome.ok
        ? new Set<string>()
        : undefined;
    // A failed batch stays on the queue: each message comes back after its visibility timeout.
    if (failed === undefined) return;
    const done = messages.filter((message) => !failed.has(message.MessageId ?? ''));
    if (done.length === 0) return;
    await this.sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: this.settings.queueUrl,
        Entries: done.map((message, index) => ({ Id: String(index), ReceiptHandle: message.ReceiptHandle })),
      }),
    );
  }

  private record(message: Message) {
    const attributes = message.Attributes ?? {};
    return {
      messageId: message.MessageId,
      receiptHandle: message.ReceiptHandle,
      body: message.Body,
      attributes: {
        ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
        SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
        SenderId: attributes.SenderId ?? 'AIDAEMULATED',
        ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: message.MessageAttributes ?? {},
      md5OfBody:
        message.MD5OfBody ??
        createHash('md5')
          .update(message.Body ?? '')
          .digest('hex'),
      eventSource: 'aws:sqs',
      eventSourceARN: this.settings.queueArn,
      awsRegion: this.settings.region,
    };
  }
}

/**
 * Whether a record matches an event filtering pattern: every key of the pattern must
 * match, an array lists the values allowed. Only exact values are emulated; any other
 * rule (prefix, numeric, exists, …) fails loudly rather than pass everything.
 */
export function matchesPattern(pattern: unknown, value: unknown): boolean {
  if (Array.isArray(pattern)) {
    return pattern.some((rule) => {
      if (rule !== null && typeof rule === 'object') {
        throw new Error(`The filter rule ${JSON.stringify(rule)} is not emulated here.`);
      }
      return Array.isArray(value) ? value.includes(rule) : value === rule;
    });
  }
  if (pattern === null || typeof pattern !== 'object') {
    throw new Error(`A filter pattern holds objects and arrays of values, not ${JSON.stringify(pattern)}.`);
  }
  return Object.entries(pattern).every(([key, expected]) =>
    matchesPattern(expected, (value as Record<string, unknown> | null | undefined)?.[key]),
  );
}

export interface StreamMappingSettings {
  readonly streamArn: string;
  readonly region: string;
  readonly batchSize: number;
  readonly startingPosition: 'TRIM_HORIZON' | 'LATEST';
  readonly filters: readonly unknown[];
  readonly reportBatchItemFailures: boolean;
  readonly maximumRetryAttempts: number;
  /** Where a batch that failed every retry is reported (an SQS queue), if anywhere. */
  readonly onFailure?: { readonly queueUrl: string };
}

/**
 * A DynamoDB stream event source mapping: reads each shard in order, drops records no
 * filter matches, hands the rest over in batches, and retries from the first failed record
 * (or the whole batch) up to the retry limit, then reports the batch to the on-failure
 * destination and moves on, as Lambda does.
 */
export class StreamPoller implements Poller {
  private running = false;
  private loop: Promise<void> | undefined;
  /** Batches reported to the on-failure destination. */
  readonly discarded: StreamRecord[][] = [];
  /** What went wrong while reading the stream, for a test to show. */
  readonly problems: string[] = [];
  /** The last record handed over, per shard. */
  private readonly positions = new Map<string, string>();

  constructor(
    private readonly fn: EmulatedFunction,
    private readonly streams: DynamoDBStreamsClient,
    private readonly sqs: SQSClient,
    private readonly settings: StreamMappingSettings,
  ) {}

  async start(): Promise<void> {
    await this.streams.send(new ListStreamsCommand({}));
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    await this.loop;
  }

  private async run(): Promise<void> {
    const finishedShards = new Set<string>();
    while (this.running) {
      try {
        const { StreamDescription } = await this.streams.send(
          new DescribeStreamCommand({ StreamArn: this.settings.streamArn }),
        );
        const shards = StreamDescription?.Shards ?? [];
        // A shard is read once its parent is done (or gone): records come out in order.
        const next = shards.find(
          (shard) =>
            shard.ShardId !== undefined &&
            !finishedShards.has(shard.ShardId) &&
            (shard.ParentShardId === undefined ||
              finishedShards.has(shard.ParentShardId) ||
              !shards.some((other) => other.ShardId === shard.ParentShardId)),
        );
        if (next?.ShardId === undefined) {
          await pause(100);
          continue;
        }
        await this.readShard(next.ShardId);
        if (this.running) finishedShards.add(next.ShardId);
      } catch (error) {
        this.problems.push(String(error));
        await pause(200);
      }
    }
  }

  /**
   * Reads one shard until it is closed (or the poller stops), handing its records over in
   * order. A failed read opens the shard again after the last record handed over.
   */
  private async readShard(shardId: string): Promise<void> {
    let lastHandedOver = this.positions.get(shardId);
    const open = async () =>
      (
        await this.streams.send(
          new GetShardIteratorCommand({
            StreamArn: this.settings.streamArn,
            ShardId: shardId,
            ...(lastHandedOver === undefined
              ? { ShardIteratorType: this.settings.startingPosition }
              : { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: lastHandedOver }),
          }),
        )
      ).ShardIterator;
    let iterator = await open();
    while (this.running && iterator !== undefined) {
      let output: Awaited<ReturnType<typeof this.getRecords>>;
      try {
        output = await this.getRecords(iterator);
      } catch (error) {
        this.problems.push(`GetRecords on ${shardId}: ${String(error)}`);
        await pause(200);
        iterator = await open();
        continue;
      }
      iterator = output.NextShardIterator;
      const records = output.Records ?? [];
      if (records.length === 0) {
        await pause(100);
        continue;
      }
      const passing = records.filter((record) => this.passesFilters(record));
      for (let start = 0; start < passing.length && this.running; start += this.settings.batchSize) {
        await this.handOver(passing.slice(start, start + this.settings.batchSize));
      }
      lastHandedOver = records.at(-1)?.dynamodb?.SequenceNumber ?? lastHandedOver;
      if (lastHandedOver !== undefined) this.positions.set(shardId, lastHandedOver);
    }
  }

  private getRecords(iterator: string) {
    return this.streams.send(
      new GetRecordsCommand({ ShardIterator: iterator, Limit: this.settings.batchSize }),
    );
  }

  private passesFilters(record: StreamRecord): boolean {
    if (this.settings.filters.length === 0) return true;
    const event = this.eventRecord(record);
    return this.settings.filters.some((filter) => matchesPattern(filter, event));
  }

  /** Hands a batch over, retrying as Lambda does, and at last reports it to the on-failure destination. */
  private async handOver(batch: StreamRecord[]): Promise<void> {
    let remaining = batch;
    for (let attempt = 0; attempt <= this.settings.maximumRetryAttempts && this.running; attempt++) {
      const outcome = await this.fn.invoke({ Records: remaining.map((record) => this.eventRecord(record)) });
      const sequences = remaining.map((record) => record.dynamodb?.SequenceNumber ?? '');
      const failures = this.settings.reportBatchItemFailures
        ? namedFailures(outcome, sequences)
        : outcome.ok
          ? new Set<string>()
          : undefined;
      if (failures !== undefined && failures.size === 0) return;
      if (failures !== undefined) {
        // Retry from the earliest failed record: those before it are done.
        const from = Math.min(...[...failures].map((sequence) => sequences.indexOf(sequence)));
        remaining = remaining.slice(from);
      }
      await pause(Math.min(1000, 50 * 2 ** attempt));
    }
    if (!this.running) return;
    this.discarded.push(remaining);
    if (this.settings.onFailure !== undefined) {
      await this.sqs.send(
        new SendMessageCommand({
          QueueUrl: this.settings.onFailure.queueUrl,
          MessageBody: JSON.stringify({
            requestContext: { condition: 'RetryAttemptsExhausted', functionArn: this.fn.deployment.arn },
            DDBStreamBatchInfo: {
              streamArn: this.settings.streamArn,
              startSequenceNumber: remaining[0]?.dynamodb?.SequenceNumber,
              endSequenceNumber: remaining.at(-1)?.dynamodb?.SequenceNumber,
              batchSize: remaining.length,
            },
          }),
        }),
      );
    }
  }

  /**
   * The record as Lambda hands it to the function: the stream record, its source ARN and
   * region, in JSON (binary attribute values as base64 text).
   */
  private eventRecord(record: StreamRecord) {
    const created = record.dynamodb?.ApproximateCreationDateTime;
    return withBinaryAsBase64({
      ...record,
      awsRegion: this.settings.region,
      eventSourceARN: this.settings.streamArn,
      dynamodb: {
        ...record.dynamodb,
        ApproximateCreationDateTime: created instanceof Date ? created.getTime() / 1000 : created,
      },
    });
  }
}

/** A value with every byte array in it (a B or BS attribute value) written as base64, as JSON has it. */
function withBinaryAsBase64(value: unknown): unknown {
  if (value instanceof Uint8Array) return Buffer.from(value).toString('base64');
  if (Array.isArray(value)) return value.map(withBinaryAsBase64);
  if (value !== null && typeof value === 'object' && !(value instanceof Date)) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, withBinaryAsBase64(inner)]));
  }
  return value;
}
