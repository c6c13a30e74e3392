import { createDynamoStores } from '../../lambdas/adapters/dynamo/stores';
import { STREAM_PENDING_ATTRIBUTE, STREAM_PENDING_VALUE } from '../../lambdas/adapters/local/local-tables';
import { loadLocalConfig } from '../../lambdas/config';
import { ITEM_KIND, ITEM_KIND_ATTRIBUTE, TTL_ATTRIBUTE } from '../../lambdas/contract/tables';
import { newId } from '../../lambdas/core/ids';
import type { Attempt } from '../../lambdas/core/model';
import { proxyEvent } from '../../lambdas/local/api-gateway-server';
import { startEmbeddedDynamoDb } from '../../lambdas/local/embedded-dynamodb';
import { createLocalRuntime, type LocalRuntime } from '../../lambdas/local/runtime';
import { createJsonLogger } from '../../lambdas/logger';

/** What a pre-sharding data directory holds (writePreShardingDataDir). */
export interface PreShardingDataDir {
  readonly appId: string;
  readonly endpointId: string;
  /** Every message, newest first (as the message list answers). */
  readonly messageIds: readonly string[];
  /** Delivered before the stop; its eventId has a claim. */
  readonly delivered: { readonly msgId: string; readonly eventId: string; readonly eventType: string };
  /** Fanned out, its first attempt failed, the second on the queue and due: it reads its message back. */
  readonly retrying: string;
  /** Accepted just before the stop and never fanned out: it carries the stream stand-in's marker. */
  readonly unfanned: string;
  /** Every item of the messages table: the messages, the claim and an attempt request. */
  readonly logItems: number;
}

export interface PreShardingOptions {
  /** Where the endpoint sends: `{receiverUrl}/hook`. */
  readonly receiverUrl: string;
  readonly adminKey: string;
  /** Messages no endpoint takes, besides the three that matter (default 3). */
  readonly fillerMessages?: number;
}

const DELIVERED_EVENT_TYPE = 'invoice.paid';
/** The endpoint takes invoice.paid only, so the other messages have no deliveries to keep track of. */
const UNROUTED_EVENT_TYPE = 'invoice.drafted';

/**
 * A data directory as a Hookpost from before the sharded message log left it when stopped
 * (data format version 1, lambdas/local/data-format.ts), with no format marker. The
 * messages table is written item by item in the layout that code wrote: every item of an
 * app's log under pk = the app id (lambdas/adapters/dynamo/message-store.ts, before the
 * shards). The catalogue, the deliveries and the queue's jobs kept their layout through
 * the change, so today's API and stores write them as that code did.
 */
export async function writePreShardingDataDir(
  dataDir: string,
  options: PreShardingOptions,
): Promise<PreShardingDataDir> {
  const dynamo = await startEmbeddedDynamoDb(dataDir);
  const config = loadLocalConfig({ HOOKPOST_DATA_DIR: dataDir, HOOKPOST_LOG_LEVEL: 'error' });
  const runtime = await createLocalRuntime({
    config,
    dynamoEndpoint: dynamo.endpoint,
    dynamoTransport: dynamo.transport,
    adminKey: options.adminKey,
    logger: createJsonLogger('error'),
  });
  try {
    return await writeContents(runtime, config.retentionDays, options);
  } finally {
    runtime.close();
    await dynamo.close();
  }
}

