import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_IDS, ROUTES } from '../../lambdas/contract/routes';
import { HookpostProcess } from '../support/hookpost-process';
import { eventually, Receiver } from '../support/receiver';

const KEY = 'hpk_admin_features_0123456789abcdef';

/**
 * The features of the API, each over real HTTP against one `npm start` process: every test
 * creates its own application, so that they do not see each other's endpoints.
 */
describe('API features in local mode', () => {
  let dataDir: string;
  let hookpost: HookpostProcess;
  let receiver: Receiver;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-features-'));
    receiver = await Receiver.start();
    hookpost = await HookpostProcess.start({ HOOKPOST_DATA_DIR: dataDir, HOOKPOST_ADMIN_KEY: KEY });
    expect((await call('POST', '/v1/event-types', { name: 'order.placed' })).status).toBe(201);
  });
  afterAll(async () => {
    await hookpost?.stop();
    await receiver?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  const call = (method: string, path: string, body?: unknown) => hookpost.request(method, path, KEY, body);

  async function anApp(name: string): Promise<string> {
    const app = await call('POST', '/v1/apps', { name });
    expect(app.status).toBe(201);
    return app.body.id as string;
  }

  async function anEndpoint(appId: string, fields: Record<string, unknown>): Promise<string> {
    const endpoint = await call('POST', `/v1/apps/${appId}/endpoints`, fields);
    expect(endpoint.status, JSON.stringify(endpoint.body)).toBe(201);
    return endpoint.body.id as string;
  }

  it('routes messages by channel: an endpoint with channels takes the messages naming one of them', async () => {
    const appId = await anApp('Channels');
    const eu = await anEndpoint(appId, { url: `${receiver.url}/eu`, channels: ['eu'] });
    const all = await anEndpoint(appId, { url: `${receiver.url}/all`, channels: null });
    const us = await anEndpoint(appId, { url: `${receiver.url}/us` });
    expect(
      (await call('PATCH', `/v1/apps/${appId}/endpoints/${us}`, { channels: ['us'] })).body.channels,
    ).toEqual(['us']);

    const send = async (channels: string[] | undefined) => {
      const sent = await call('POST', `/v1/apps/${appId}/messages`, {
        eventType: 'order.placed',
        payload: { channels: channels ?? null },
        ...(channels === undefined ? {} : { channels }),
      });
      expect(sent.status).toBe(202);
      return sent.body.id as string;
    };
    const expected = new Map([
      [await send(['eu']), [eu, all]],
      [await send(undefined), [all]],
      [await send(['us', 'eu']), [eu, all, us]],
      [await send(['apac']), [all]],
    ]);

    await receiver.waitFor(7);
    for (const [msgId, endpointIds] of expected) {
      const message = await call('GET', `/v1/apps/${appId}/messages/${msgId}`);
      const delivered = (message.body.deliveries as { endpointId: string }[]).map(
        (delivery) => delivery.endpointId,
      );
      expect(delivered.sort()).toEqual([...endpointIds].sort());
    }
    expect(receiver.requests.map((request) => request.path).sort()).toEqual(
      ['/all', '/all', '/all', '/all', '/eu', '/eu', '/us'].sort(),
    );
  });

  it("checks each message's payload against its event type's JSON Schema, naming the failing field", async () => {
    const schema = {
      type: 'object',
      required: ['invoiceId'],
      properties: { invoiceId: { type: 'string' }, amount: { type: 'integer', minimum: 0 } },
    };
    const refusedSchema = await call('POST', '/v1/event-types', {
      name: 'invoice.voided',
      schema: { type: 'money' },
    });
    expect(refusedSchema.status).toBe(422);
    expect(refusedSchema.body.error.details[0].path).toBe('schema');
    expect((await call('POST', '/v1/event-types', { name: 'invoice.voided', schema })).status).toBe(201);
    const appId = await anApp('Schemas');

    const refused = await call('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'invoice.voided',
      payload: { amount: -5 },
    });
    const accepted = await call('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'invoice.voided',
      payload: { invoiceId: 'inv_1', amount: 5 },
    });

    expect(refused.status).toBe(422);
    expect(refused.body.error.details.map((problem: { path: string }) => problem.path).sort()).toEqual([
      'payload.amount',
      'payload.invoiceId',
    ]);
    expect(accepted.status).toBe(202);
    const patched = await call('PATCH', '/v1/event-types/invoice.voided', {
      schema: { type: 'object', maxProperties: 0 },
    });
    expect(patched.status).toBe(200);
    const nowRefused = await call('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'invoice.voided',
      payload: { invoiceId: 'inv_2' },
    });
    expect(nowRefused.status).toBe(422);
    const listed = await call('GET', `/v1/apps/${appId}/messages`);
    expect(listed.body.data.map((message: { id: string }) => message.id)).toEqual([accepted.body.id]);
  });

  it('lists the egress IPs: loopback, in local mode', async () => {
    expect(await call('GET', '/v1/egress-ips')).toMatchObject({ status: 200, body: { data: ['127.0.0.1'] } });
  });

  it('gives an application a key of its own: shown once, scoped to it, refused once revoked', async () => {
    const appId = await anApp('Keyed');
    const created = await call('POST', `/v1/apps/${appId}/keys`);
    expect(created.status).toBe(201);
    expect(created.body).toEqual({
      id: expect.stringMatching(/^key_/),
      key: expect.stringMatching(/^hpk_app_/),
      createdAt: expect.any(String),
    });
    const { id: keyId, key } = created.body as { id: string; key: string };
    const listed = await call('GET', `/v1/apps/${appId}/keys`);
    expect(listed.body).toEqual({
      data: [{ id: keyId, appId, createdAt: created.body.createdAt }],
      nextCursor: null,
    });
    const withKey = (method: string, path: string, body?: unknown) =>
      hookpost.request(method, path, key, body);

    expect((await withKey('GET', `/v1/apps/${appId}`)).status).toBe(200);
    expect(
      (await withKey('POST', `/v1/apps/${appId}/endpoints`, { url: `${receiver.url}/keyed` })).status,
    ).toBe(201);
    expect(
      (await withKey('POST', `/v1/apps/${appId}/messages`, { eventType: 'order.placed', payload: {} }))
        .status,
    ).toBe(202);
    expect((await withKey('GET', '/v1/event-types')).status).toBe(200);
    expect((await withKey('GET', '/v1/egress-ips')).status).toBe(200);
    for (const [method, path, body] of [
      ['GET', '/v1/apps', undefined],
      ['POST', '/v1/apps', { name: 'Sneaky' }],
      ['PATCH', `/v1/apps/${appId}`, { name: 'Renamed' }],
      ['POST', `/v1/apps/${appId}/keys`, undefined],
      ['POST', '/v1/event-types', { name: 'sneaky.type' }],
    ] as const) {
      const refused = await withKey(method, path, body);
      expect([method, path, refused.status, refused.body.error?.code]).toEqual([
        method,
        path,
        403,
        'forbidden',
      ]);
    }

    expect((await call('DELETE', `/v1/apps/${appId}/keys/${keyId}`)).status).toBe(204);
    expect((await withKey('GET', `/v1/apps/${appId}`)).status).toBe(401);
    expect((await call('DELETE', `/v1/apps/${appId}/keys/${keyId}`)).status).toBe(404);
  });

  it("answers 404 on every route to a key of application A naming application B's ids", async () => {
    const appA = await anApp('Tenant A');
    const appB = await anApp('Tenant B');
    const keyA = (await call('POST', `/v1/apps/${appA}/keys`)).body.key as string;
    const ids: Record<string, string> = {
      appId: appB,
      endpointId: await anEndpoint(appB, { url: `${receiver.url}/tenant-b` }),
      msgId: (await call('POST', `/v1/apps/${appB}/messages`, { eventType: 'order.placed', payload: {} }))
        .body.id,
      keyId: (await call('POST', `/v1/apps/${appB}/keys`)).body.id,
    };
    const routes = ROUTE_IDS.filter((id) => ROUTES[id].path.includes('{appId}'));
    expect(routes.length).toBeGreaterThan(15);

    for (const id of routes) {
      const route = ROUTES[id];
      const path = route.path.replace(/\{(\w+)\}/g, (_, name: string) => ids[name] ?? 'missing');
      const answer = await hookpost.request(route.method, path, keyA, route.body === 'none' ? undefined : {});
      expect([id, answer.status, answer.body.error?.code]).toEqual([id, 404, 'not_found']);
    }
    // And B's resources are all still there.
    expect((await call('GET', `/v1/apps/${appB}/endpoints/${ids.endpointId}`)).status).toBe(200);
    expect((await call('GET', `/v1/apps/${appB}/keys`)).body.data).toHaveLength(1);
  });

  it("keeps an endpoint's deliveries within its rateLimit, without failed attempts", async () => {
    const appId = await anApp('Rate limited');
    const limit = 4;
    await anEndpoint(appId, { url: `${receiver.url}/limited`, rateLimit: limit });
    const sent = await Promise.all(
      Array.from({ length: 16 }, (_, index) =>
        call('POST', `/v1/apps/${appId}/messages`, { eventType: 'order.placed', payload: { index } }),
      ),
    );
    expect(sent.every((answer) => answer.status === 202)).toBe(true);

    const arrivals = await eventually(
      async () =>
        receiver.requests.filter((request) => request.path === '/limited').map((request) => request.at),
      (times) => times.length === 16,
      30_000,
    );
    const spanSeconds = (Math.max(...arrivals) - Math.min(...arrivals)) / 1000;
    // 16 sends in slots 1/limit apart span at least 15/limit seconds; 5 % is left for timer jitter.
    expect((arrivals.length - 1) / spanSeconds).toBeLessThanOrEqual(limit * 1.05);
    for (const answer of sent) {
      const message = await call('GET', `/v1/apps/${appId}/messages/${answer.body.id}`);
      expect(message.body.deliveries).toEqual([
        expect.objectContaining({ status: 'succeeded', attemptCount: 1 }),
      ]);
    }
  });

  it('accepts a batch item by item: each idempotent on its eventId, a bad one refused alone', async () => {
    const appId = await anApp('Batches');
    const batch = {
      messages: [
        { eventType: 'order.placed', eventId: 'order-1', payload: { n: 1 } },
        { eventType: 'not a type', payload: { n: 2 } },
        { eventType: 'order.placed', payload: { n: 3 } },
      ],
    };

    const first = await call('POST', `/v1/apps/${appId}/messages/batch`, batch);
    const again = await call('POST', `/v1/apps/${appId}/messages/batch`, batch);

    expect(first.status).toBe(200);
    expect(first.body.data.map((result: { status: number }) => result.status)).toEqual([202, 422, 202]);
    expect(first.body.data[1].error).toMatchObject({
      code: 'validation_failed',
      details: [{ path: 'eventType' }],
    });
    expect(again.body.data.map((result: { status: number }) => result.status)).toEqual([200, 422, 202]);
    expect(again.body.data[0].message.id).toBe(first.body.data[0].message.id);
    const listed = await call('GET', `/v1/apps/${appId}/messages`);
    expect(listed.body.data).toHaveLength(3);

    const tooMany = {
      messages: Array.from({ length: 101 }, () => ({ eventType: 'order.placed', payload: {} })),
    };
    const refused = await call('POST', `/v1/apps/${appId}/messages/batch`, tooMany);
    expect([refused.status, refused.body.error.details[0].path]).toEqual([422, 'messages']);
    expect((await call('GET', `/v1/apps/${appId}/messages`)).body.data).toHaveLength(3);
  });

  it('serves its OpenAPI 3.1 document without a key', async () => {
    const answer = await hookpost.request('GET', '/v1/openapi.json', '');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ openapi: '3.1.0', info: { title: 'Hookpost' } });
    expect(Object.keys(answer.body.paths)).toContain('/v1/apps/{appId}/messages/batch');
  });

  it("shows an endpoint's attempts, the failed ones alone, and counts its deliveries", async () => {
    const appId = await anApp('Endpoint views');
    const endpointId = await anEndpoint(appId, { url: `${receiver.url}/views` });
    let answered = 0;
    receiver.reply = (request) => {
      if (request.path !== '/views') return { status: 200 };
      answered += 1;
      return answered === 1 ? { status: 200 } : { status: 500, body: 'down' };
    };
    const send = async (n: number) =>
      (await call('POST', `/v1/apps/${appId}/messages`, { eventType: 'order.placed', payload: { n } })).body
        .id as string;
    const delivered = await send(1);
    await eventually(
      () => call('GET', `/v1/apps/${appId}/messages/${delivered}`),
      (message) => message.body.deliveries[0]?.status === 'succeeded',
    );
    const failing = await send(2);
    const base = `/v1/apps/${appId}/endpoints/${endpointId}`;
    const attempts = await eventually(
      () => call('GET', `${base}/attempts`),
      (answer) => answer.body.data.length === 2,
    );

    expect(attempts.body.data.map((attempt: { msgId: string }) => attempt.msgId)).toEqual([
      failing,
      delivered,
    ]);
    const failed = await call('GET', `${base}/attempts?outcome=failed`);
    expect(failed.body.data).toEqual([expect.objectContaining({ msgId: failing, responseStatus: 500 })]);
    expect((await call('GET', `${base}/stats`)).body).toMatchObject({ succeeded: 1, failed: 0, pending: 1 });
    const longAgo = await call('GET', `${base}/stats?since=2026-01-01T00:00:00Z&until=2026-01-02T00:00:00Z`);
    expect(longAgo.body).toMatchObject({ succeeded: 0, failed: 0, pending: 0 });
    expect(
      (await call('GET', `${base}/stats?since=2026-01-01T00:00:00Z&until=2026-06-01T00:00:00Z`)).status,
    ).toBe(400);
    expect((await call('GET', `${base}/attempts?outcome=maybe`)).status).toBe(400);
    receiver.reply = () => ({ status: 200 });
  });

  it('signs with the old and the new secret during a rotation, so that either verifies', async () => {
    const appId = await anApp('Rotation');
    const endpointId = await anEndpoint(appId, { url: `${receiver.url}/rotation` });
    const secretPath = `/v1/apps/${appId}/endpoints/${endpointId}/secret`;
    const oldSecret = (await call('GET', secretPath)).body.key as string;
    expect((await call('POST', `${secretPath}/rotate`)).status).toBe(204);
    const newSecret = (await call('GET', secretPath)).body.key as string;
    expect(newSecret).not.toBe(oldSecret);

    await call('POST', `/v1/apps/${appId}/messages`, {
      eventType: 'order.placed',
      payload: { rotated: true },
    });
    const [request] = await eventually(
      async () => receiver.requests.filter((received) => received.path === '/rotation'),
      (requests) => requests.length === 1,
    );

    expect(request?.headers['webhook-signature']?.split(' ')).toHaveLength(2);
    for (const secret of [oldSecret, newSecret]) {
      expect(new Webhook(secret).verify(request?.body ?? '', request?.headers ?? {})).toMatchObject({
        data: { rotated: true },
      });
    }
  });
});
