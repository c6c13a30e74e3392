import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { localStoreEnvironment } from '../adapters/dynamo/client';
import { createDocuments, type Documents } from '../adapters/dynamo/documents';
import { fanOutWorkFromStreamImage } from '../adapters/dynamo/message-stream';
import { createDynamoStores } from '../adapters/dynamo/stores';
import { GuardedHttpSender } from '../adapters/http/guarded-http-sender';
import { cachedAppStore, cachedEndpointStore, cachedEventTypeStore } from '../adapters/local/cached-catalog';
import { DynamoLocalQueue } from '../adapters/local/local-queue';
import { DynamoLocalScheduler } from '../adapters/local/local-scheduler';
import { DynamoLocalStream } from '../adapters/local/local-stream';
import {
  ensureLocalTables,
  expiringTables,
  type LocalTableNames,
  localTableNames,
  NEW_MESSAGE_MARKER,
} from '../adapters/local/local-tables';
import { LoggedMetrics } from '../adapters/local/logged-metrics';
import { LocalTtlSweeper } from '../adapters/local/ttl-sweeper';
import { type LocalConfig, USER_AGENT } from '../config';
import { DELIVERY_QUEUE_MAX_RECEIVE_COUNT } from '../contract/queues';
import { hashKey } from '../core/keys';
import { LOCAL_URL_POLICY } from '../core/url-guard';
import { type ApiHandler, bearerKeyAuthenticator, createApiHandler } from '../handlers/api';
import { createDeliveryHandler, type DeliveryHandler } from '../handlers/delivery';
import { createFanOutHandler, type FanOutHandler } from '../handlers/fanout';
import { type Clock, type Logger, type MessageStore, systemClock, type WebhookSender } from '../ports';
import { type ApiServices, createApiServices, createDeliveryService, createFanOutService } from '../services';
import { KeyAuthenticator } from '../services/api-keys';
import type { DeliveryService } from '../services/delivery';
import type { FanOutService } from '../services/fanout';
import { fitClientForInProcessStore, type InProcessStoreTransport } from './in-process-transport';

export interface LocalRuntimeOptions {
  readonly config: LocalConfig;
  readonly dynamoEndpoint: string;
  /**
   * Reaches the store at `dynamoEndpoint` without a socket when it runs in this process
   * (embedded-dynamodb.ts); defaults to HTTP.
   */
  readonly dynamoTransport?: InProcessStoreTransport;
  readonly adminKey: string;
  readonly logger: Logger;
  readonly clock?: Clock;
  /** Defaults to the guarded sender that allows loopback targets and nothing else private. */
  readonly sender?: WebhookSender;
}

export interface LocalRuntime {
  readonly tables: LocalTableNames;
  readonly client: DynamoDBClient;
  readonly doc: Documents;
  readonly services: ApiServices & { readonly fanOut: FanOutService; readonly delivery: DeliveryService };
  readonly queue: DynamoLocalQueue;
  readonly scheduler: DynamoLocalScheduler;
  readonly stream: DynamoLocalStream;
  readonly sweeper: LocalTtlSweeper;
  readonly handlers: {
    readonly api: ApiHandler;
    readonly fanOut: FanOutHandler;
    readonly delivery: DeliveryHandler;
  };
  /**
   * Called when the API writes an attempt request. A test send waits inside its API call for
   * the worker to make the attempt, so the worker cannot wait for the call to end to look.
   */
  onAttemptRequested(listener: () => void): void;
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
  const environment = localStoreEnvironment(options.dynamoEndpoint);
  const transport = options.dynamoTransport;
  const client = new DynamoDBClient({
    endpoint: options.dynamoEndpoint,
    region: environment.region,
    credentials: environment.credentials,
    ...(transport === undefined ? {} : { requestHandler: transport }),
  });
  if (transport !== undefined) fitClientForInProcessStore(client);
  // The store in this process checks no signature (in-process-transport.ts).
  const doc = createDocuments(
    transport === undefined ? { environment } : { environment, transport, sign: false },
  );
  const tables = localTableNames(config.tablePrefix);
  await ensureLocalTables(client, tables);