async function writeContents(
  runtime: LocalRuntime,
  retentionDays: number,
  options: PreShardingOptions,
): Promise<PreShardingDataDir> {
  const call = async (path: string, body: unknown) => {
    const result = await runtime.handlers.api(
      proxyEvent({
        method: 'POST',
        path,
        headers: [
          ['Content-Type', 'application/json'],
          ['Authorization', `Bearer ${options.adminKey}`],
        ],
        query: [],
        body: JSON.stringify(body),
        sourceIp: '127.0.0.1',
      }),
    );
    if (result.statusCode !== 201)
      throw new Error(`POST ${path} answered ${result.statusCode}: ${result.body}`);
    return JSON.parse(result.body) as { id: string };
  };
  await call('/v1/event-types', { name: DELIVERED_EVENT_TYPE });
  await call('/v1/event-types', { name: UNROUTED_EVENT_TYPE });
  const appId = (await call('/v1/apps', { name: 'Acme' })).id;
  const endpointId = (
    await call(`/v1/apps/${appId}/endpoints`, {
      url: `${options.receiverUrl}/hook`,
      eventTypes: [DELIVERED_EVENT_TYPE],
    })
  ).id;

  const retentionSeconds = retentionDays * 86_400;
  const putLogItem = (item: Record<string, unknown>) =>
    runtime.doc.put({ TableName: runtime.tables.messages, Item: item });
  // After the endpoint was created: an endpoint takes the messages accepted while it existed.
  const start = Date.now() + 1;
  let written = 0;
  const putMessage = async (
    eventType: string,
    eventId: string | null,
    extra: Record<string, unknown> = {},
  ) => {
    const at = new Date(start + written);
    const id = newId('message', at);
    written++;
    await putLogItem({
      pk: appId,
      sk: id,
      [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.message,
      id,
      appId,
      eventType,
      eventId,
      channels: null,
      timestamp: at.toISOString(),
      payloadJson: JSON.stringify({ n: written }),
      [TTL_ATTRIBUTE]: Math.floor(at.getTime() / 1000) + retentionSeconds,
      ...extra,
    });
    return { id, at };
  };

  const eventId = 'order-1-paid';
  const delivered = await putMessage(DELIVERED_EVENT_TYPE, eventId);
  await putLogItem({
    pk: appId,
    sk: `EVENTID#${eventId}`,
    [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.eventIdClaim,
    msgId: delivered.id,
    timestamp: delivered.at.toISOString(),
    [TTL_ATTRIBUTE]: Math.floor(delivered.at.getTime() / 1000) + retentionSeconds,
  });
  const attempt = (msgId: string, at: Date, outcome: 'succeeded' | 'failed'): Attempt => ({
    id: newId('attempt', at),
    msgId,
    appId,
    endpointId,
    attemptNumber: 1,
    trigger: 'initial',
    timestamp: at.toISOString(),
    durationMs: 12,
    outcome,
    responseStatus: outcome === 'succeeded' ? 200 : 500,
    responseBody: outcome === 'succeeded' ? 'ok' : 'down',
    error: outcome === 'succeeded' ? null : 'http_status',
  });
  const deliveryOf = (msgId: string, at: Date, made: Attempt) => ({
    msgId,
    appId,
    endpointId,
    eventType: DELIVERED_EVENT_TYPE,
    status: made.outcome === 'succeeded' ? ('succeeded' as const) : ('pending' as const),
    attemptCount: 1,
    nextAttemptAt: made.outcome === 'succeeded' ? null : new Date().toISOString(),
    lastAttempt: made,
    createdAt: at.toISOString(),
    pulledAt: null,
  });
  const { deliveries } = createDynamoStores(runtime.doc, runtime.tables, {
    retentionDays,
  });
  const deliveredAttempt = attempt(delivered.id, delivered.at, 'succeeded');
  await deliveries.createIfAbsent(deliveryOf(delivered.id, delivered.at, deliveredAttempt));
  await deliveries.saveAttempt(deliveredAttempt);
  // A resend of it, asked for and taken by fan-out already (no marker), kept a day as requests were.
  const requestId = newId('message', delivered.at);
  await putLogItem({
    pk: appId,
    sk: `REQUEST#${requestId}`,
    [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.attemptRequest,
    request: {
      id: requestId,
      appId,
      endpointId,
      kind: 'resend',
      msgId: delivered.id,
      requestedAt: delivered.at.toISOString(),
    },
    [TTL_ATTRIBUTE]: Math.floor(delivered.at.getTime() / 1000) + 86_400,
  });

  const retrying = await putMessage(DELIVERED_EVENT_TYPE, null);
  const failedAttempt = attempt(retrying.id, retrying.at, 'failed');
  await deliveries.createIfAbsent(deliveryOf(retrying.id, retrying.at, failedAttempt));
  await deliveries.saveAttempt(failedAttempt);
  await runtime.queue.send([{ appId, msgId: retrying.id, endpointId, attemptNumber: 2, trigger: 'retry' }]);

  const fillers: string[] = [];
  for (let n = 0; n < (options.fillerMessages ?? 3); n++) {
    fillers.push((await putMessage(UNROUTED_EVENT_TYPE, null)).id);
  }
  const unfanned = await putMessage(DELIVERED_EVENT_TYPE, null, {
    [STREAM_PENDING_ATTRIBUTE]: STREAM_PENDING_VALUE,
  });

  return {
    appId,
    endpointId,
    messageIds: [delivered.id, retrying.id, ...fillers, unfanned.id].reverse(),
    delivered: { msgId: delivered.id, eventId, eventType: DELIVERED_EVENT_TYPE },
    retrying: retrying.id,
    unfanned: unfanned.id,
    logItems: written + 2,
  };
}
