import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HookpostProcess } from '../support/hookpost-process';
import { eventually, Receiver } from '../support/receiver';

const KEY = 'hpk_admin_e2e_0123456789abcdef';

/** `npm start`, driven over real HTTP the way the README tells a new user to. */
describe('local mode (npm start)', () => {
  let dataDir: string;
  let hookpost: HookpostProcess | undefined;
  const receivers: Receiver[] = [];

  const startReceiver = async () => {
    const receiver = await Receiver.start();
    receivers.push(receiver);
    return receiver;
  };
  const start = async (env: Record<string, string> = {}) => {
    hookpost = await HookpostProcess.start({ HOOKPOST_DATA_DIR: dataDir, HOOKPOST_ADMIN_KEY: KEY, ...env });
    return hookpost;
  };

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-e2e-'));
  });
  afterEach(async () => {
    await hookpost?.stop();
    hookpost = undefined;
    await Promise.all(receivers.splice(0).map((receiver) => receiver.close()));
    await rm(dataDir, { recursive: true, force: true });
  });

  async function walkThrough(api: HookpostProcess, receiverUrl: string) {
    expect((await api.request('POST', '/v1/event-types', KEY, { name: 'invoice.paid' })).status).toBe(201);
    const app = await api.request('POST', '/v1/apps', KEY, { name: 'Acme' });
    expect(app.status).toBe(201);
    const endpoint = await api.request('POST', `/v1/apps/${app.body.id}/endpoints`, KEY, {
      url: `${receiverUrl}/webhooks`,
    });
    expect(endpoint.status).toBe(201);
    const secret = await api.request(
      'GET',
      `/v1/apps/${app.body.id}/endpoints/${endpoint.body.id}/secret`,
      KEY,
    );
    return {
      appId: app.body.id as string,
      endpointId: endpoint.body.id as string,
      secret: secret.body.key as string,
    };
  }

  it('takes a new user from nothing to a verified webhook, once per eventId', async () => {
    const receiver = await startReceiver();
    const api = await start();
    expect((await api.request('GET', '/v1/health', '')).status).toBe(200);
    const { appId, secret } = await walkThrough(api, receiver.url);

    const sent = await api.request('POST', `/v1/apps/${appId}/messages`, KEY, {
      eventType: 'invoice.paid',
      eventId: 'inv_1-paid',
      payload: { invoiceId: 'inv_1', amount: 1999 },
    });
    expect(sent.status).toBe(202);

    await receiver.waitFor(1);
    const [request] = receiver.requests;
    expect(request?.headers['content-type']).toBe('application/json');
    const verified = new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {});
    expect(verified).toEqual({
      type: 'invoice.paid',
      timestamp: sent.body.timestamp,
      data: { invoiceId: 'inv_1', amount: 1999 },
    });
    expect(request?.headers['webhook-id']).toBe(sent.body.id);

    const replay = await api.request('POST', `/v1/apps/${appId}/messages`, KEY, {
      eventType: 'invoice.paid',
      eventId: 'inv_1-paid',
      payload: { invoiceId: 'inv_1', amount: 1999 },
    });
    expect(replay.status).toBe(200);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(sent.body);

    const unknown = await api.request('POST', `/v1/apps/${appId}/messages`, KEY, {
      eventType: 'nope.never',
      payload: {},
    });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'eventType' }] });

    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests).toHaveLength(1);
  });

  it('runs the whole ladder against a failing receiver and reports the exhausted message', async () => {
    const scale = 0.0001;
    const receiver = await startReceiver();
    receiver.reply = () => ({ status: 500, body: 'nope' });
    const operator = await startReceiver();
    const api = await start({ HOOKPOST_TIME_SCALE: String(scale) });
    const { appId } = await walkThrough(api, receiver.url);
    await api.request('POST', '/v1/apps/app_operational/endpoints', KEY, { url: `${operator.url}/ops` });

    const sent = await api.request('POST', `/v1/apps/${appId}/messages`, KEY, {
      eventType: 'invoice.paid',
      payload: {},
    });
    await receiver.waitFor(7);

    const gaps = receiver.requests
      .slice(1)
      .map((request, index) => request.at - (receiver.requests[index]?.at ?? 0));
    const rungsMs = [5, 300, 1_800, 7_200, 18_000, 36_000].map((seconds) => seconds * 1000 * scale);
    gaps.forEach((gap, index) => {
      expect(gap).toBeGreaterThanOrEqual(0.9 * (rungsMs[index] ?? 0) - 1);
    });
    for (let index = 1; index < gaps.length - 1; index++) {
      expect(gaps[index + 1]).toBeGreaterThan(gaps[index] ?? 0);
    }

    const message = await eventually(
      () => api.request('GET', `/v1/apps/${appId}/messages/${sent.body.id}`, KEY),
      (response) => response.body.deliveries[0]?.status === 'failed',
    );
    expect(message.body.deliveries[0]).toMatchObject({ attemptCount: 7, nextAttemptAt: null });
    const attempts = await api.request('GET', `/v1/apps/${appId}/messages/${sent.body.id}/attempts`, KEY);
    expect(attempts.body.data).toHaveLength(7);
    expect(attempts.body.data.map((attempt: { responseStatus: number }) => attempt.responseStatus)).toEqual(
      Array(7).fill(500),
    );

    // The operator hears of the third failure in a row, then of the end of the ladder.
    await operator.waitFor(2);
    const notices = operator.requests.map((request) => JSON.parse(request.body));
    expect(notices.map((notice) => notice.type)).toEqual([
      'message.attempt.failing',
      'message.attempt.exhausted',
    ]);
    expect(notices[1].data).toMatchObject({ appId, msgId: sent.body.id, eventType: 'invoice.paid' });
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.requests).toHaveLength(7);
  });

  it('loses nothing to a SIGKILL: pending retries and in-flight deliveries happen after a restart', async () => {
    const failing = await startReceiver();
    failing.reply = () => ({ status: 503 });
    const slow = await startReceiver();
    slow.reply = () => ({ status: 200, delayMs: 10_000 });
    let api = await start({ HOOKPOST_TIME_SCALE: '0.001' });
    await api.request('POST', '/v1/event-types', KEY, { name: 'invoice.paid' });
    const appId = (await api.request('POST', '/v1/apps', KEY, { name: 'Acme', uid: 'acme' })).body.id;
    const failingEndpoint = (
      await api.request('POST', `/v1/apps/${appId}/endpoints`, KEY, { url: `${failing.url}/a` })
    ).body.id;
    await api.request('POST', `/v1/apps/${appId}/endpoints`, KEY, { url: `${slow.url}/b` });

    const sent = await api.request('POST', `/v1/apps/${appId}/messages`, KEY, {
      eventType: 'invoice.paid',
      payload: { n: 1 },
    });
    // Attempt 2 to the failing endpoint recorded: attempt 3 waits on a schedule (30 min × 0.001 = 1.8 s).
    await eventually(
      () => api.request('GET', `/v1/apps/${appId}/messages/${sent.body.id}`, KEY),
      (response) =>
        response.body.deliveries.some(
          (delivery: { endpointId: string; attemptCount: number }) =>
            delivery.endpointId === failingEndpoint && delivery.attemptCount === 2,
        ),
    );
    await slow.waitFor(1);
    await api.stop('SIGKILL');

    failing.reply = () => ({ status: 200 });
    slow.reply = () => ({ status: 200 });
    api = await start({ HOOKPOST_TIME_SCALE: '0.001' });

    expect((await api.request('GET', `/v1/apps/${appId}`, KEY)).body.uid).toBe('acme');
    expect((await api.request('GET', `/v1/apps/${appId}/endpoints`, KEY)).body.data).toHaveLength(2);
    expect(
      (await api.request('GET', `/v1/apps/${appId}/messages`, KEY)).body.data.map(
        (m: { id: string }) => m.id,
      ),
    ).toEqual([sent.body.id]);

    const settled = await eventually(
      () => api.request('GET', `/v1/apps/${appId}/messages/${sent.body.id}`, KEY),
      // Fanned out (an empty list would pass `every`) and delivered.
      (response) =>
        response.body.deliveries.length > 0 &&
        response.body.deliveries.every((delivery: { status: string }) => delivery.status === 'succeeded'),
    );
    const byEndpoint = new Map(
      settled.body.deliveries.map((delivery: { endpointId: string; attemptCount: number }) => [
        delivery.endpointId,
        delivery,
      ]),
    );
    expect(byEndpoint.get(failingEndpoint)).toMatchObject({ attemptCount: 3 });
    expect(failing.requests).toHaveLength(3);
    // The delivery that was in flight at the kill is made again, with the same webhook-id.
    expect(slow.requests.map((request) => request.headers['webhook-id'])).toEqual([
      sent.body.id,
      sent.body.id,
    ]);
  });

  it('generates an admin key when none is given and keeps it across restarts', async () => {
    const first = await HookpostProcess.start({ HOOKPOST_DATA_DIR: dataDir });
    const key = /Admin key \(generated[^:]*\): (\S+)/.exec(first.log)?.[1];
    expect(key).toBeDefined();
    expect((await first.request('GET', '/v1/apps', key ?? '')).status).toBe(200);
    expect((await first.request('GET', '/v1/apps', 'wrong')).status).toBe(401);
    await first.stop();
    hookpost = await HookpostProcess.start({ HOOKPOST_DATA_DIR: dataDir });
    expect(hookpost.log).toContain(key);
    expect((await hookpost.request('GET', '/v1/apps', key ?? '')).status).toBe(200);
  });

  it('refuses to share a data directory with a running Hookpost, and says so', async () => {
    await start();
    await expect(HookpostProcess.start({ HOOKPOST_DATA_DIR: dataDir })).rejects.toThrow(
      /Another Hookpost \(pid \d+\) is using/,
    );
  });
});
