import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDynamoStores } from '../../lambdas/adapters/dynamo/stores';
import { LoggedMetrics } from '../../lambdas/adapters/local/logged-metrics';
import { TASK_MESSAGE_MAX_BYTES } from '../../lambdas/contract/queues';
import type { AttemptRequest, DeliveryTask, Message } from '../../lambdas/core/model';
import { LOCAL_URL_POLICY } from '../../lambdas/core/url-guard';
import { createFanOutHandler } from '../../lambdas/handlers/fanout';
import { createJsonLogger } from '../../lambdas/logger';
import { type EndpointStore, systemClock } from '../../lambdas/ports';
import { createApiServices } from '../../lambdas/services';
import { FanOutService } from '../../lambdas/services/fanout';
import { type DynamoEngine, freshTables, startDynalite } from '../support/dynamodb';
import { aDelivery, aMessage, anApp, anEndpoint, ManualClock } from '../support/fixtures';

/** Fan-out of a stream batch: what it costs in reads of the catalogue and in queue requests. */
let engine: DynamoEngine;
beforeAll(async () => {
  engine = await startDynalite();
});
afterAll(() => engine.close());

describe('fan-out of a batch of messages', () => {
  it("reads each app's endpoints once and sends the batch's first tasks together", async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    const stores = createDynamoStores(doc, tables, { retentionDays: 30 });
    const app = anApp();
    const other = anApp();
    for (const owner of [app, app, other]) await stores.endpoints.create(anEndpoint(owner.id));
    let endpointReads = 0;
    const endpoints: EndpointStore = Object.assign(Object.create(stores.endpoints), {
      listAll: (appId: string) => {
        endpointReads += 1;
        return stores.endpoints.listAll(appId);
      },
    });
    const { fanOut, sends } = recordingFanOut({ ...stores, endpoints });
    const messages: Message[] = [
      ...Array.from({ length: 10 }, () => aMessage(app.id)),
      ...Array.from({ length: 2 }, () => aMessage(other.id)),
    ];

    expect(await fanOut.fanOutAll(messages)).toEqual({ deliveries: 22 });
    expect(endpointReads).toBe(2);
    expect(sends).toHaveLength(1);
    expect(sends[0]).toHaveLength(22);
    expect(new Set(sends[0]?.map((task) => `${task.msgId} ${task.endpointId}`)).size).toBe(22);
    // Each first attempt carries its (small) message: the delivery function need not read it back.
    for (const task of sends[0] ?? []) {
      expect(task.message).toEqual(messages.find((message) => message.id === task.msgId));
    }
    for (const message of messages) {
      expect(await stores.deliveries.listForMessage(message.id)).toHaveLength(
        message.appId === app.id ? 2 : 1,
      );
    }
  });

  it('sends a task without its message when the message is larger than a task carries', async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    const stores = createDynamoStores(doc, tables, { retentionDays: 30 });
    const app = anApp();
    await stores.endpoints.create(anEndpoint(app.id));
    const { fanOut, sends } = recordingFanOut(stores);
    const large = aMessage(app.id, { payload: { blob: 'x'.repeat(TASK_MESSAGE_MAX_BYTES) } });
    await fanOut.fanOutAll([large]);
    expect(sends.flat()).toHaveLength(1);
    expect(sends.flat()[0]?.message).toBeUndefined();
  });

  it('reports the earliest record it could not read, and still fans out the messages around it', async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    const stores = createDynamoStores(doc, tables, { retentionDays: 30 });
    const app = anApp();
    const endpoint = anEndpoint(app.id);
    await stores.endpoints.create(endpoint);
    const { fanOut, sends } = recordingFanOut(stores);
    const messages = [aMessage(app.id), aMessage(app.id)];
    const record = (sequenceNumber: string, id: string): DynamoDBRecord => ({
      eventName: 'INSERT',
      dynamodb: { SequenceNumber: sequenceNumber, NewImage: { id: { S: id } } },
    });
    const handler = createFanOutHandler({
      fanOut,
      decode: (image) => {
        const id = image.id?.S as string;
        if (id === 'unreadable') throw new Error('not a message');
        return { message: messages.find((message) => message.id === id) as Message };
      },
      logger: createJsonLogger('error', () => {}),
    });
    const answer = await handler({
      Records: [
        record('100', messages[0]?.id as string),
        record('200', 'unreadable'),
        record('300', messages[1]?.id as string),
      ],
    });
    expect(answer).toEqual({ batchItemFailures: [{ itemIdentifier: '200' }] });
    expect(sends.flat().map((task) => task.msgId)).toEqual(messages.map((message) => message.id));
  });
});

describe('the endpoints a message goes to', () => {
  it('are those that matched it when it was accepted, whatever changed before its fan-out', async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    const stores = createDynamoStores(doc, tables, { retentionDays: 30 });
    const clock = new ManualClock();
    const api = createApiServices(
      { ...stores, clock },
      { urlPolicy: LOCAL_URL_POLICY, requireKnownEventTypes: false, egressIps: [] },
    );
    const app = await api.apps.create({ name: 'Acme' });
    const push = { kind: 'push', url: 'http://127.0.0.1:9/hook' } as const;
    const disabledSince = await api.endpoints.create(app.id, { ...push, eventTypes: ['invoice.paid'] });
    const disabledByDelivery = await api.endpoints.create(app.id, push);
    const narrowedSince = await api.endpoints.create(app.id, { ...push, eventTypes: ['invoice.*'] });
    const enabledSince = await api.endpoints.create(app.id, { ...push, disabled: true });
    const widenedSince = await api.endpoints.create(app.id, { ...push, eventTypes: ['user.created'] });
    clock.advance(1);
    const message = aMessage(app.id, { eventType: 'invoice.paid' }, clock.now());
    await stores.messages.accept(message);
    clock.advance(1);
    await api.endpoints.update(app.id, disabledSince.id, { disabled: true });
    await stores.endpoints.disable(app.id, disabledByDelivery.id, clock.now().toISOString());
    await api.endpoints.update(app.id, narrowedSince.id, { eventTypes: ['invoice.created'] });
    await api.endpoints.update(app.id, enabledSince.id, { disabled: false });
    await api.endpoints.update(app.id, widenedSince.id, { eventTypes: null });
    await api.endpoints.create(app.id, push);

    const { fanOut, sends } = recordingFanOut(stores);
    await fanOut.fanOutAll([message]);
    const sentTo = new Set(sends.flat().map((task) => task.endpointId));
    expect(sentTo).toEqual(new Set([disabledSince.id, disabledByDelivery.id, narrowedSince.id]));
  });
});

