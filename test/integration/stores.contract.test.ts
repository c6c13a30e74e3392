import type { PutCommandInput } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoApiKeyStore } from '../../lambdas/adapters/dynamo/api-key-store';
import { DynamoAppStore } from '../../lambdas/adapters/dynamo/app-store';
import { DynamoDeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import type { Documents } from '../../lambdas/adapters/dynamo/documents';
import { DynamoEndpointStore } from '../../lambdas/adapters/dynamo/endpoint-store';
import { DynamoEventTypeStore } from '../../lambdas/adapters/dynamo/event-type-store';
import { messageAttributes } from '../../lambdas/adapters/dynamo/message-item';
import { claimKey, DynamoMessageStore, messageKey } from '../../lambdas/adapters/dynamo/message-store';
import { DynamoRateLimiter } from '../../lambdas/adapters/dynamo/rate-limiter';
import {
  cachedAppStore,
  cachedEndpointStore,
  cachedEventTypeStore,
} from '../../lambdas/adapters/local/cached-catalog';
import {
  ChangedMeanwhileError,
  ConflictError,
  MalformedRequestError,
  NotFoundError,
} from '../../lambdas/core/errors';
import type { Endpoint } from '../../lambdas/core/model';
import type { ApiKeyStore, AppStore, EndpointStore, EventTypeStore, MessageStore } from '../../lambdas/ports';
import { type DynamoEngine, ENGINES, freshTables } from '../support/dynamodb';
import {
  aDelivery,
  aMessage,
  anApp,
  anAttempt,
  anEndpoint,
  anEventType,
  anInvoicePayload,
} from '../support/fixtures';

/**
 * The store ports' contract, run against every engine the DynamoDB adapter meets: dynalite
 * (local mode) and AWS's own DynamoDB Local (the closest thing to production here); and
 * once more with the catalogue read through local mode's cache in the process
 * (lambdas/adapters/local/cached-catalog.ts), which must answer as the store would.
 */
const SETUPS = [
  ...ENGINES.map((engine) => ({ ...engine, cachedCatalogue: false })),
  ...ENGINES.filter((engine) => engine.name === 'dynalite').map((engine) => ({
    ...engine,
    name: `${engine.name}, catalogue cached as local mode reads it`,
    cachedCatalogue: true,
  })),
];

describe.each(SETUPS)('store contract on $name', ({ start, cachedCatalogue }) => {
  let engine: DynamoEngine;
  let apps: AppStore;
  let apiKeys: ApiKeyStore;
  let eventTypes: EventTypeStore;
  let endpoints: EndpointStore;
  let messages: MessageStore;
  let deliveries: DynamoDeliveryStore;
  let tables: Awaited<ReturnType<typeof freshTables>>;

  beforeAll(async () => {
    engine = await start();
  });
  afterAll(async () => {
    await engine?.close();
  });
  beforeEach(async () => {
    tables = await freshTables(engine.endpoint);
    const { doc } = tables;
    apps = new DynamoAppStore(doc, tables.tables.catalog);
    apiKeys = new DynamoApiKeyStore(doc, tables.tables.catalog);
    eventTypes = new DynamoEventTypeStore(doc, tables.tables.catalog);
    endpoints = new DynamoEndpointStore(doc, tables.tables.catalog);
    if (cachedCatalogue) {
      apps = cachedAppStore(apps);
      eventTypes = cachedEventTypeStore(eventTypes);
      endpoints = cachedEndpointStore(endpoints);
    }
    messages = new DynamoMessageStore(doc, tables.tables.messages, { retentionDays: 30 });
    deliveries = new DynamoDeliveryStore(doc, tables.tables.deliveries, { retentionDays: 30 });
  });

  describe('AppStore', () => {
    it('stores and reads an app', async () => {
      const app = anApp({ metadata: { plan: 'pro' } });
      await apps.create(app);
      expect(await apps.get(app.id)).toEqual(app);
      expect(await apps.get('app_missing')).toBeUndefined();
    });

    it('keeps metadata keys named like members of Object.prototype', async () => {
      const app = anApp({ metadata: { constructor: 'x', toString: 'y', hasOwnProperty: 'z' } });
      await apps.create(app);
      expect(await apps.get(app.id)).toEqual(app);
    });

    it('keeps uid unique, and frees it on delete and on change', async () => {
      const first = anApp({ uid: 'customer-1' });
      await apps.create(first);
      await expect(apps.create(anApp({ uid: 'customer-1' }))).rejects.toThrow(ConflictError);

      const renamed = { ...first, uid: 'customer-2' };
      await apps.update(first, renamed);
      await apps.create(anApp({ uid: 'customer-1' }));
      await expect(apps.create(anApp({ uid: 'customer-2' }))).rejects.toThrow(ConflictError);

      await apps.delete(renamed);
      await apps.create(anApp({ uid: 'customer-2' }));
    });

    it('takes over a uid claimed by a create that died before writing its app', async () => {
      await tables.doc.put({
        TableName: tables.tables.catalog,
        Item: { pk: 'UID#orphaned', sk: '#UID', appId: 'app_01KAAAAAAAAAAAAAAAAAAAAAAA' },
      });
      const app = anApp({ uid: 'orphaned' });
      await apps.create(app);
      expect(await apps.get(app.id)).toEqual(app);
    });

    it('keeps a fresh claim whose app is not written yet, and takes it over once it is old', async () => {
      const claim = (claimedAt: number) =>
        tables.doc.put({
          TableName: tables.tables.catalog,
          Item: { pk: 'UID#in-flight', sk: '#UID', appId: 'app_01KAAAAAAAAAAAAAAAAAAAAAAA', claimedAt },
        });
      await claim(Date.now());
      await expect(apps.create(anApp({ uid: 'in-flight' }))).rejects.toThrow(ConflictError);
      await claim(Date.now() - 10 * 60_000);
      const app = anApp({ uid: 'in-flight' });
      await apps.create(app);
      expect(await apps.get(app.id)).toEqual(app);
    });

    it('takes over an old claim whose app holds another uid (an update that died)', async () => {
      const holder = anApp({ uid: 'now-this' });
      await apps.create(holder);
      await tables.doc.put({
        TableName: tables.tables.catalog,
        Item: { pk: 'UID#was-this', sk: '#UID', appId: holder.id, claimedAt: Date.now() - 10 * 60_000 },
      });
      await apps.create(anApp({ uid: 'was-this' }));
      await expect(apps.create(anApp({ uid: 'now-this' }))).rejects.toThrow(ConflictError);
    });

    it('gives a uid to one app of many created at once', async () => {
      const results = await Promise.allSettled(
        Array.from({ length: 10 }, () => apps.create(anApp({ uid: 'raced' }))),
      );
      expect(results.filter((result) => result.status === 'fulfilled')).toHaveLength(1);
      for (const result of results) {
        if (result.status === 'rejected') expect(result.reason).toBeInstanceOf(ConflictError);
      }
    });

    it('writes over an app only as it was read', async () => {
      const app = anApp();
      await apps.create(app);
      const renamed = {
        ...app,
        name: 'renamed',
        updatedAt: new Date(Date.parse(app.updatedAt) + 1).toISOString(),
      };
      await apps.update(app, renamed);
      await expect(apps.update(app, { ...app, metadata: { plan: 'pro' } })).rejects.toThrow(
        ChangedMeanwhileError,
      );
      expect(await apps.get(app.id)).toEqual(renamed);
    });

    it('refuses to update an app that is gone', async () => {
      const app = anApp();
      await expect(apps.update(app, { ...app, name: 'x' })).rejects.toThrow(NotFoundError);
    });

    it('lists every app once across pages', async () => {
      const created = [anApp(), anApp(), anApp(), anApp(), anApp()];
      for (const app of created) await apps.create(app);
      const seen: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await apps.list({ limit: 2, cursor });
        expect(page.data.length).toBeLessThanOrEqual(2);
        seen.push(...page.data.map((app) => app.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(seen).toEqual(created.map((app) => app.id));
    });

    it.each(['not-base64-json', Buffer.from('{"pk":"x"}').toString('base64url')])(
      'refuses a cursor that does not belong to the list (%s)',
      async (cursor) => {
        await expect(apps.list({ limit: 2, cursor })).rejects.toThrow(MalformedRequestError);
      },
    );
  });

  describe('ApiKeyStore', () => {
    const aKey = (appId: string, id: string) => ({
      id,
      appId,
      keyHash: 'c2hhLTI1NiBvZiB0aGUga2V5',
      createdAt: '2026-11-23T08:00:00.000Z',
    });

    it("reads a key by id, lists an app's keys in id order, and deletes only from the right app", async () => {
      const first = aKey('app_A', 'key_01M83RZ3NMF5JJ3TDZYVVKF7F1');
      const second = aKey('app_A', 'key_01M83RZ3NMF5JJ3TDZYVVKF7F2');
      const other = aKey('app_B', 'key_01M83RZ3NMF5JJ3TDZYVVKF7F3');
      for (const key of [second, other, first]) await apiKeys.create(key);

      expect(await apiKeys.get(first.id)).toEqual(first);
      expect(await apiKeys.get('key_missing')).toBeUndefined();
      const page = await apiKeys.list('app_A', { limit: 1 });
      const rest = await apiKeys.list('app_A', { limit: 5, cursor: page.nextCursor ?? undefined });
      expect([...page.data, ...rest.data]).toEqual([first, second]);
      expect(await apiKeys.delete('app_B', first.id)).toBe(false);
      expect(await apiKeys.delete('app_A', first.id)).toBe(true);
      expect(await apiKeys.delete('app_A', first.id)).toBe(false);
      expect(await apiKeys.get(first.id)).toBeUndefined();
    });
  });

  describe('RateLimiter', () => {
    const now = new Date('2026-11-23T10:00:00.000Z');
    const at = (ms: number) => new Date(now.getTime() + ms);

    it('hands out slots 1/rate apart to concurrent callers, each slot once', async () => {
      const limiter = new DynamoRateLimiter(tables.doc, tables.tables.deliveries);
      const slots = await Promise.all(Array.from({ length: 20 }, () => limiter.reserve('ep_1', 4, now)));
      const times = slots.map((slot) => slot.getTime() - now.getTime()).sort((a, b) => a - b);
      expect(times).toEqual(Array.from({ length: 20 }, (_, index) => index * 250));
    });

    it('starts from now again once the endpoint has been idle, and keeps endpoints apart', async () => {
      const limiter = new DynamoRateLimiter(tables.doc, tables.tables.deliveries);
      expect(await limiter.reserve('ep_1', 2, now)).toEqual(now);
      expect(await limiter.reserve('ep_1', 2, now)).toEqual(at(500));
      expect(await limiter.reserve('ep_2', 2, now)).toEqual(now);
      expect(await limiter.reserve('ep_1', 2, at(5_000))).toEqual(at(5_000));
      expect(await limiter.reserve('ep_1', 2, at(5_100))).toEqual(at(5_500));
    });
  });

  describe('EventTypeStore', () => {
    it('creates once, updates, lists by name', async () => {
      await eventTypes.create(anEventType({ name: 'user.created' }));
      await eventTypes.create(anEventType({ name: 'invoice.paid' }));
      await expect(eventTypes.create(anEventType({ name: 'invoice.paid' }))).rejects.toThrow(ConflictError);
      const stored = await eventTypes.get('invoice.paid');
      if (stored === undefined) throw new Error('invoice.paid was not stored');
      const archived = {
        ...stored,
        archived: true,
        updatedAt: new Date(Date.parse(stored.updatedAt) + 1).toISOString(),
      };
      await eventTypes.update(stored, archived);
      await expect(eventTypes.update(stored, { ...stored, description: 'stale' })).rejects.toThrow(
        ChangedMeanwhileError,
      );
      expect(await eventTypes.get('invoice.paid')).toEqual(archived);
      const page = await eventTypes.list({ limit: 10 });
      expect(page.data.map((eventType) => eventType.name)).toEqual(['invoice.paid', 'user.created']);
      expect(page.nextCursor).toBeNull();
    });
  });

  describe('EndpointStore', () => {
    it('keeps endpoints per app', async () => {
      const app = anApp();
      const endpoint = anEndpoint(app.id, { headers: { 'X-Tenant': 'acme' }, eventTypes: ['invoice.*'] });
      await endpoints.create(endpoint);
      await endpoints.create(anEndpoint(app.id));
      await endpoints.create(anEndpoint(anApp().id));
      expect(await endpoints.get(app.id, endpoint.id)).toEqual(endpoint);
      expect(await endpoints.get('app_other', endpoint.id)).toBeUndefined();
      expect(await endpoints.listAll(app.id)).toHaveLength(2);
      const firstPage = await endpoints.list(app.id, { limit: 1 });
      expect(firstPage.data).toHaveLength(1);
      const secondPage = await endpoints.list(app.id, {
        limit: 1,
        cursor: firstPage.nextCursor ?? undefined,
      });
      expect(secondPage.data).toHaveLength(1);
      expect(secondPage.data[0]?.id).not.toBe(firstPage.data[0]?.id);
    });

    it('keeps custom headers and metadata named like members of Object.prototype', async () => {
      const endpoint = anEndpoint(anApp().id, {
        headers: { constructor: 'x', valueOf: 'y' },
        metadata: { constructor: 'z' },
      });
      await endpoints.create(endpoint);
      expect(await endpoints.get(endpoint.appId, endpoint.id)).toEqual(endpoint);
    });

    it("keeps an endpoint's run of failures from its first failure, ends it, and disables once", async () => {
      const endpoint = anEndpoint(anApp().id);
      await endpoints.create(endpoint);
      const { appId, id } = endpoint;

      expect(await endpoints.markFailing(appId, id, '2026-11-20T00:00:00.000Z')).toBe(
        '2026-11-20T00:00:00.000Z',
      );
      expect(await endpoints.markFailing(appId, id, '2026-11-21T00:00:00.000Z')).toBe(
        '2026-11-20T00:00:00.000Z',
      );
      await endpoints.clearFailing(appId, id);
      expect((await endpoints.get(appId, id))?.failingSince).toBeNull();
      expect(await endpoints.markFailing(appId, id, '2026-11-22T00:00:00.000Z')).toBe(
        '2026-11-22T00:00:00.000Z',
      );

      expect(await endpoints.disable(appId, id, '2026-11-23T00:00:00.000Z')).toBe(true);
      expect(await endpoints.disable(appId, id, '2026-11-23T00:00:01.000Z')).toBe(false);
      expect(await endpoints.get(appId, id)).toMatchObject({
        disabled: true,
        failingSince: null,
        updatedAt: '2026-11-23T00:00:00.000Z',
      });
      expect(await endpoints.disable(appId, 'ep_missing', '2026-11-23T00:00:00.000Z')).toBe(false);
      expect(await endpoints.markFailing(appId, 'ep_missing', '2026-11-23T00:00:00.000Z')).toBeUndefined();
      await expect(endpoints.clearFailing(appId, 'ep_missing')).resolves.toBeUndefined();
      expect(await endpoints.get(appId, 'ep_missing')).toBeUndefined();
    });

    // With the cache, each read below follows a read of the same endpoint (test/unit/cached-catalog.test.ts has a read under way during a write).
    it('reads what the last write left: a create after a miss, an update, a disable, a delete', async () => {
      const endpoint = anEndpoint(anApp().id, { description: 'first' });
      const { appId, id } = endpoint;
      expect(await endpoints.get(appId, id)).toBeUndefined();
      await endpoints.create(endpoint);
      expect((await endpoints.get(appId, id))?.description).toBe('first');

      await endpoints.update(endpoint, { ...endpoint, description: 'second' });
      expect((await endpoints.get(appId, id))?.description).toBe('second');

      await endpoints.disable(appId, id, '2026-11-23T00:00:00.000Z');
      expect((await endpoints.get(appId, id))?.disabled).toBe(true);
      await endpoints.delete(appId, id);
      expect(await endpoints.get(appId, id)).toBeUndefined();
    });

    it('refuses a cursor of another app', async () => {
      const app = anApp();
      await endpoints.create(anEndpoint(app.id));
      await endpoints.create(anEndpoint(app.id));
      const page = await endpoints.list(app.id, { limit: 1 });
      await expect(
        endpoints.list('app_other', { limit: 1, cursor: page.nextCursor ?? undefined }),
      ).rejects.toThrow(MalformedRequestError);
    });

    it('writes over an endpoint only as it was read: not over another update, nor over a disabling', async () => {
      const endpoint = anEndpoint(anApp().id);
      await endpoints.create(endpoint);
      const later = (read: Endpoint) => new Date(Date.parse(read.updatedAt) + 1).toISOString();
      const first = { ...endpoint, description: 'first', updatedAt: later(endpoint) };
      await endpoints.update(endpoint, first);
      await expect(endpoints.update(endpoint, { ...endpoint, rateLimit: 5 })).rejects.toThrow(
        ChangedMeanwhileError,
      );
      await endpoints.disable(endpoint.appId, endpoint.id, first.updatedAt);
      await expect(
        endpoints.update(first, { ...first, description: 'second', updatedAt: later(first) }),
      ).rejects.toThrow(ChangedMeanwhileError);
      expect(await endpoints.get(endpoint.appId, endpoint.id)).toMatchObject({
        description: 'first',
        rateLimit: null,
        disabled: true,
      });
    });

    it('lands an update over a run of failures that began or ended since it was read, and keeps it', async () => {
      const endpoint = anEndpoint(anApp().id);
      await endpoints.create(endpoint);
      await endpoints.markFailing(endpoint.appId, endpoint.id, '2026-11-23T10:00:00.000Z');
      const later = new Date(Date.parse(endpoint.updatedAt) + 1).toISOString();
      await endpoints.update(endpoint, { ...endpoint, description: 'changed', updatedAt: later });
      expect(await endpoints.get(endpoint.appId, endpoint.id)).toMatchObject({
        description: 'changed',
        failingSince: '2026-11-23T10:00:00.000Z',
      });
      // Enabling an endpoint again is the API's to end its run of failures.
      const stored = (await endpoints.get(endpoint.appId, endpoint.id)) as Endpoint;
      await endpoints.update(stored, {
        ...stored,
        failingSince: null,
        updatedAt: new Date(Date.parse(later) + 1).toISOString(),
      });
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.failingSince).toBeNull();
    });

    it('reads the secrets of an endpoint stored when it kept one secret rotated out', async () => {
      const endpoint = anEndpoint(anApp().id);
      const legacy = {
        current: 'whsec_new',
        previous: 'whsec_old',
        previousExpiresAt: '2026-11-24T00:00:00.000Z',
      };
      await tables.doc.put({
        TableName: tables.tables.catalog,
        Item: { pk: `APP#${endpoint.appId}`, sk: `EP#${endpoint.id}`, ...endpoint, secrets: legacy },
      });
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.secrets).toEqual({
        current: 'whsec_new',
        retired: [{ secret: 'whsec_old', until: '2026-11-24T00:00:00.000Z' }],
      });
    });

    it('updates only what exists and reports deletes', async () => {
      const endpoint = anEndpoint(anApp().id);
      await expect(endpoints.update(endpoint, endpoint)).rejects.toThrow(NotFoundError);
      await endpoints.create(endpoint);
      await endpoints.update(endpoint, { ...endpoint, disabled: true });
      expect((await endpoints.get(endpoint.appId, endpoint.id))?.disabled).toBe(true);
      expect(await endpoints.delete(endpoint.appId, endpoint.id)).toBe(true);
      expect(await endpoints.delete(endpoint.appId, endpoint.id)).toBe(false);
    });
  });

  describe('MessageStore', () => {
    const appId = 'app_01KBBBBBBBBBBBBBBBBBBBBBBB';

    it('accepts and reads a message, only under its own app', async () => {
      const deep = Array.from({ length: 40 }).reduce<Record<string, unknown>>((inner) => ({ inner }), {
        end: true,
      });
      const message = aMessage(appId, {
        payload: { nested: { list: [1, 'two', null] }, '': 'empty key', deep, big: 2 ** 60 },
        channels: ['eu'],
      });
      expect(await messages.accept(message)).toEqual({ message, created: true });
      expect(await messages.get(appId, message.id)).toEqual(message);
      expect(await messages.get('app_other', message.id)).toBeUndefined();
    });

    it('keeps a 1 KiB JSON payload deflated, and gives it back as sent', async () => {
      const message = aMessage(appId, { payload: anInvoicePayload(1) });
      await messages.accept(message);
      const { Item } = await tables.doc.get({
        TableName: tables.tables.messages,
        Key: messageKey(appId, message.id),
      });
      expect(Item?.payloadJson).toBeUndefined();
      expect((Item?.payloadDeflated as Uint8Array | undefined)?.length).toBeLessThan(
        Buffer.byteLength(JSON.stringify(message.payload)) * 0.7,
      );
      expect(await messages.get(appId, message.id)).toEqual(message);
    });

    it('answers the same eventId with the first message', async () => {
      const first = aMessage(appId, { eventId: 'order-1' });
      const second = aMessage(appId, { eventId: 'order-1', payload: { different: true } });
      expect(await messages.accept(first)).toEqual({ message: first, created: true });
      expect(await messages.accept(second)).toEqual({ message: first, created: false });
      expect(await messages.get(appId, second.id)).toBeUndefined();
      // The same eventId under another app is another message.
      expect((await messages.accept(aMessage('app_other', { eventId: 'order-1' }))).created).toBe(true);
    });

    it('claims an eventId in a small item that holds no payload (one write unit)', async () => {
      const message = aMessage(appId, { eventId: 'order-8', payload: { blob: 'x'.repeat(5000) } });
      await messages.accept(message);
      const { Item } = await tables.doc.get({
        TableName: tables.tables.messages,
        Key: claimKey(appId, 'order-8'),
      });
      expect(Item).toEqual({
        ...claimKey(appId, 'order-8'),
        kind: 'event-id',
        msgId: message.id,
        timestamp: message.timestamp,
        expiresAt: expect.any(Number),
      });
    });

    it('completes a claim without its message from the request sent again, under the claimed id and time', async () => {
      const claimedAt = '2026-11-22T09:00:00.000Z';
      await tables.doc.put({
        TableName: tables.tables.messages,
        Item: {
          ...claimKey(appId, 'order-10'),
          kind: 'event-id',
          msgId: 'msg_01KAAAAAAAAAAAAAAAAAAAAAAA',
          timestamp: claimedAt,
        },
      });
      const replay = aMessage(appId, { eventId: 'order-10' });
      const completed = { ...replay, id: 'msg_01KAAAAAAAAAAAAAAAAAAAAAAA', timestamp: claimedAt };
      expect(await messages.accept(replay)).toEqual({ message: completed, created: false });
      expect(await messages.get(appId, completed.id)).toEqual(completed);
      // Once stored, the message answers every later replay, whatever it carries.
      const later = aMessage(appId, { eventId: 'order-10', payload: { other: true } });
      expect(await messages.accept(later)).toEqual({ message: completed, created: false });
    });

    it('answers the first request with what was stored when a request sent again completed its claim first', async () => {
      const first = aMessage(appId, { eventId: 'order-11', payload: { sent: 'first' } });
      const again = aMessage(appId, { eventId: 'order-11', payload: { sent: 'again' } });
      const replays = new DynamoMessageStore(tables.doc, tables.tables.messages, { retentionDays: 30 });
      let answeredAgain: unknown;
      // The first request's message write comes after the second request found its claim alone.
      const slowDoc: Documents = Object.assign(Object.create(tables.doc) as Documents, {
        put: async (input: PutCommandInput) => {
          if (input.Item?.kind === 'message' && answeredAgain === undefined) {
            answeredAgain = await replays.accept(again);
          }
          return tables.doc.put(input);
        },
      });
      const slow = new DynamoMessageStore(slowDoc, tables.tables.messages, { retentionDays: 30 });
      const answered = await slow.accept(first);
      const stored = await messages.get(appId, first.id);
      expect(stored?.payload).toEqual({ sent: 'again' });
      expect(answered).toEqual({ message: stored, created: true });
      expect(answeredAgain).toEqual({ message: stored, created: false });
    });

    it('completes a message whose create died after claiming its eventId (a claim that holds the message, as older versions wrote)', async () => {
      const lost = aMessage(appId, { eventId: 'order-9' });
      await tables.doc.put({
        TableName: tables.tables.messages,
        Item: { ...claimKey(appId, 'order-9'), kind: 'event-id', message: messageAttributes(lost) },
      });
      expect(await messages.accept(aMessage(appId, { eventId: 'order-9' }))).toEqual({
        message: lost,
        created: false,
      });
      expect(await messages.get(appId, lost.id)).toEqual(lost);
    });

    it('lists newest first, filtered by time and type, across pages', async () => {
      const base = Date.parse('2026-11-20T00:00:00.000Z');
      const stored = [];
      for (let hour = 0; hour < 6; hour++) {
        const message = aMessage(
          appId,
          { eventType: hour % 2 === 0 ? 'invoice.paid' : 'user.created' },
          new Date(base + hour * 3_600_000),
        );
        await messages.accept(message);
        stored.push(message);
      }
      const all = await messages.list(appId, { limit: 50 });
      expect(all.data.map((message) => message.id)).toEqual(stored.map((message) => message.id).reverse());

      const windowed = await messages.list(appId, {
        limit: 50,
        after: new Date(base + 1 * 3_600_000),
        before: new Date(base + 4 * 3_600_000),
      });
      expect(windowed.data.map((message) => message.id)).toEqual([stored[3]?.id, stored[2]?.id]);

      const invoices: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await messages.list(appId, { limit: 2, eventType: 'invoice.paid', cursor });
        invoices.push(...page.data.map((message) => message.id));
        cursor = page.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(invoices).toEqual([stored[4]?.id, stored[2]?.id, stored[0]?.id]);

      // A window that holds nothing, and a cursor reused outside its window, are the caller's to fix.
      expect(
        await messages.list(appId, { limit: 5, after: new Date(base + 5e6), before: new Date(base) }),
      ).toEqual({
        data: [],
        nextCursor: null,
      });
      const page = await messages.list(appId, { limit: 1 });
      await expect(
        messages.list(appId, { limit: 1, before: new Date(base + 1), cursor: page.nextCursor ?? undefined }),
      ).rejects.toThrow(MalformedRequestError);
    });
  });

  describe('DeliveryStore', () => {
    const appId = 'app_01KBBBBBBBBBBBBBBBBBBBBBBB';
    const message = aMessage(appId);
    /** An endpoint's failed deliveries since a time, in one page (the tests hold a few). */
    const allFailed = async (endpointId: string, since: Date) =>
      (await deliveries.listFailedForEndpoint(endpointId, since, { limit: 1_000 })).deliveries;

    it('numbers attempts made on request after every attempt so far, and never on a delivery that is gone', async () => {
      const delivery = aDelivery(message, 'ep_numbered');
      await deliveries.createIfAbsent(delivery);
      await deliveries.saveAttempt(anAttempt(delivery, 2));
      const numbers = await Promise.all([
        deliveries.takeRequestedAttemptNumber(message.id, 'ep_numbered'),
        deliveries.takeRequestedAttemptNumber(message.id, 'ep_numbered'),
      ]);
      expect(numbers.sort()).toEqual([3, 4]);
      await deliveries.saveAttempt(anAttempt(delivery, 7));
      expect(await deliveries.takeRequestedAttemptNumber(message.id, 'ep_numbered')).toBe(8);

      expect(await deliveries.takeRequestedAttemptNumber(message.id, 'ep_gone')).toBe(1);
      expect(await deliveries.get(message.id, 'ep_gone')).toBeUndefined();
    });

    it('creates a delivery once', async () => {
      const delivery = aDelivery(message, 'ep_1');
      expect(await deliveries.createIfAbsent(delivery)).toBe(true);
      expect(await deliveries.createIfAbsent({ ...delivery, attemptCount: 3 })).toBe(false);
      expect(await deliveries.get(message.id, 'ep_1')).toEqual(delivery);
    });

    it('records an attempt only from the expected attempt count', async () => {
      const delivery = aDelivery(message, 'ep_2');
      await deliveries.createIfAbsent(delivery);
      const attempt = anAttempt(delivery, 1);
      const record = {
        status: 'pending' as const,
        attemptCount: 1,
        nextAttemptAt: '2026-11-22T10:00:05.000Z',
        lastAttempt: attempt,
      };
      expect(await deliveries.recordAttempt(message.id, 'ep_2', 0, record)).toBe(true);
      expect(await deliveries.recordAttempt(message.id, 'ep_2', 0, record)).toBe(false);
      expect(await deliveries.get(message.id, 'ep_2')).toEqual({ ...delivery, ...record });

      const final = { ...record, status: 'succeeded' as const, attemptCount: 2, nextAttemptAt: null };
      expect(await deliveries.recordAttempt(message.id, 'ep_2', 1, final)).toBe(true);
      expect(await deliveries.recordAttempt(message.id, 'ep_2', 2, { ...final, attemptCount: 3 })).toBe(
        false,
      );
    });

    it('abandons only a pending delivery', async () => {
      const delivery = aDelivery(message, 'ep_3');
      await deliveries.createIfAbsent(delivery);
      await deliveries.abandon(message.id, 'ep_3', 'endpoint_gone');
      expect(await deliveries.get(message.id, 'ep_3')).toMatchObject({
        status: 'failed',
        nextAttemptAt: null,
      });
      await deliveries.abandon(message.id, 'ep_missing', 'endpoint_gone');
      expect(await deliveries.get(message.id, 'ep_missing')).toBeUndefined();
    });

    it("lists an endpoint's attempts newest first, of one outcome if asked, across pages", async () => {
      const first = aMessage(appId);
      const second = aMessage(appId);
      for (const message of [first, second]) {
        await deliveries.createIfAbsent(aDelivery(message, 'ep_1'));
        await deliveries.createIfAbsent(aDelivery(message, 'ep_2'));
      }
      const made = [
        anAttempt(aDelivery(first, 'ep_1'), 1, { id: 'atmpt_01KAAAAAAAAAAAAAAAAAAAAAA1', outcome: 'failed' }),
        anAttempt(aDelivery(first, 'ep_1'), 2, {
          id: 'atmpt_01KAAAAAAAAAAAAAAAAAAAAAA2',
          outcome: 'succeeded',
        }),
        anAttempt(aDelivery(second, 'ep_1'), 1, {
          id: 'atmpt_01KAAAAAAAAAAAAAAAAAAAAAA3',
          outcome: 'failed',
        }),
        anAttempt(aDelivery(second, 'ep_2'), 1, {
          id: 'atmpt_01KAAAAAAAAAAAAAAAAAAAAAA4',
          outcome: 'failed',
        }),
      ];
      for (const attempt of made) await deliveries.saveAttempt(attempt);

      const page = await deliveries.listEndpointAttempts('ep_1', { limit: 2 });
      const rest = await deliveries.listEndpointAttempts('ep_1', {
        limit: 2,
        cursor: page.nextCursor ?? undefined,
      });
      expect([...page.data, ...rest.data].map((attempt) => attempt.id)).toEqual([
        made[2]?.id,
        made[1]?.id,
        made[0]?.id,
      ]);
      const failed = await deliveries.listEndpointAttempts('ep_1', { limit: 10, outcome: 'failed' });
      expect(failed.data.map((attempt) => attempt.id)).toEqual([made[2]?.id, made[0]?.id]);
    });

    it("counts an endpoint's deliveries by status over the messages accepted in a window", async () => {
      const at = (iso: string) => new Date(iso);
      const messages = [
        aMessage(appId, {}, at('2026-11-22T09:00:00.000Z')),
        aMessage(appId, {}, at('2026-11-22T10:00:00.000Z')),
        aMessage(appId, {}, at('2026-11-22T11:00:00.000Z')),
        aMessage(appId, {}, at('2026-11-22T12:00:00.000Z')),
      ];
      const statuses = ['succeeded', 'failed', 'pending', 'succeeded'] as const;
      for (const [index, message] of messages.entries()) {
        await deliveries.createIfAbsent(aDelivery(message, 'ep_1', { status: statuses[index] }));
        await deliveries.createIfAbsent(aDelivery(message, 'ep_2', { status: 'failed' }));
      }

      expect(
        await deliveries.countEndpointDeliveries(
          'ep_1',
          at('2026-11-22T10:00:00.000Z'),
          at('2026-11-22T12:00:00.000Z'),
          100,
        ),
      ).toEqual({ succeeded: 0, failed: 1, pending: 1, pulled: 0 });
      const wholeDay = [at('2026-11-22T00:00:00.000Z'), at('2026-11-23T00:00:00.000Z')] as const;
      expect(await deliveries.countEndpointDeliveries('ep_1', ...wholeDay, 4)).toEqual({
        succeeded: 2,
        failed: 1,
        pending: 1,
        pulled: 0,
      });
      // One more than it may count: it counts none.
      expect(await deliveries.countEndpointDeliveries('ep_1', ...wholeDay, 3)).toBe('too_many');
    });

    it("lists an endpoint's failed deliveries since a time: failed on the ladder or abandoned, not recovered since", async () => {
      const at = (iso: string) => new Date(iso);
      const messageAt = (time: string) => aMessage(appId, {}, at(`2026-11-22T${time}.000Z`));
      const before = messageAt('08:00:00');
      const ladder = messageAt('10:00:00');
      const abandoned = messageAt('10:00:01');
      const recovered = messageAt('10:00:02');
      const succeeded = messageAt('10:00:03');
      const stillPending = messageAt('10:00:04');
      const otherEndpoint = messageAt('10:00:05');
      const fail = async (message: ReturnType<typeof messageAt>, endpointId = 'ep_f', expectedCount = 0) => {
        const delivery = aDelivery(message, endpointId);
        await deliveries.createIfAbsent(delivery);
        const lastAttempt = anAttempt(delivery, 1);
        return deliveries.recordAttempt(message.id, endpointId, expectedCount, {
          status: 'failed',
          attemptCount: 1,
          nextAttemptAt: null,
          lastAttempt,
        });
      };
      for (const message of [before, ladder, recovered]) await fail(message);
      await fail(otherEndpoint, 'ep_other');
      await deliveries.createIfAbsent(aDelivery(abandoned, 'ep_f'));
      await deliveries.abandon(abandoned.id, 'ep_f', 'endpoint_disabled');
      const recoveredDelivery = aDelivery(recovered, 'ep_f');
      await deliveries.markSucceeded(
        recoveredDelivery.msgId,
        'ep_f',
        anAttempt(recoveredDelivery, 2, { outcome: 'succeeded', trigger: 'recover' }),
      );
      const succeededDelivery = aDelivery(succeeded, 'ep_f');
      await deliveries.createIfAbsent(succeededDelivery);
      await deliveries.recordAttempt(succeededDelivery.msgId, 'ep_f', 0, {
        status: 'succeeded',
        attemptCount: 1,
        nextAttemptAt: null,
        lastAttempt: anAttempt(succeededDelivery, 1, { outcome: 'succeeded' }),
      });
      // A failure whose record lost its race (another attempt counted first): still pending.
      expect(await fail(stillPending, 'ep_f', 5)).toBe(false);

      const failed = await allFailed('ep_f', at('2026-11-22T09:00:00.000Z'));
      expect(failed.map((delivery) => delivery.msgId)).toEqual([ladder.id, abandoned.id]);
      expect(failed.every((delivery) => delivery.status === 'failed')).toBe(true);
    });

    it("pages an endpoint's failed deliveries in message order, a page of markers at a time", async () => {
      const base = Date.parse('2026-11-22T10:00:00.000Z');
      const failedIds: string[] = [];
      for (let index = 0; index < 5; index++) {
        const message = aMessage(appId, {}, new Date(base + index));
        await deliveries.createIfAbsent(aDelivery(message, 'ep_paged'));
        await deliveries.abandon(message.id, 'ep_paged', 'endpoint_disabled');
        failedIds.push(message.id);
      }
      const pages: { ids: string[]; last?: string }[] = [];
      let after: string | undefined;
      do {
        const page = await deliveries.listFailedForEndpoint('ep_paged', new Date(base - 1000), {
          after,
          limit: 2,
        });
        pages.push({ ids: page.deliveries.map((delivery) => delivery.msgId), last: page.last });
        after = page.last;
      } while (after !== undefined && pages.length < 10);

      expect(pages.flatMap((page) => page.ids)).toEqual(failedIds);
      expect(pages.map((page) => page.ids.length).slice(0, 2)).toEqual([2, 2]);
      expect(pages[0]?.last).toBe(failedIds[1]);
    });

    it('marks the failures of a table written before failure markers, once however often it runs', async () => {
      const at = (time: string) => new Date(`2026-11-22T${time}.000Z`);
      const failedBefore = aMessage(appId, {}, at('10:00:00'));
      const succeeded = aMessage(appId, {}, at('10:00:01'));
      // As the deliveries store left them before markers: a failed state, no marker.
      await deliveries.createIfAbsent(aDelivery(failedBefore, 'ep_old', { status: 'failed' }));
      await deliveries.createIfAbsent(aDelivery(succeeded, 'ep_old', { status: 'succeeded' }));
      await deliveries.saveAttempt(anAttempt(aDelivery(failedBefore, 'ep_old'), 1));
      expect(await allFailed('ep_old', at('09:00:00'))).toEqual([]);

      expect(await deliveries.markPastFailures()).toBe(1);
      expect(await deliveries.markPastFailures()).toBe(1);

      const failed = await allFailed('ep_old', at('09:00:00'));
      expect(failed.map((delivery) => delivery.msgId)).toEqual([failedBefore.id]);
    });

    it("finds an endpoint's failed deliveries without reading those that did not fail", async () => {
      const keysRead: number[] = [];
      tables.onCall(({ operation, input }) => {
        if (operation !== 'BatchGetItem') return;
        const { RequestItems = {} } = input as { RequestItems?: Record<string, { Keys?: unknown[] }> };
        for (const request of Object.values(RequestItems)) keysRead.push(request.Keys?.length ?? 0);
      });
      const base = Date.parse('2026-11-22T10:00:00.000Z');
      for (let index = 0; index < 150; index++) {
        const message = aMessage(appId, {}, new Date(base + index));
        await deliveries.createIfAbsent(aDelivery(message, 'ep_busy', { status: 'succeeded' }));
      }
      const failing = aMessage(appId, {}, new Date(base + 500));
      await deliveries.createIfAbsent(aDelivery(failing, 'ep_busy'));
      await deliveries.abandon(failing.id, 'ep_busy', 'endpoint_disabled');

      const failed = await allFailed('ep_busy', new Date(base - 1000));
      expect(failed.map((delivery) => delivery.msgId)).toEqual([failing.id]);
      expect(keysRead.reduce((sum, keys) => sum + keys, 0)).toBe(1);

      // Recovered: its marker goes with its failure, and nothing is left to read.
      const recovered = aDelivery(failing, 'ep_busy');
      await deliveries.markSucceeded(
        failing.id,
        'ep_busy',
        anAttempt(recovered, 1, { outcome: 'succeeded', trigger: 'recover' }),
      );
      keysRead.length = 0;
      expect(await allFailed('ep_busy', new Date(base - 1000))).toEqual([]);
      expect(keysRead).toEqual([]);
    });

    it('keeps one record per attempt number and lists them all', async () => {
      const delivery = aDelivery(message, 'ep_4');
      await deliveries.createIfAbsent(delivery);
      await deliveries.createIfAbsent(aDelivery(message, 'ep_5'));
      await deliveries.saveAttempt(anAttempt(delivery, 1));
      const remade = anAttempt(delivery, 1, { responseStatus: 503 });
      await deliveries.saveAttempt(remade);
      await deliveries.saveAttempt(
        anAttempt(delivery, 2, { outcome: 'succeeded', responseStatus: 200, error: null }),
      );
      const page = await deliveries.listAttempts(message.id, { limit: 10 });
      expect(page.data.map((attempt) => [attempt.attemptNumber, attempt.responseStatus])).toEqual([
        [1, 503],
        [2, 200],
      ]);
      expect(page.data[0]).toEqual(remade);
      expect(await deliveries.listForMessage(message.id)).toHaveLength(2);
    });
  });
});
