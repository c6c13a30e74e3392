import { Webhook } from 'standardwebhooks';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { GuardedHttpSender } from '../../lambdas/adapters/http/guarded-http-sender';
import { DeliveryNotReadyError } from '../../lambdas/core/errors';
import { TEST_ATTEMPT_TIMEOUT_MS } from '../../lambdas/core/webhook';
import { LocalStack } from '../support/local-stack';
import { eventually, Receiver } from '../support/receiver';

/**
 * The whole pipeline in one process: API handler → messages table → local stream →
 * fan-out handler → local queue → delivery handler → a real receiver on 127.0.0.1.
 * The ladder here is short (1..6 s scaled by 0.01) to keep the suite quick.
 */
const FAST_LADDER = { HOOKPOST_RETRY_LADDER: '1,2,3,4,5,6', HOOKPOST_TIME_SCALE: '0.01' };

async function setUp(stack: LocalStack, receiver: Receiver, endpoint: Record<string, unknown> = {}) {
  await stack.call('POST', '/v1/event-types', { body: { name: 'invoice.paid' } });
  await stack.call('POST', '/v1/event-types', { body: { name: 'user.created' } });
  const appId: string = (await stack.call('POST', '/v1/apps', { body: { name: 'Acme' } })).body.id;
  const created = await stack.call('POST', `/v1/apps/${appId}/endpoints`, {
    body: { url: `${receiver.url}/hook`, ...endpoint },
  });
  const endpointId: string = created.body.id;
  const secret: string = (await stack.call('GET', `/v1/apps/${appId}/endpoints/${endpointId}/secret`)).body
    .key;
  const send = async (body: Record<string, unknown> = {}) =>
    (
      await stack.call('POST', `/v1/apps/${appId}/messages`, {
        body: { eventType: 'invoice.paid', payload: { n: 1 }, ...body },
      })
    ).body;
  const message = (msgId: string) =>
    stack.call('GET', `/v1/apps/${appId}/messages/${msgId}`).then((r) => r.body);
  const attempts = (msgId: string) =>
    stack.call('GET', `/v1/apps/${appId}/messages/${msgId}/attempts`).then((r) => r.body.data);
  return { appId, endpointId, secret, send, message, attempts };
}