describe('a recovery larger than a page', () => {
  it('queues every failed delivery, a page per request, all of them tasks of the first request', async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    const stores = createDynamoStores(doc, tables, { retentionDays: 30 });
    const app = anApp();
    const endpoint = anEndpoint(app.id);
    await stores.endpoints.create(endpoint);
    const base = Date.parse('2026-11-22T10:00:00.000Z');
    const failed: string[] = [];
    for (let index = 0; index < 5; index++) {
      const message = aMessage(app.id, {}, new Date(base + index));
      await stores.deliveries.createIfAbsent(aDelivery(message, endpoint.id));
      await stores.deliveries.abandon(message.id, endpoint.id, 'endpoint_disabled');
      failed.push(message.id);
    }
    const { fanOut, sends, written } = recordingFanOut(stores, { recoveryPageDeliveries: 2 });
    const first: AttemptRequest = {
      id: 'msg_01KCCCCCCCCCCCCCCCCCCCCCCC',
      appId: app.id,
      endpointId: endpoint.id,
      requestedAt: new Date(base + 10_000).toISOString(),
      kind: 'recover',
      since: new Date(base - 1000).toISOString(),
    };
    await fanOut.dispatchRequest(first);
    // The stream delivers at least once, and the first page comes again after one of its
    // deliveries was recovered: that page now ends a marker later, and asks for another next page.
    await stores.deliveries.markSucceeded(failed[0] as string, endpoint.id, {
      ...(sends[0]?.[0] as DeliveryTask),
      id: 'atmpt_01KCCCCCCCCCCCCCCCCCCCCCCC',
      attemptNumber: 1,
      timestamp: new Date(base + 20_000).toISOString(),
      durationMs: 5,
      outcome: 'succeeded',
      responseStatus: 200,
      responseBody: 'ok',
      error: null,
    });
    await fanOut.dispatchRequest(first);
    // A request written again is the same item: the stream brings each one once.
    const streamed = new Set([first.id]);
    for (let next = 0; next < written.length && next < 10; next++) {
      const request = written[next] as AttemptRequest;
      if (streamed.has(request.id)) continue;
      streamed.add(request.id);
      await fanOut.dispatchRequest(request);
    }

    const queued = sends.flat();
    expect([...new Set(queued.map((task) => task.msgId))]).toEqual(failed);
    // However the pages fell, every task is of the one request, so each delivery is attempted once.
    expect(new Set(queued.map((task) => task.requestId))).toEqual(new Set([first.id]));
    expect(queued.every((task) => task.trigger === 'recover')).toBe(true);
    // The re-run forked the pages; both forks ran to their end.
    expect(streamed.size).toBeLessThan(10);
    expect([...streamed].slice(1).every((id) => id.startsWith(`${first.id}~after~`))).toBe(true);
    expect(
      written.every((request) => request.kind === 'recover' && request.requestedAt > first.requestedAt),
    ).toBe(true);
  });

  it('ends a recovery whose endpoint was disabled since its last page', async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    const stores = createDynamoStores(doc, tables, { retentionDays: 30 });
    const app = anApp();
    const endpoint = anEndpoint(app.id, { disabled: true });
    await stores.endpoints.create(endpoint);
    const message = aMessage(app.id);
    await stores.deliveries.createIfAbsent(aDelivery(message, endpoint.id));
    await stores.deliveries.abandon(message.id, endpoint.id, 'endpoint_disabled');
    const { fanOut, sends } = recordingFanOut(stores);

    const result = await fanOut.dispatchRequest({
      id: 'msg_01KCCCCCCCCCCCCCCCCCCCCCCC~after~msg_01KBBBBBBBBBBBBBBBBBBBBBBB',
      appId: app.id,
      endpointId: endpoint.id,
      requestedAt: new Date().toISOString(),
      kind: 'recover',
      since: '2020-01-01T00:00:00.000Z',
    });

    expect(result).toEqual({ tasks: 0 });
    expect(sends).toEqual([]);
  });
});

/**
 * A fan-out service over these stores whose queue records each send's tasks, and whose
 * messages store records each attempt request written (a recovery's next pages).
 */
function recordingFanOut(
  stores: ReturnType<typeof createDynamoStores>,
  settings?: ConstructorParameters<typeof FanOutService>[1],
) {
  const sends: DeliveryTask[][] = [];
  const written: AttemptRequest[] = [];
  const fanOut = new FanOutService(
    {
      ...stores,
      messages: {
        requestAttempts: async (request) => {
          written.push(request);
          await stores.messages.requestAttempts(request);
        },
      },
      queue: { send: async (tasks) => void sends.push([...tasks]) },
      clock: systemClock,
      metrics: new LoggedMetrics(createJsonLogger('error', () => {})),
    },
    settings,
  );
  return { fanOut, sends, written };
}