  const dynamoStores = createDynamoStores(doc, tables, {
    retentionDays: config.retentionDays,
    newMessageMarker: NEW_MESSAGE_MARKER,
  });
  // This process is the catalogue's only writer, so its reads can come from memory (cached-catalog.ts).
  const stores = {
    ...dynamoStores,
    apps: cachedAppStore(dynamoStores.apps),
    eventTypes: cachedEventTypeStore(dynamoStores.eventTypes),
    endpoints: cachedEndpointStore(dynamoStores.endpoints),
  };
  const queue = new DynamoLocalQueue({
    doc,
    tableName: tables.localJobs,
    clock,
    maxReceiveCount: DELIVERY_QUEUE_MAX_RECEIVE_COUNT,
    onDeadLetter: ({ messageId, receiveCount }) =>
      logger.error(
        'delivery task moved to the dead-letter queue: it failed every receive (README, "Dead letters")',
        {
          messageId,
          receiveCount,
        },
      ),
  });
  const scheduler = new DynamoLocalScheduler({ doc, tableName: tables.localJobs, queue, clock });
  const sender = options.sender ?? new GuardedHttpSender({ allowLoopback: LOCAL_URL_POLICY.allowLoopback });
  const metrics = new LoggedMetrics(logger);
  let attemptRequested = () => {};
  // The API's messages store, telling the worker about each attempt request it writes.
  const apiMessages: MessageStore = {
    accept: (message) => stores.messages.accept(message),
    get: (appId, msgId) => stores.messages.get(appId, msgId),
    getByEventId: (appId, eventId) => stores.messages.getByEventId(appId, eventId),
    list: (appId, filter) => stores.messages.list(appId, filter),
    listForward: (appId, range) => stores.messages.listForward(appId, range),
    requestAttempts: async (request) => {
      await stores.messages.requestAttempts(request);
      attemptRequested();
    },
  };
  const services = {
    ...createApiServices(
      { ...stores, messages: apiMessages, clock },
      {
        urlPolicy: LOCAL_URL_POLICY,
        requireKnownEventTypes: config.requireKnownEventTypes,
        // Local mode sends from this machine, to receivers on it.
        egressIps: ['127.0.0.1'],
      },
    ),
    fanOut: createFanOutService({ ...stores, queue, clock, metrics }),
    delivery: createDeliveryService(
      { ...stores, queue, scheduler, sender, clock, random: Math.random, metrics, logger },
      {
        retry: config.retry,
        attemptTimeoutMs: config.attemptTimeoutMs,
        // Scaled like the ladder, so that HOOKPOST_TIME_SCALE shows auto-disable on a laptop too.
        autoDisableAfterMs: config.autoDisableAfterDays * 86_400_000 * config.retry.timeScale,
        userAgent: USER_AGENT,
      },
    ),
  };
  const adminKeyHash = hashKey(options.adminKey);
  return {
    tables,
    client,
    doc,
    services,
    queue,
    scheduler,
    stream: new DynamoLocalStream(client, tables.messages),
    sweeper: new LocalTtlSweeper(doc, expiringTables(tables)),
    handlers: {
      api: createApiHandler({
        services,
        authenticate: bearerKeyAuthenticator(
          new KeyAuthenticator({ adminKeyHash: async () => adminKeyHash, apiKeys: stores.apiKeys }),
        ),
        logger,
      }),
      fanOut: createFanOutHandler({ fanOut: services.fanOut, decode: fanOutWorkFromStreamImage, logger }),
      delivery: createDeliveryHandler({ delivery: services.delivery, logger }),
    },
    onAttemptRequested: (listener) => {
      attemptRequested = listener;
    },
    close: () => {
      if (sender !== options.sender && sender instanceof GuardedHttpSender) sender.close();
      client.destroy();
    },
  };
}
