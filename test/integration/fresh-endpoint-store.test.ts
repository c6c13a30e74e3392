import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ENDPOINT_CHANGE_DEADLINE_SECONDS,
  freshEndpointStore,
} from '../../lambdas/adapters/aws/cache/fresh-endpoint-store';
import { DynamoEndpointStore } from '../../lambdas/adapters/dynamo/endpoint-store';
import type { EndpointStore } from '../../lambdas/ports';
import { type DynamoEngine, freshTables, startDynalite } from '../support/dynamodb';
import { anEndpoint, ManualClock } from '../support/fixtures';

const APP = 'app_01KBBBBBBBBBBBBBBBBBBBBBBB';
const DEADLINE_MS = ENDPOINT_CHANGE_DEADLINE_SECONDS * 1000;

/**
 * The delivery function's endpoints (lambdas/adapters/aws/cache/fresh-endpoint-store.ts)
 * over the real store on dynalite: read once per container for a while, changes made
 * elsewhere seen within the deadline, its own writes seen at once.
 */
describe('endpoints fresh within the deadline', () => {
  let engine: DynamoEngine;
  let api: EndpointStore;
  let reads: number;
  let delivery: EndpointStore;
  let clock: ManualClock;

  beforeAll(async () => {
    engine = await startDynalite();
  });
  afterAll(() => engine?.close());
  beforeEach(async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    // The API's store, and the delivery function's, whose reads of the table are counted.
    api = new DynamoEndpointStore(doc, tables.catalog);
    const counted = new DynamoEndpointStore(doc, tables.catalog);
    const get = counted.get.bind(counted);
    counted.get = (appId, endpointId) => {
      reads++;
      return get(appId, endpointId);
    };
    reads = 0;
    clock = new ManualClock();
    delivery = freshEndpointStore(counted, clock);
  });

  it('reads an endpoint once for a batch of deliveries, and again after the deadline', async () => {
    const endpoint = anEndpoint(APP);
    await api.create(endpoint);
    const batch = await Promise.all(Array.from({ length: 10 }, () => delivery.get(APP, endpoint.id)));
    expect(batch.every((read) => read?.id === endpoint.id)).toBe(true);
    expect(reads).toBe(1);
    clock.advance(DEADLINE_MS);
    await delivery.get(APP, endpoint.id);
    expect(reads).toBe(2);
  });

  it('sees a change made through the API within the deadline', async () => {
    const endpoint = anEndpoint(APP);
    await api.create(endpoint);
    await delivery.get(APP, endpoint.id);
    await api.update(endpoint, { ...endpoint, url: 'https://hooks.example.com/moved' });
    clock.advance(DEADLINE_MS - 1);
    expect((await delivery.get(APP, endpoint.id))?.url).toBe(endpoint.url);
    clock.advance(1);
    expect((await delivery.get(APP, endpoint.id))?.url).toBe('https://hooks.example.com/moved');
    await api.delete(APP, endpoint.id);
    clock.advance(DEADLINE_MS);
    expect(await delivery.get(APP, endpoint.id)).toBeUndefined();
  });

  it('sees its own writes at once: a failing run begun and ended, the endpoint disabled', async () => {
    const endpoint = anEndpoint(APP);
    await api.create(endpoint);
    await delivery.get(APP, endpoint.id);
    await delivery.markFailing(APP, endpoint.id, '2026-11-22T10:00:00.000Z');
    expect((await delivery.get(APP, endpoint.id))?.failingSince).toBe('2026-11-22T10:00:00.000Z');
    await delivery.clearFailing(APP, endpoint.id);
    expect((await delivery.get(APP, endpoint.id))?.failingSince).toBeNull();
    await delivery.disable(APP, endpoint.id, '2026-11-22T10:00:01.000Z');
    expect((await delivery.get(APP, endpoint.id))?.disabled).toBe(true);
    expect(reads).toBe(4);
  });

  it('keeps no failed read', async () => {
    const endpoint = anEndpoint(APP);
    await api.create(endpoint);
    let failNext = true;
    const inner: EndpointStore = Object.create(api);
    inner.get = (appId, endpointId) => {
      if (!failNext) return api.get(appId, endpointId);
      failNext = false;
      return Promise.reject(new Error('throttled'));
    };
    const flaky = freshEndpointStore(inner, clock);
    await expect(flaky.get(APP, endpoint.id)).rejects.toThrow('throttled');
    expect((await flaky.get(APP, endpoint.id))?.id).toBe(endpoint.id);
  });
});