describe('delivery pipeline', () => {
  let stack: LocalStack;
  let receiver: Receiver;

  beforeAll(async () => {
    stack = await LocalStack.start({ env: { ...FAST_LADDER, HOOKPOST_ATTEMPT_TIMEOUT_MS: '500' } });
  });
  afterAll(async () => {
    await stack?.stop();
  });
  beforeEach(async () => {
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await receiver.close();
  });

  it('delivers one signed POST that the standardwebhooks library verifies', async () => {
    const { secret, send, message } = await setUp(stack, receiver, { headers: { 'X-Tenant': 'acme' } });
    const sent = await send({ payload: { invoiceId: 'inv_42', amount: 1999 } });
    await receiver.waitFor(1);
    const [request] = receiver.requests;
    expect(request?.path).toBe('/hook');
    expect(request?.headers['webhook-id']).toBe(sent.id);
    expect(request?.headers['x-tenant']).toBe('acme');
    expect(request?.headers['user-agent']).toMatch(/^Hookpost\//);
    expect(new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {})).toEqual({
      type: 'invoice.paid',
      timestamp: sent.timestamp,
      data: { invoiceId: 'inv_42', amount: 1999 },
    });
    const shown = await eventually(
      () => message(sent.id),
      (body) => body.deliveries[0]?.status === 'succeeded',
    );
    expect(shown.deliveries[0]).toMatchObject({
      attemptCount: 1,
      nextAttemptAt: null,
      lastAttempt: { responseStatus: 200 },
    });
  });

  it('sends only what an endpoint subscribed to, and nothing to a disabled endpoint', async () => {
    const { appId, send } = await setUp(stack, receiver, { eventTypes: ['user.*'] });
    const other = await Receiver.start();
    await stack.call('POST', `/v1/apps/${appId}/endpoints`, {
      body: { url: `${other.url}/off`, disabled: true },
    });
    await send({ eventType: 'invoice.paid' });
    const wanted = await send({ eventType: 'user.created' });
    await receiver.waitFor(1);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.requests.map((request) => request.headers['webhook-id'])).toEqual([wanted.id]);
    expect(other.requests).toEqual([]);
    await other.close();
  });

  it('retries a failing endpoint along the ladder, gives up after 7 attempts, and tells app_operational', async () => {
    const operator = await Receiver.start();
    await stack.call('POST', '/v1/apps/app_operational/endpoints', {
      body: { url: `${operator.url}/ops`, eventTypes: ['message.attempt.exhausted'] },
    });
    receiver.reply = () => ({ status: 500, body: 'down for maintenance' });
    const { appId, endpointId, send, message, attempts } = await setUp(stack, receiver);
    const sent = await send();

    await receiver.waitFor(7);
    const shown = await eventually(
      () => message(sent.id),
      (body) => body.deliveries[0]?.status === 'failed',
    );
    expect(shown.deliveries[0]).toMatchObject({ attemptCount: 7, nextAttemptAt: null });
    const recorded = await attempts(sent.id);
    expect(recorded.map((attempt: { attemptNumber: number }) => attempt.attemptNumber)).toEqual([
      1, 2, 3, 4, 5, 6, 7,
    ]);
    expect(recorded.every((attempt: { responseStatus: number }) => attempt.responseStatus === 500)).toBe(
      true,
    );
    expect(recorded[0]).toMatchObject({
      trigger: 'initial',
      outcome: 'failed',
      responseBody: 'down for maintenance',
    });
    expect(recorded[1]).toMatchObject({ trigger: 'retry' });

    await operator.waitFor(1);
    const notice = JSON.parse(operator.requests[0]?.body ?? '{}');
    expect(notice).toMatchObject({
      type: 'message.attempt.exhausted',
      data: {
        appId,
        endpointId,
        msgId: sent.id,
        eventType: 'invoice.paid',
        lastAttempt: { attemptNumber: 7, responseStatus: 500 },
      },
    });
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(receiver.requests).toHaveLength(7);
    expect(operator.requests).toHaveLength(1);
    await operator.close();
  });

  it('counts a redirect as a failure and does not follow it', async () => {
    receiver.reply = (request) =>
      request.path === '/hook'
        ? { status: 301, headers: { location: `${receiver.url}/elsewhere` } }
        : { status: 200 };
    const { send, attempts } = await setUp(stack, receiver);
    const sent = await send();
    const [first] = await eventually(
      () => attempts(sent.id),
      (list) => list.length >= 1,
    );
    expect(first).toMatchObject({ outcome: 'failed', responseStatus: 301, error: 'redirect' });
    expect(receiver.requests.some((request) => request.path === '/elsewhere')).toBe(false);
  });

  it('keeps the first 4 KiB of a response body', async () => {
    receiver.reply = () => ({ status: 200, body: 'y'.repeat(100_000) });
    const { send, attempts } = await setUp(stack, receiver);
    const sent = await send();
    const [first] = await eventually(
      () => attempts(sent.id),
      (list) => list.length >= 1,
    );
    expect(first.responseBody).toHaveLength(4096);
  });

  it('gives up on a receiver slower than the attempt timeout', async () => {
    receiver.reply = () => ({ status: 200, delayMs: 2_000 });
    const { send, attempts } = await setUp(stack, receiver);
    const sent = await send();
    const [first] = await eventually(
      () => attempts(sent.id),
      (list) => list.length >= 1,
    );
    expect(first).toMatchObject({ outcome: 'failed', error: 'timeout', responseStatus: null });
    expect(first.durationMs).toBeLessThan(2_000);
  });

  it('records a refused connection', async () => {
    const { send, attempts } = await setUp(stack, receiver);
    await receiver.close();
    const sent = await send();
    const [first] = await eventually(
      () => attempts(sent.id),
      (list) => list.length >= 1,
    );
    expect(first).toMatchObject({ outcome: 'failed', error: 'connection_refused' });
    receiver = await Receiver.start();
  });

  it('drops a duplicate task instead of sending twice', async () => {
    const { appId, endpointId, send, message } = await setUp(stack, receiver);
    const sent = await send();
    await eventually(
      () => message(sent.id),
      (body) => body.deliveries[0]?.status === 'succeeded',
    );
    const task = { appId, msgId: sent.id, endpointId, attemptNumber: 1, trigger: 'initial' as const };
    await stack.runtime.queue.send([task]);
    stack.worker.nudge();
    expect(await stack.runtime.services.delivery.deliver(task)).toBe('duplicate');
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(receiver.requests).toHaveLength(1);
  });

  it('hands back a task that runs ahead of the attempt before it', async () => {
    // Slow failures: attempt 1 is still in flight when the early task arrives.
    receiver.reply = () => ({ status: 500, delayMs: 300 });
    const { appId, endpointId, send } = await setUp(stack, receiver, { disabled: false });
    const sent = await send();
    await receiver.waitFor(1);
    await expect(
      stack.runtime.services.delivery.deliver({
        appId,
        msgId: sent.id,
        endpointId,
        attemptNumber: 5,
        trigger: 'retry',
      }),
    ).rejects.toThrow(DeliveryNotReadyError);
  });

  it('abandons deliveries of an endpoint deleted while they waited', async () => {
    // Slow failures: the endpoint is deleted long before the ladder could run out.
    receiver.reply = () => ({ status: 500, delayMs: 300 });
    const { appId, endpointId, send, message } = await setUp(stack, receiver);
    const sent = await send();
    await receiver.waitFor(1);
    await stack.call('DELETE', `/v1/apps/${appId}/endpoints/${endpointId}`);
    const shown = await eventually(
      () => message(sent.id),
      (body) => body.deliveries[0]?.status === 'failed',
    );
    expect(shown.deliveries[0].attemptCount).toBeLessThan(7);
  });
});

