import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { freshEndpointStore } from '../../lambdas/adapters/aws/cache/fresh-endpoint-store';
import { DynamoDeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { DynamoEndpointStore } from '../../lambdas/adapters/dynamo/endpoint-store';
import { DynamoMessageStore } from '../../lambdas/adapters/dynamo/message-store';
import { DynamoRateLimiter } from '../../lambdas/adapters/dynamo/rate-limiter';
import { GuardedHttpSender } from '../../lambdas/adapters/http/guarded-http-sender';
import { LoggedMetrics } from '../../lambdas/adapters/local/logged-metrics';
import type { DeliveryTask, Endpoint, Message } from '../../lambdas/core/model';
import { OPERATIONAL_APP_ID, OPERATIONAL_EVENT_TYPES } from '../../lambdas/core/operational';
import type { RetryPolicy } from '../../lambdas/core/retry';
import { createJsonLogger } from '../../lambdas/logger';
import type { DeliveryQueue, EndpointStore, RetryScheduler, SendOptions } from '../../lambdas/ports';
import { DeliveryService } from '../../lambdas/services/delivery';
import { OperationalNotifier } from '../../lambdas/services/operational';
import { type DynamoEngine, freshTables, startDynalite } from '../support/dynamodb';
import { aDelivery, aMessage, anEndpoint, ManualClock } from '../support/fixtures';
import { Receiver } from '../support/receiver';

const DAY_MS = 86_400_000;
const AUTO_DISABLE_AFTER_MS = 5 * DAY_MS;
/** No jitter, so that a delay can be compared exactly. */
const LADDER: RetryPolicy = { ladderSeconds: [5, 300, 1_800], jitterRatio: 0, timeScale: 1 };

/** The queue and the scheduler, kept in memory: what the service asked of them is the test's evidence. */
class RecordingQueue implements DeliveryQueue, RetryScheduler {
  readonly sent: { task: DeliveryTask; delayMs: number }[] = [];
  readonly scheduled: { task: DeliveryTask; at: Date }[] = [];
  async send(tasks: readonly DeliveryTask[], options: SendOptions = {}): Promise<void> {
    for (const task of tasks) this.sent.push({ task, delayMs: options.delayMs ?? 0 });
  }
  async schedule(task: DeliveryTask, at: Date): Promise<void> {
    this.scheduled.push({ task, at });
  }
}

/**
 * The delivery rules (README, "Retries and operational webhooks") that follow the receiver's answer: 410 Gone, Retry-After,
 * and auto-disable after days of nothing but failures. The delivery service runs against
 * dynalite and a real receiver on 127.0.0.1, with a clock the test moves.
 */
describe('delivery rules', () => {
  let engine: DynamoEngine;
  let receiver: Receiver;
  let clock: ManualClock;
  let queue: RecordingQueue;
  let messages: DynamoMessageStore;
  let endpoints: DynamoEndpointStore;
  let deliveries: DynamoDeliveryStore;
  let endpoint: Endpoint;
  let service: DeliveryService;
  /** The same service over other endpoints: the delivery function's kept copies, say. */
  let serviceOver: (endpoints: EndpointStore) => DeliveryService;
  const sender = new GuardedHttpSender({ allowLoopback: true });

  beforeAll(async () => {
    engine = await startDynalite();
    receiver = await Receiver.start();
  });
  afterAll(async () => {
    sender.close();
    await receiver.close();
    await engine.close();
  });
  beforeEach(async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    clock = new ManualClock();
    queue = new RecordingQueue();
    messages = new DynamoMessageStore(doc, tables.messages, { retentionDays: 30 });
    endpoints = new DynamoEndpointStore(doc, tables.catalog);
    deliveries = new DynamoDeliveryStore(doc, tables.deliveries, { retentionDays: 30 });
    endpoint = anEndpoint('app_01KAAAAAAAAAAAAAAAAAAAAAAA', { url: `${receiver.url}/hook` });
    await endpoints.create(endpoint);
    receiver.requests.length = 0;
    receiver.reply = () => ({ status: 200 });
    const logger = createJsonLogger('error', () => {});
    serviceOver = (endpointStore) =>
      new DeliveryService({
        messages,
        endpoints: endpointStore,
        deliveries,
        rateLimiter: new DynamoRateLimiter(doc, tables.deliveries),
        queue,
        scheduler: queue,
        sender,
        notifier: new OperationalNotifier({ messages, clock }),
        clock,
        random: () => 0.5,
        metrics: new LoggedMetrics(logger),
        logger,
        settings: {
          retry: LADDER,
          attemptTimeoutMs: 2_000,
          autoDisableAfterMs: AUTO_DISABLE_AFTER_MS,
          userAgent: 'Hookpost/test',
        },
      });
    service = serviceOver(endpoints);
  });

  /** The endpoint changed as the API changes it: over the endpoint as stored now. */
  async function changeEndpoint(change: Partial<Endpoint>): Promise<Endpoint> {
    const stored = await endpoints.get(endpoint.appId, endpoint.id);
    if (stored === undefined) throw new Error('the endpoint is gone');
    const changed = {
      ...stored,
      ...change,
      updatedAt: new Date(Date.parse(stored.updatedAt) + 1).toISOString(),
    };
    await endpoints.update(stored, changed);
    return changed;
  }

  /** A new message for the endpoint, its delivery created, and its first attempt made. */
  async function deliverNewMessage(): Promise<{ message: Message; result: string }> {
    const message = aMessage(endpoint.appId, {}, clock.now());
    await messages.accept(message);
    await deliveries.createIfAbsent(aDelivery(message, endpoint.id));
    const result = await service.deliver({
      appId: endpoint.appId,
      msgId: message.id,
      endpointId: endpoint.id,
      attemptNumber: 1,
      trigger: 'initial',
    });
    return { message, result };
  }

  async function operationalMessages(eventType: string) {
    const page = await messages.list(OPERATIONAL_APP_ID, { limit: 50, eventType });
    return page.data;
  }

  describe('410 Gone', () => {
    it('disables the endpoint at once, fails the delivery without a retry, and sends endpoint.disabled', async () => {
      receiver.reply = () => ({ status: 410 });
      const { message, result } = await deliverNewMessage();

      expect(result).toBe('endpoint_disabled');
      expect(await deliveries.get(message.id, endpoint.id)).toMatchObject({
        status: 'failed',
        attemptCount: 1,
        nextAttemptAt: null,
      });
      expect(queue.sent).toEqual([]);
      expect(queue.scheduled).toEqual([]);
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.disabled).toBe(true);
      const [notice] = await operationalMessages(OPERATIONAL_EVENT_TYPES.endpointDisabled);
      expect(notice?.payload).toMatchObject({
        reason: 'gone',
        appId: endpoint.appId,
        endpointId: endpoint.id,
        msgId: message.id,
        lastAttempt: { responseStatus: 410 },
      });
    });

    it('ends the next delivery to the disabled endpoint without a POST', async () => {
      receiver.reply = () => ({ status: 410 });
      await deliverNewMessage();
      receiver.reply = () => ({ status: 200 });
      const { result } = await deliverNewMessage();

      expect(result).toBe('abandoned');
      expect(receiver.requests).toHaveLength(1);
    });
  });

  describe('Retry-After', () => {
    const retryDelayAfter = async (status: number, retryAfter: string | undefined) => {
      receiver.reply = () => ({
        status,
        headers: retryAfter === undefined ? undefined : { 'retry-after': retryAfter },
      });
      expect((await deliverNewMessage()).result).toBe('retry_scheduled');
      return queue.sent.at(-1)?.delayMs;
    };

    it.each([
      [429, '7', 7_000],
      [503, '7', 7_000],
      [429, '1', 5_000],
      [429, '0', 5_000],
      [429, '3600', 10_000],
      [503, 'soon', 5_000],
      [500, '7', 5_000],
      [429, undefined, 5_000],
    ])(
      'after a %i with Retry-After %j waits %i ms (the 5 s rung, at most twice it)',
      async (status, header, delay) => {
        expect(await retryDelayAfter(status, header)).toBe(delay);
      },
    );

    it('reads an HTTP date, from the clock the service keeps', async () => {
      const inEightSeconds = new Date(clock.now().getTime() + 8_000).toUTCString();
      expect(await retryDelayAfter(429, inEightSeconds)).toBe(8_000);
    });
  });

  describe('auto-disable', () => {
    it('disables an endpoint whose every attempt failed for the set days, and sends endpoint.disabled', async () => {
      receiver.reply = () => ({ status: 500 });
      await deliverNewMessage();
      const began = clock.now().toISOString();
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.failingSince).toBe(began);

      clock.advance(AUTO_DISABLE_AFTER_MS - 1);
      expect((await deliverNewMessage()).result).toBe('retry_scheduled');
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.disabled).toBe(false);
      clock.advance(1);
      const { message, result } = await deliverNewMessage();

      expect(result).toBe('endpoint_disabled');
      expect(await deliveries.get(message.id, endpoint.id)).toMatchObject({ status: 'failed' });
      expect(await endpoints.get(endpoint.appId, endpoint.id)).toMatchObject({
        disabled: true,
        failingSince: null,
      });
      const notices = await operationalMessages(OPERATIONAL_EVENT_TYPES.endpointDisabled);
      expect(notices.map((notice) => notice.payload)).toEqual([
        expect.objectContaining({ reason: 'failing', failingSince: began, msgId: message.id }),
      ]);
    });

    it('starts the clock again after a success', async () => {
      receiver.reply = () => ({ status: 500 });
      await deliverNewMessage();
      clock.advance(AUTO_DISABLE_AFTER_MS - 1);
      receiver.reply = () => ({ status: 200 });
      await deliverNewMessage();
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.failingSince).toBeNull();

      receiver.reply = () => ({ status: 500 });
      clock.advance(1);
      expect((await deliverNewMessage()).result).toBe('retry_scheduled');
      clock.advance(AUTO_DISABLE_AFTER_MS - 1);
      expect((await deliverNewMessage()).result).toBe('retry_scheduled');
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.disabled).toBe(false);
    });

    it('starts the clock again after a resend that succeeds', async () => {
      receiver.reply = () => ({ status: 500 });
      const { message } = await deliverNewMessage();
      clock.advance(AUTO_DISABLE_AFTER_MS - 1);
      receiver.reply = () => ({ status: 200 });
      const resent = await service.deliver({
        appId: endpoint.appId,
        msgId: message.id,
        endpointId: endpoint.id,
        attemptNumber: 0,
        trigger: 'manual',
        requestId: 'req_resend',
      });
      expect(resent).toBe('succeeded');
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.failingSince).toBeNull();

      receiver.reply = () => ({ status: 500 });
      clock.advance(1);
      expect((await deliverNewMessage()).result).toBe('retry_scheduled');
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.disabled).toBe(false);
    });
  });

  it('sends message.attempt.failing after the third failed attempt in a row, once', async () => {
    receiver.reply = () => ({ status: 500 });
    const { message } = await deliverNewMessage();
    const task = {
      appId: endpoint.appId,
      msgId: message.id,
      endpointId: endpoint.id,
      trigger: 'retry',
    } as const;
    const noticesAfter: number[] = [];
    for (const attemptNumber of [2, 3, 4]) {
      await service.deliver({ ...task, attemptNumber });
      noticesAfter.push((await operationalMessages(OPERATIONAL_EVENT_TYPES.attemptFailing)).length);
    }

    expect(noticesAfter).toEqual([0, 1, 1]);
    const [notice] = await operationalMessages(OPERATIONAL_EVENT_TYPES.attemptFailing);
    expect(notice?.payload).toMatchObject({ msgId: message.id, lastAttempt: { attemptNumber: 3 } });
  });

  it('numbers each attempt made on request after every attempt so far, two at once among them', async () => {
    receiver.reply = () => ({ status: 500 });
    const { message } = await deliverNewMessage();
    const resend = (requestId: string, trigger: 'manual') =>
      service.deliver({
        appId: endpoint.appId,
        msgId: message.id,
        endpointId: endpoint.id,
        attemptNumber: 0,
        trigger,
        requestId,
      });
    await resend('req_first', 'manual');
    await Promise.all([resend('req_second', 'manual'), resend('req_third', 'manual')]);
    const { data } = await deliveries.listAttempts(message.id, { limit: 10 });
    expect(data.map((attempt) => [attempt.trigger, attempt.attemptNumber]).sort()).toEqual([
      ['initial', 1],
      ['manual', 2],
      ['manual', 3],
      ['manual', 4],
    ]);
  });

  describe('rate limit', () => {
    beforeEach(async () => {
      endpoint = await changeEndpoint({ rateLimit: 2 });
    });

    it('waits in place for a slot up to a second off, and sends a task further off back to the queue with its slot', async () => {
      const results = [];
      for (let index = 0; index < 4; index++) results.push(await deliverNewMessage());

      // Slots 0, 0.5 and 1 s from now are waited for; the one 1.5 s off is not.
      expect(results.map(({ result }) => result)).toEqual([
        'succeeded',
        'succeeded',
        'succeeded',
        'rate_limited',
      ]);
      expect(receiver.requests).toHaveLength(3);
      const [later] = queue.sent;
      const slot = new Date(clock.now().getTime() + 1_500).toISOString();
      // It is to come back one to two seconds before its slot (whole seconds of delay), and wait for it in place.
      expect(later).toEqual({
        task: expect.objectContaining({ attemptNumber: 1, notBefore: slot }),
        delayMs: 0,
      });
      const waiting = results[3]?.message.id as string;
      expect(await deliveries.get(waiting, endpoint.id)).toMatchObject({
        status: 'pending',
        attemptCount: 0,
      });

      // Back from the queue before its slot, the task waits for it and is sent without taking another one.
      const startedAt = performance.now();
      expect(await service.deliver(later?.task as DeliveryTask)).toBe('succeeded');
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(1_450);
      expect(receiver.requests).toHaveLength(4);
      expect(await deliveries.get(waiting, endpoint.id)).toMatchObject({
        status: 'succeeded',
        attemptCount: 1,
      });
    });

    it('lets the retry of a task that held a slot reserve a slot of its own', async () => {
      receiver.reply = () => ({ status: 500 });
      const message = aMessage(endpoint.appId, {}, clock.now());
      await messages.accept(message);
      await deliveries.createIfAbsent(aDelivery(message, endpoint.id));
      const held = clock.now().toISOString();
      const result = await service.deliver({
        appId: endpoint.appId,
        msgId: message.id,
        endpointId: endpoint.id,
        attemptNumber: 1,
        trigger: 'initial',
        notBefore: held,
      });

      expect(result).toBe('retry_scheduled');
      expect(queue.sent.at(-1)?.task).toEqual({
        appId: endpoint.appId,
        msgId: message.id,
        endpointId: endpoint.id,
        attemptNumber: 2,
        trigger: 'retry',
      });
    });
  });

  describe('over endpoints kept a while (the delivery function)', () => {
    beforeEach(() => {
      service = serviceOver(freshEndpointStore(endpoints, clock));
    });

    it('gives no delivery up on a kept copy that says disabled: the endpoint as it is now decides', async () => {
      await endpoints.disable(endpoint.appId, endpoint.id, clock.now().toISOString());
      expect((await deliverNewMessage()).result).toBe('abandoned');
      // Enabled again through the API, seconds later: the kept copy still says disabled.
      await changeEndpoint({ disabled: false });
      clock.advance(2_000);

      expect((await deliverNewMessage()).result).toBe('succeeded');
      expect(receiver.requests).toHaveLength(1);
    });

    it('sends an attempt someone asked for to the endpoint as it is now', async () => {
      const { message } = await deliverNewMessage();
      await changeEndpoint({ url: `${receiver.url}/moved` });
      clock.advance(2_000);
      const result = await service.deliver({
        appId: endpoint.appId,
        msgId: message.id,
        endpointId: endpoint.id,
        attemptNumber: 0,
        trigger: 'manual',
        requestId: 'req_moved',
      });

      expect(result).toBe('succeeded');
      expect(receiver.requests.map((request) => request.path)).toEqual(['/hook', '/moved']);
    });

    it('does not disable an endpoint when the URL it had answers 410 after a change', async () => {
      await deliverNewMessage();
      // The old receiver is gone; the endpoint was moved through the API seconds ago.
      receiver.reply = (request) => ({ status: request.path === '/hook' ? 410 : 200 });
      await changeEndpoint({ url: `${receiver.url}/moved` });
      clock.advance(2_000);

      const { message, result } = await deliverNewMessage();

      expect(result).toBe('retry_scheduled');
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.disabled).toBe(false);
      expect(await operationalMessages(OPERATIONAL_EVENT_TYPES.endpointDisabled)).toEqual([]);
      expect(await deliveries.get(message.id, endpoint.id)).toMatchObject({ status: 'pending' });
    });

    it('sends a recovery only of a delivery that is still failed', async () => {
      const { message } = await deliverNewMessage();
      const result = await service.deliver({
        appId: endpoint.appId,
        msgId: message.id,
        endpointId: endpoint.id,
        attemptNumber: 0,
        trigger: 'recover',
        requestId: 'req_recovery',
      });

      expect(result).toBe('duplicate');
      expect(receiver.requests).toHaveLength(1);
    });

    it('does not disable an endpoint on a kept copy of a failing run that a success elsewhere ended', async () => {
      receiver.reply = () => ({ status: 500 });
      await deliverNewMessage();
      clock.advance(AUTO_DISABLE_AFTER_MS - 5_000);
      // Kept here: failing since the first attempt, nearly the set days ago.
      expect((await deliverNewMessage()).result).toBe('retry_scheduled');
      // Another container's success ends the run.
      await endpoints.clearFailing(endpoint.appId, endpoint.id);
      clock.advance(5_000);

      expect((await deliverNewMessage()).result).toBe('retry_scheduled');
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.disabled).toBe(false);
      expect(await operationalMessages(OPERATIONAL_EVENT_TYPES.endpointDisabled)).toEqual([]);
    });
  });
});
