import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN_KEY, LocalStack } from '../support/local-stack';

/** The API handler, fed API Gateway proxy events, over the real stores. */
describe('REST API handler', () => {
  let stack: LocalStack;
  let appId: string;

  beforeAll(async () => {
    stack = await LocalStack.start();
    await stack.call('POST', '/v1/event-types', { body: { name: 'invoice.paid', description: 'Paid.' } });
    appId = (await stack.call('POST', '/v1/apps', { body: { name: 'Acme', uid: 'acme' } })).body.id;
  });
  afterAll(async () => {
    await stack?.stop();
  });

  const expectError = (response: { status: number; body: unknown }, status: number, code: string) => {
    expect(response.status).toBe(status);
    expect(response.body).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
  };

  describe('authentication', () => {
    it('lets anyone check health', async () => {
      expect(await stack.call('GET', '/v1/health', { key: null })).toMatchObject({
        status: 200,
        body: { status: 'ok' },
      });
    });

    it.each([null, 'wrong-key', `${ADMIN_KEY}x`])('refuses key %s with 401', async (key) => {
      expectError(await stack.call('GET', '/v1/apps', { key }), 401, 'unauthorized');
    });
  });

  describe('routing', () => {
    it('answers an unknown route with 404 and a wrong method with 405', async () => {
      expectError(await stack.call('GET', '/v1/nothing'), 404, 'not_found');
      expectError(await stack.call('PUT', '/v1/apps'), 405, 'method_not_allowed');
    });

    it('answers an absurdly long id with 404, not a store error', async () => {
      expectError(await stack.call('GET', `/v1/apps/app_${'x'.repeat(5000)}`), 404, 'not_found');
    });
  });

  describe('apps', () => {
    it('creates, reads, updates, lists and deletes', async () => {
      const created = await stack.call('POST', '/v1/apps', {
        body: { name: 'Globex', metadata: { plan: 'pro' } },
      });
      expect(created).toMatchObject({
        status: 201,
        body: { id: expect.stringMatching(/^app_/), name: 'Globex', uid: null },
      });
      const id = created.body.id;
      expect((await stack.call('GET', `/v1/apps/${id}`)).body.metadata).toEqual({ plan: 'pro' });
      expect((await stack.call('PATCH', `/v1/apps/${id}`, { body: { name: 'Globex Corp' } })).body.name).toBe(
        'Globex Corp',
      );
      const listed = await stack.call('GET', '/v1/apps', { query: { limit: '250' } });
      expect(listed.body.data.map((app: { id: string }) => app.id)).toContain(id);
      expect(listed.body.nextCursor).toBeNull();
      expect((await stack.call('DELETE', `/v1/apps/${id}`)).status).toBe(204);
      expectError(await stack.call('GET', `/v1/apps/${id}`), 404, 'not_found');
    });

    it('refuses a duplicate uid with 409', async () => {
      expectError(
        await stack.call('POST', '/v1/apps', { body: { name: 'Again', uid: 'acme' } }),
        409,
        'conflict',
      );
    });

    it('has the built-in app_operational, read-only', async () => {
      expect((await stack.call('GET', '/v1/apps/app_operational')).status).toBe(200);
      expectError(await stack.call('DELETE', '/v1/apps/app_operational'), 409, 'conflict');
    });

    it.each([{}, { name: '' }, { name: 'x', uid: 'has space' }, { name: 'x', surprise: true }])(
      'refuses %j with 422 naming the field',
      async (body) => {
        const response = await stack.call('POST', '/v1/apps', { body });
        expectError(response, 422, 'validation_failed');
        expect(response.body.error.details.length).toBeGreaterThan(0);
      },
    );
  });

  describe('event types', () => {
    it('refuses a duplicate name with 409 and a bad one with 422', async () => {
      expectError(
        await stack.call('POST', '/v1/event-types', { body: { name: 'invoice.paid' } }),
        409,
        'conflict',
      );
      expectError(
        await stack.call('POST', '/v1/event-types', { body: { name: 'bad name' } }),
        422,
        'validation_failed',
      );
    });

    it('archives on DELETE, and archived types take no messages', async () => {
      await stack.call('POST', '/v1/event-types', { body: { name: 'legacy.thing' } });
      expect((await stack.call('DELETE', '/v1/event-types/legacy.thing')).status).toBe(204);
      expect((await stack.call('GET', '/v1/event-types/legacy.thing')).body.archived).toBe(true);
      expectError(
        await stack.call('POST', `/v1/apps/${appId}/messages`, {
          body: { eventType: 'legacy.thing', payload: {} },
        }),
        422,
        'validation_failed',
      );
    });
  });

  describe('endpoints', () => {
    it('creates an endpoint whose secret shows only on its own route, and rotates it', async () => {
      const created = await stack.call('POST', `/v1/apps/${appId}/endpoints`, {
        body: { url: 'http://127.0.0.1:9/hook', eventTypes: ['invoice.*'], headers: { 'X-Tenant': 'acme' } },
      });
      expect(created.status).toBe(201);
      expect(JSON.stringify(created.body)).not.toContain('whsec_');
      const path = `/v1/apps/${appId}/endpoints/${created.body.id}`;
      const secret = (await stack.call('GET', `${path}/secret`)).body.key;
      expect(secret).toMatch(/^whsec_/);
      expect((await stack.call('POST', `${path}/secret/rotate`)).status).toBe(204);
      expect((await stack.call('GET', `${path}/secret`)).body.key).not.toBe(secret);
      const chosen = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
      await stack.call('POST', `${path}/secret/rotate`, { body: { key: chosen } });
      expect((await stack.call('GET', `${path}/secret`)).body.key).toBe(chosen);
    });

    it('keeps every change of several sent at once, a secret rotation among them', async () => {
      const created = await stack.call('POST', `/v1/apps/${appId}/endpoints`, {
        body: { url: 'http://127.0.0.1:9/hook' },
      });
      const path = `/v1/apps/${appId}/endpoints/${created.body.id}`;
      const chosen = `whsec_${Buffer.alloc(32, 2).toString('base64')}`;
      const answers = await Promise.all([
        stack.call('PATCH', path, { body: { description: 'changed' } }),
        stack.call('PATCH', path, { body: { rateLimit: 7 } }),
        stack.call('PATCH', path, { body: { metadata: { team: 'billing' } } }),
        stack.call('PATCH', path, { body: { headers: { 'X-Tenant': 'acme' } } }),
        stack.call('POST', `${path}/secret/rotate`, { body: { key: chosen } }),
      ]);
      expect(answers.map((answer) => answer.status)).toEqual([200, 200, 200, 200, 204]);
      expect((await stack.call('GET', path)).body).toMatchObject({
        description: 'changed',
        rateLimit: 7,
        metadata: { team: 'billing' },
        headers: { 'X-Tenant': 'acme' },
      });
      expect((await stack.call('GET', `${path}/secret`)).body.key).toBe(chosen);
    });

    it.each([
      'http://10.0.0.1/hook',
      'http://169.254.169.254/',
      'ftp://example.com/',
      'http://[::ffff:192.168.1.1]/',
    ])('refuses %s with 422 on url', async (url) => {
      const response = await stack.call('POST', `/v1/apps/${appId}/endpoints`, { body: { url } });
      expectError(response, 422, 'validation_failed');
      expect(response.body.error.details).toEqual([expect.objectContaining({ path: 'url' })]);
    });

    it('answers 404 for endpoints of an unknown app', async () => {
      expectError(
        await stack.call('POST', '/v1/apps/app_01KAAAAAAAAAAAAAAAAAAAAAAA/endpoints', {
          body: { url: 'http://127.0.0.1:9/' },
        }),
        404,
        'not_found',
      );
    });
  });

  describe('messages', () => {
    const send = (body: unknown) => stack.call('POST', `/v1/apps/${appId}/messages`, { body });

    it('accepts with 202 and replays the same eventId with 200', async () => {
      const first = await send({
        eventType: 'invoice.paid',
        eventId: 'inv-1-paid',
        payload: { id: 'inv_1' },
      });
      expect(first).toMatchObject({
        status: 202,
        body: { id: expect.stringMatching(/^msg_/), eventId: 'inv-1-paid' },
      });
      expect(first.headers['Idempotent-Replayed']).toBeUndefined();
      const again = await send({
        eventType: 'invoice.paid',
        eventId: 'inv-1-paid',
        payload: { id: 'changed' },
      });
      expect(again.status).toBe(200);
      expect(again.headers['Idempotent-Replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
    });

    it('replays an eventId after its event type was archived, and refuses a new one', async () => {
      await stack.call('POST', '/v1/event-types', { body: { name: 'order.shipped' } });
      const first = await send({ eventType: 'order.shipped', eventId: 'ord-1', payload: { id: 'ord_1' } });
      expect(first.status).toBe(202);
      await stack.call('DELETE', '/v1/event-types/order.shipped');
      const again = await send({ eventType: 'order.shipped', eventId: 'ord-1', payload: { id: 'ord_1' } });
      expect(again.status).toBe(200);
      expect(again.headers['Idempotent-Replayed']).toBe('true');
      expect(again.body).toEqual(first.body);
      expectError(
        await send({ eventType: 'order.shipped', eventId: 'ord-2', payload: { id: 'ord_2' } }),
        422,
        'validation_failed',
      );
    });

    it('refuses an unknown event type with 422', async () => {
      expectError(await send({ eventType: 'nobody.knows', payload: {} }), 422, 'validation_failed');
    });

    it('refuses malformed JSON with 400 and a body over 256 KiB with 413', async () => {
      expectError(
        await stack.call('POST', `/v1/apps/${appId}/messages`, { rawBody: '{"eventType":' }),
        400,
        'bad_request',
      );
      const big = { eventType: 'invoice.paid', payload: { blob: 'x'.repeat(256 * 1024) } };
      expectError(await send(big), 413, 'payload_too_large');
    });

    it('refuses a number JSON cannot carry with 422, not a store error', async () => {
      const response = await stack.call('POST', `/v1/apps/${appId}/messages`, {
        rawBody: '{"eventType":"invoice.paid","payload":{"huge":1e400}}',
      });
      expectError(response, 422, 'validation_failed');
    });

    it.each([{ eventType: 'invoice.paid' }, { eventType: 'invoice.paid', payload: 'text' }, { payload: {} }])(
      'refuses %j with 422',
      async (body) => {
        expectError(await send(body), 422, 'validation_failed');
      },
    );

    it('lists newest first with a cursor, and refuses a bad query with 400', async () => {
      const ids: string[] = [];
      for (let index = 0; index < 3; index++) {
        ids.push((await send({ eventType: 'invoice.paid', payload: { index } })).body.id);
      }
      const first = await stack.call('GET', `/v1/apps/${appId}/messages`, { query: { limit: '2' } });
      expect(first.body.data.map((message: { id: string }) => message.id)).toEqual([ids[2], ids[1]]);
      const second = await stack.call('GET', `/v1/apps/${appId}/messages`, {
        query: { limit: '1', cursor: first.body.nextCursor },
      });
      expect(second.body.data[0].id).toBe(ids[0]);
      expectError(
        await stack.call('GET', `/v1/apps/${appId}/messages`, { query: { limit: '0' } }),
        400,
        'bad_request',
      );
      expectError(
        await stack.call('GET', `/v1/apps/${appId}/messages`, { query: { cursor: 'garbage' } }),
        400,
        'bad_request',
      );
      expectError(
        await stack.call('GET', `/v1/apps/${appId}/messages`, { query: { after: 'yesterday' } }),
        400,
        'bad_request',
      );
      // A filter the list does not take is refused, not ignored: the caller would read an unfiltered list.
      const unknown = await stack.call('GET', `/v1/apps/${appId}/messages`, { query: { channel: 'eu' } });
      expectError(unknown, 400, 'bad_request');
      expect(unknown.body.error.details).toEqual([
        expect.objectContaining({ message: expect.stringContaining('channel') }),
      ]);
    });

    it('shows a message with its deliveries, and 404 under another app', async () => {
      const { body } = await send({ eventType: 'invoice.paid', payload: {} });
      const shown = await stack.call('GET', `/v1/apps/${appId}/messages/${body.id}`);
      expect(shown.body).toMatchObject({ id: body.id, deliveries: expect.any(Array) });
      expectError(await stack.call('GET', `/v1/apps/app_operational/messages/${body.id}`), 404, 'not_found');
    });
  });
});
