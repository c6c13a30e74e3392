import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HookpostProcess } from '../support/hookpost-process';
import { eventually, Receiver } from '../support/receiver';

const KEY = 'hpk_admin_requested_0123456789abcdef';

/**
 * Attempts made on request, outside the retry ladder, over real HTTP against `npm start`:
 * a test send, a resend, and the recovery of failed deliveries. The ladder is short
 * (three attempts, 10 ms apart) so that deliveries fail for good within the test.
 */
describe('attempts on request (npm start)', () => {
  let dataDir: string;
  let hookpost: HookpostProcess;
  let receiver: Receiver;
  /** Each test's own application, so that its messages reach its endpoints alone. */
  let appId: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-requested-'));
    receiver = await Receiver.start();
    hookpost = await HookpostProcess.start({
      HOOKPOST_DATA_DIR: dataDir,
      HOOKPOST_ADMIN_KEY: KEY,
      HOOKPOST_RETRY_LADDER: '1,1',
      HOOKPOST_TIME_SCALE: '0.01',
    });
    expect((await call('POST', '/v1/event-types', { name: 'invoice.paid' })).status).toBe(201);
  });
  afterAll(async () => {
    await hookpost?.stop();
    await receiver?.close();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    receiver.reply = () => ({ status: 200, body: 'ok' });
    appId = (await call('POST', '/v1/apps', { name: 'Requests' })).body.id;
  });

  const call = (method: string, path: string, body?: unknown) => hookpost.request(method, path, KEY, body);
  const at = (path: string) => receiver.requests.filter((request) => request.path === path);

  async function anEndpoint(path: string): Promise<{ endpointId: string; secret: string }> {
    const endpoint = await call('POST', `/v1/apps/${appId}/endpoints`, { url: `${receiver.url}${path}` });
    expect(endpoint.status).toBe(201);
    const secret = await call('GET', `/v1/apps/${appId}/endpoints/${endpoint.body.id}/secret`);
    return { endpointId: endpoint.body.id, secret: secret.body.key };
  }

  async function settled(msgId: string) {
    const message = await eventually(
      () => call('GET', `/v1/apps/${appId}/messages/${msgId}`),
      (answer) => answer.body.deliveries?.[0] !== undefined && answer.body.deliveries[0].status !== 'pending',
    );
    return message.body.deliveries[0];
  }

  it('sends a signed webhook.test now and answers its attempt', async () => {
    const { endpointId, secret } = await anEndpoint('/test');

    const answer = await call('POST', `/v1/apps/${appId}/endpoints/${endpointId}/test`);

    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      endpointId,
      trigger: 'manual',
      outcome: 'succeeded',
      responseStatus: 200,
    });
    const [request] = at('/test');
    expect(new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {})).toMatchObject({
      type: 'webhook.test',
      data: { test: true, endpointId },
    });
    const attempts = await call('GET', `/v1/apps/${appId}/endpoints/${endpointId}/attempts`);
    expect(attempts.body.data.map((attempt: { id: string }) => attempt.id)).toEqual([answer.body.id]);
  });

  it("answers a failed test send's attempt, and refuses to test a disabled endpoint", async () => {
    const { endpointId } = await anEndpoint('/test-failing');
    receiver.reply = () => ({ status: 500, body: 'down' });

    const failed = await call('POST', `/v1/apps/${appId}/endpoints/${endpointId}/test`);
    await call('PATCH', `/v1/apps/${appId}/endpoints/${endpointId}`, { disabled: true });
    const refused = await call('POST', `/v1/apps/${appId}/endpoints/${endpointId}/test`);

    expect(failed.body).toMatchObject({ outcome: 'failed', responseStatus: 500, responseBody: 'down' });
    expect([refused.status, refused.body.error.code]).toEqual([409, 'conflict']);
    expect(at('/test-failing')).toHaveLength(1);
  });

  it('resends a delivered message as a manual attempt, without restarting the ladder', async () => {
    const { endpointId } = await anEndpoint('/resend');
    const sent = await call('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'invoice.paid',
      payload: { n: 1 },
    });
    expect(await settled(sent.body.id)).toMatchObject({ status: 'succeeded', attemptCount: 1 });

    const resent = await call(
      'POST',
      `/v1/apps/${appId}/messages/${sent.body.id}/endpoints/${endpointId}/resend`,
    );
    expect(resent.status).toBe(202);
    const attempts = await eventually(
      () => call('GET', `/v1/apps/${appId}/messages/${sent.body.id}/attempts`),
      (answer) => answer.body.data.length === 2,
    );

    expect(attempts.body.data.map((attempt: { trigger: string }) => attempt.trigger)).toEqual([
      'initial',
      'manual',
    ]);
    expect(at('/resend').map((request) => request.headers['webhook-id'])).toEqual([
      sent.body.id,
      sent.body.id,
    ]);
    expect(await settled(sent.body.id)).toMatchObject({ status: 'succeeded', attemptCount: 1 });
  });

  it('ends a failed delivery as succeeded when a resend gets through', async () => {
    const { endpointId } = await anEndpoint('/resend-failed');
    receiver.reply = () => ({ status: 503 });
    const sent = await call('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'invoice.paid',
      payload: { n: 2 },
    });
    expect(await settled(sent.body.id)).toMatchObject({ status: 'failed', attemptCount: 3 });

    receiver.reply = () => ({ status: 200 });
    await call('POST', `/v1/apps/${appId}/messages/${sent.body.id}/endpoints/${endpointId}/resend`);
    const delivery = await eventually(
      () => call('GET', `/v1/apps/${appId}/messages/${sent.body.id}`),
      (answer) => answer.body.deliveries[0].status === 'succeeded',
    );

    expect(delivery.body.deliveries[0]).toMatchObject({
      attemptCount: 3,
      lastAttempt: { trigger: 'manual', attemptNumber: 4, outcome: 'succeeded' },
    });
    const missing = await call(
      'POST',
      `/v1/apps/${appId}/messages/msg_01M83VHPCKX2V2AZW94MQ33AQK/endpoints/${endpointId}/resend`,
    );
    expect(missing.status).toBe(404);
  });

  it('recovers the failed deliveries of an endpoint since a time, not those before it', async () => {
    const { endpointId } = await anEndpoint('/recover');
    receiver.reply = () => ({ status: 500 });
    const send = async (n: number) =>
      (await call('POST', `/v1/apps/${appId}/messages`, { eventType: 'invoice.paid', payload: { n } })).body
        .id as string;
    const earlier = await send(0);
    expect(await settled(earlier)).toMatchObject({ status: 'failed' });
    await new Promise((resolve) => setTimeout(resolve, 5));
    const since = new Date().toISOString();
    const failed = [await send(1), await send(2)];
    for (const msgId of failed) expect(await settled(msgId)).toMatchObject({ status: 'failed' });
    receiver.reply = () => ({ status: 200 });
    const before = at('/recover').length;

    const recovered = await call('POST', `/v1/apps/${appId}/endpoints/${endpointId}/recover`, { since });

    expect(recovered).toMatchObject({ status: 202, body: { since } });
    for (const msgId of failed) {
      await eventually(
        () => call('GET', `/v1/apps/${appId}/messages/${msgId}`),
        (answer) => answer.body.deliveries[0].status === 'succeeded',
      );
    }
    expect(at('/recover').length - before).toBe(2);
    expect(await settled(earlier)).toMatchObject({ status: 'failed' });
    const bad = await call('POST', `/v1/apps/${appId}/endpoints/${endpointId}/recover`, {
      since: 'yesterday',
    });
    expect(bad.status).toBe(422);
  });
});