describe('delivery to a guarded network', () => {
  it('refuses to connect to an address outside the policy, however the URL was accepted', async () => {
    const receiver = await Receiver.start();
    const stack = await LocalStack.start({
      env: FAST_LADDER,
      sender: new GuardedHttpSender({ allowLoopback: false }),
    });
    try {
      const { send, attempts } = await setUp(stack, receiver);
      const sent = await send();
      const [first] = await eventually(
        () => attempts(sent.id),
        (list) => list.length >= 1,
      );
      expect(first).toMatchObject({ outcome: 'failed', error: 'blocked_address', responseStatus: null });
      expect(receiver.requests).toEqual([]);
    } finally {
      await stack.stop();
      await receiver.close();
    }
  });
});

describe('a test send', () => {
  it('gives its attempt up sooner than a delivery does, so that the call waiting on it gets it', async () => {
    const receiver = await Receiver.start();
    const timeouts: { readonly path: string; readonly timeoutMs: number }[] = [];
    const guarded = new GuardedHttpSender({ allowLoopback: true });
    const stack = await LocalStack.start({
      env: { HOOKPOST_ATTEMPT_TIMEOUT_MS: '30000' },
      sender: {
        send: (webhook, options) => {
          timeouts.push({ path: new URL(webhook.url).pathname, timeoutMs: options.timeoutMs });
          return guarded.send(webhook, options);
        },
      },
    });
    try {
      const { appId, endpointId, send } = await setUp(stack, receiver);
      const tested = await stack.call('POST', `/v1/apps/${appId}/endpoints/${endpointId}/test`);
      expect(tested.body).toMatchObject({ outcome: 'succeeded' });
      await send();
      await receiver.waitFor(2);
      expect(timeouts).toEqual([
        { path: '/hook', timeoutMs: TEST_ATTEMPT_TIMEOUT_MS },
        { path: '/hook', timeoutMs: 30_000 },
      ]);
    } finally {
      await stack.stop();
      await receiver.close();
    }
  });

  it('answers with the attempt when the receiver is slower than the attempt timeout: a timeout', async () => {
    const receiver = await Receiver.start();
    receiver.reply = () => ({ status: 200, delayMs: 2_000 });
    const stack = await LocalStack.start({ env: { HOOKPOST_ATTEMPT_TIMEOUT_MS: '1000' } });
    try {
      const { appId, endpointId } = await setUp(stack, receiver);
      const tested = await stack.call('POST', `/v1/apps/${appId}/endpoints/${endpointId}/test`);
      expect(tested.status).toBe(200);
      expect(tested.body).toMatchObject({ outcome: 'failed', error: 'timeout', responseStatus: null });
    } finally {
      await stack.stop();
      await receiver.close();
    }
  });
});
