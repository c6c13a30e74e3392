import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../adapters/aws/dynamo/client';
import { createDynamoStores } from '../adapters/aws/dynamo/stores';
import { ensureTables, type TableNames, tableNamesWithPrefix } from '../adapters/aws/dynamo/tables';
import { GuardedHttpSender } from '../adapters/http/guarded-http-sender';
import { DynamoLocalQueue } from '../adapters/local/local-queue';
import { DynamoLocalScheduler } from '../adapters/local/local-scheduler';
import { DynamoLocalStream } from '../adapters/local/local-stream';
import { LocalTtlSweeper } from '../adapters/local/ttl-sweeper';
import type { RuntimeConfig } from '../config';
import { hashKey } from '../core/keys';
import { type ApiHandler, bearerKeyAuthenticator, createApiHandler } from '../handlers/api';
import { createDeliveryHandler, type DeliveryHandler } from '../handlers/delivery';
import { createFanOutHandler, type FanOutHandler } from '../handlers/fanout';
import { type Clock, type Logger, systemClock, type WebhookSender } from '../ports';
import { createServices, type Services } from '../services';

/** SQS would redrive a message to its dead-letter queue after this many receives. */
const MAX_RECEIVE_COUNT = 10;

export interface LocalRuntimeOptions {
  readonly config: RuntimeConfig;
  readonly dynamoEndpoint: string;
  readonly adminKey: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Defaults to the guarded sender that allows loopback targets and nothing else private. */
  readonly sender?: WebhookSender;
}

export interface LocalRuntime {
  readonly tables: TableNames;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  readonly services: Services;
  readonly queue: DynamoLocalQueue;
  readonly scheduler: DynamoLocalScheduler;
  readonly stream: DynamoLocalStream;
  readonly sweeper: LocalTtlSweeper;
  readonly handlers: {
    readonly api: ApiHandler;
    readonly fanOut: FanOutHandler;
    readonly delivery: DeliveryHandler;
  };
  close(): void;
}

/**
 * Local mode's choice of adapters: the production DynamoDB stores (against an embedded
 * DynamoDB-compatible server), a durable queue and scheduler in the same store, and the
 * same Lambda handlers that run on AWS.
 */
export async function createLocalRuntime(options: LocalRuntimeOptions): Promise<LocalRuntime> {
  const { config, logger } = options;
  const clock = options.clock ?? systemClock;
  const { client, doc } = createDocumentClient({
    endpoint: options.dynamoEndpoint,
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  const tables = tableNamesWithPrefix(config.tablePrefix);
  await ensureTables(client, tables);

  const queue = new DynamoLocalQueue({
    doc,
    tableName: tables.localJobs,
    clock,
    maxReceiveCount: MAX_RECEIVE_COUNT,
  });
  const scheduler = new DynamoLocalScheduler({ doc, tableName: tables.localJobs, queue, clock });
  const sender = options.sender ?? new GuardedHttpSender({ allowLoopback: true });
  const services = createServices(
    {
      ...createDynamoStores(doc, tables, { retentionDays: config.retentionDays, emulateStream: true }),
      queue,
      scheduler,
      sender,
      clock,
      random: Math.random,
      logger,
    },
    {
      urlPolicy: { allowHttp: true, allowLoopback: true },
      requireKnownEventTypes: config.requireKnownEventTypes,
      retry: config.retry,
      attemptTimeoutMs: config.attemptTimeoutMs,
      userAgent: config.userAgent,
    },
  );
  return {
    tables,
    client,
    doc,
    services,
    queue,
    scheduler,
    stream: new DynamoLocalStream(client, tables.messages),
    sweeper: new LocalTtlSweeper(doc, [
      { name: tables.messages, keys: ['pk', 'sk'] },
      { name: tables.deliveries, keys: ['pk', 'sk'] },
    ]),
    handlers: {
      api: createApiHandler({
        services,
        authenticate: bearerKeyAuthenticator(hashKey(options.adminKey)),
        logger,
      }),
      fanOut: createFanOutHandler({ fanOut: services.fanOut, logger }),
      delivery: createDeliveryHandler({ delivery: services.delivery, logger }),
    },
    close: () => {
      if (sender !== options.sender && sender instanceof GuardedHttpSender) sender.close();
      client.destroy();
    },
  };
}
