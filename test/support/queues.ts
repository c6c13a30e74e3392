import { randomBytes } from 'node:crypto';
import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SQSClient,
} from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import { AwsJsonClient, SQS } from '../../lambdas/adapters/aws/json-protocol/aws-json-client';
import { SqsDeliveryQueue } from '../../lambdas/adapters/aws/sqs/sqs-delivery-queue';
import {
  DynamoLocalQueue,
  type QueueReceiver,
  type ReceivedMessage,
} from '../../lambdas/adapters/local/local-queue';
import type { AwsEnvironment } from '../../lambdas/config';
import type { DeliveryQueue } from '../../lambdas/ports';
import { type DynamoEngine, freshTables, startDynalite } from './dynamodb';
import { ManualClock } from './fixtures';

/** One queue under test: its sending side (the port), its receiving side, and its time. */
export interface QueueHarness {
  readonly queue: DeliveryQueue;
  readonly receiver: QueueReceiver;
  /** Lets `ms` pass for the queue: a manual clock moves, a real queue is waited for. */
  advance(ms: number): Promise<void>;
  /** Bodies that went to the dead-letter queue. */
  deadLetters(): Promise<string[]>;
}

export interface QueueBackend {
  readonly name: string;
  start(): Promise<{ harness(maxReceiveCount: number): Promise<QueueHarness>; close(): Promise<void> }>;
}

export const localQueueBackend: QueueBackend = {
  name: 'local queue (dynalite)',
  async start() {
    const engine: DynamoEngine = await startDynalite();
    return {
      async harness(maxReceiveCount) {
        const { doc, tables } = await freshTables(engine.endpoint);
        const clock = new ManualClock();
        const queue = new DynamoLocalQueue({ doc, tableName: tables.localJobs, clock, maxReceiveCount });
        return {
          queue,
          receiver: queue,
          advance: async (ms) => clock.advance(ms),
          deadLetters: () => queue.deadLetterBodies(),
        };
      },
      close: () => engine.close(),
    };
  },
};

/** The receiving side of SQS, as Lambda's event source mapping uses it. */
class SqsQueueReceiver implements QueueReceiver {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
  ) {}

  async receive(maxMessages: number, visibilityTimeoutMs: number): Promise<ReceivedMessage[]> {
    const { Messages = [] } = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.queueUrl,
        MaxNumberOfMessages: Math.min(10, maxMessages),
        VisibilityTimeout: Math.ceil(visibilityTimeoutMs / 1000),
        WaitTimeSeconds: 0,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
      }),
    );
    return Messages.map((message) => ({
      messageId: message.MessageId ?? '',
      receipt: message.ReceiptHandle ?? '',
      body: message.Body ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? 0),
    }));
  }

  async delete(receipt: string): Promise<void> {
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receipt }));
  }

  async changeVisibility(receipt: string, delayMs: number): Promise<void> {
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: receipt,
        VisibilityTimeout: Math.ceil(delayMs / 1000),
      }),
    );
  }
}

/** A queue fauxqs made: its URL to send to, its ARN to name it by. */
export interface FauxqsQueue {
  readonly url: string;
  readonly arn: string;
}

/** The region and key a client of fauxqs at `url` signs with (fauxqs checks neither). */
export function fauxqsEnvironment(url: string): AwsEnvironment {
  return {
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    endpointOverride: () => url,
  };
}

/** The fauxqs emulator, in this process, on 127.0.0.1 only, with clients of it. */
export async function startFauxqs(): Promise<{
  /** The SDK's client, for the harness (creating queues, receiving). */
  readonly sqs: SQSClient;
  /** The functions' own client of SQS (aws-json-client.ts). */
  readonly jsonClient: AwsJsonClient;
  /** The emulator's endpoint. */
  readonly url: string;
  createQueue(name: string, attributes?: Record<string, string>): Promise<FauxqsQueue>;
  close(): Promise<void>;
}> {
  const app = buildApp({ logger: false });
  const address = await app.listen({ port: 0, host: '127.0.0.1' });
  const environment = fauxqsEnvironment(address);
  const sqs = new SQSClient({
    endpoint: address,
    region: environment.region,
    credentials: environment.credentials,
  });
  const jsonClient = new AwsJsonClient(SQS, { environment });
  return {
    sqs,
    jsonClient,
    url: address,
    async createQueue(name, attributes = {}) {
      const { QueueUrl } = await sqs.send(
        new CreateQueueCommand({ QueueName: name, Attributes: attributes }),
      );
      if (QueueUrl === undefined) throw new Error(`fauxqs did not create ${name}`);
      const { Attributes } = await sqs.send(
        new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }),
      );
      return { url: QueueUrl, arn: Attributes?.QueueArn ?? '' };
    },
    async close() {
      sqs.destroy();
      await app.close();
    },
  };
}

/** SQS as emulated by fauxqs. */
export const fauxqsBackend: QueueBackend = {
  name: 'SQS (fauxqs)',
  async start() {
    const fauxqs = await startFauxqs();
    const { sqs } = fauxqs;
    return {
      async harness(maxReceiveCount) {
        const suffix = randomBytes(4).toString('hex');
        const dlq = await fauxqs.createQueue(`delivery-dlq-${suffix}`);
        const main = await fauxqs.createQueue(`delivery-${suffix}`, {
          RedrivePolicy: JSON.stringify({
            deadLetterTargetArn: dlq.arn,
            maxReceiveCount: String(maxReceiveCount),
          }),
        });
        const dlqReceiver = new SqsQueueReceiver(sqs, dlq.url);
        return {
          queue: new SqsDeliveryQueue(fauxqs.jsonClient, main.url),
          receiver: new SqsQueueReceiver(sqs, main.url),
          advance: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
          deadLetters: async () => (await dlqReceiver.receive(10, 30_000)).map((message) => message.body),
        };
      },
      close: () => fauxqs.close(),
    };
  },
};
