import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTE_IDS, ROUTES, type RouteId } from '../../lambdas/contract/routes';
import { ROUTE_SCHEMAS } from '../../lambdas/handlers/http/route-schemas';
import { HookpostProcess } from '../support/hookpost-process';
import { eventually, Receiver } from '../support/receiver';

const KEY = 'hpk_admin_walk_0123456789abcdef';

/** A valid request to each route: its body and query; path ids come from what the walk made. */
const REQUESTS: Readonly<
  Record<
    RouteId,
    {
      readonly body?: unknown;
      readonly query?: string;
      /** Path parameters taken from another of the walk's ids (the pull routes need a poll endpoint). */
      readonly pathIds?: Readonly<Record<string, string>>;
    }
  >
> = {
  health: {},
  listEgressIps: {},
  openApi: {},
  createApp: { body: { name: 'Walked', uid: 'walked', metadata: { plan: 'pro' } } },
  listApps: { query: 'limit=10' },
  getApp: {},
  updateApp: { body: { name: 'Walked, renamed' } },
  createAppKey: {},
  listAppKeys: {},
  createEventType: { body: { name: 'walk.done', description: 'A walk ended.', schema: { type: 'object' } } },
  listEventTypes: {},
  getEventType: {},
  updateEventType: { body: { description: 'A walk ended, really.' } },
  createEndpoint: { body: { url: 'RECEIVER/walk', eventTypes: ['walk.*'], headers: { 'X-Walk': '1' } } },
  listEndpoints: {},
  getEndpoint: {},
  updateEndpoint: { body: { description: 'Receives walks.', rateLimit: 50 } },
  getEndpointSecret: {},
  rotateEndpointSecret: { body: {} },
  sendMessage: { body: { eventType: 'walk.done', eventId: 'walk-1', payload: { steps: 1 } } },
  sendMessageBatch: { body: { messages: [{ eventType: 'walk.done', payload: { steps: 2 } }] } },
  listMessages: { query: 'eventType=walk.done' },
  getMessage: {},
  listMessageAttempts: {},
  resendMessage: {},
  testEndpoint: {},
  recoverEndpoint: { body: { since: '2026-01-01T00:00:00Z' } },
  listEndpointAttempts: { query: 'outcome=succeeded' },
  getEndpointStats: {},
  receiveNotification: { query: 'wait=10', pathIds: { endpointId: 'pollEndpointId' } },
  deleteNotification: { pathIds: { endpointId: 'pollEndpointId' } },
  revokeAppKey: {},
  deleteEndpoint: {},
  archiveEventType: {},
  deleteApp: {},
};

/**
 * Every route of the contract, called once over real HTTP against `npm start` with a valid
 * request, in the order a user would (deletes last): each answers its documented success
 * status with a body of its documented shape (lambdas/handlers/http/route-schemas.ts, which
 * the OpenAPI document is made of).
 */
describe('every route, walked once (npm start)', () => {
  let dataDir: string;
  let hookpost: HookpostProcess;
  let receiver: Receiver;
  const ids: Record<string, string> = { name: 'walk.done' };

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-walk-'));
    receiver = await Receiver.start();
    hookpost = await HookpostProcess.start({ HOOKPOST_DATA_DIR: dataDir, HOOKPOST_ADMIN_KEY: KEY });
  });
  afterAll(async () => {
    await hookpost?.stop();
    await receiver?.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('has a request for every route', () => {
    expect(Object.keys(REQUESTS).sort()).toEqual([...ROUTE_IDS].sort());
  });

  it.each(Object.keys(REQUESTS) as RouteId[])('%s answers as documented', async (id) => {
    const route = ROUTES[id];
    const documented = ROUTE_SCHEMAS[id];
    if (id === 'resendMessage') {
      // A resend needs a delivery: the message sent above reaches the endpoint first.
      await eventually(
        () => hookpost.request('GET', `/v1/apps/${ids.appId}/messages/${ids.msgId}`, KEY),
        (answer) => answer.body.deliveries?.[0]?.status === 'succeeded',
      );
    }
    const request = REQUESTS[id];
    if (id === 'receiveNotification') {
      // Pulling needs a poll endpoint, and a message accepted after it was made.
      const poll = await hookpost.request('POST', `/v1/apps/${ids.appId}/endpoints`, KEY, { kind: 'poll' });
      ids.pollEndpointId = poll.body.id;
      await hookpost.request('POST', `/v1/apps/${ids.appId}/messages`, KEY, {
        eventType: 'walk.done',
        payload: { steps: 3 },
      });
    }
    const path = route.path.replace(
      /\{(\w+)\}/g,
      (_, name: string) => ids[request.pathIds?.[name] ?? name] ?? `no-${name}`,
    );
    const body = JSON.parse(JSON.stringify(request.body ?? null).replaceAll('RECEIVER', receiver.url));
    const answer = await hookpost.request(
      route.method,
      request.query === undefined ? path : `${path}?${request.query}`,
      route.access === 'public' ? '' : KEY,
      body ?? undefined,
    );

    expect([id, answer.status]).toEqual([id, documented.status]);
    if ('response' in documented)
      expect(documented.response.safeParse(answer.body).error?.issues ?? []).toEqual([]);
    if (id === 'createApp') ids.appId = answer.body.id;
    if (id === 'createAppKey') ids.keyId = answer.body.id;
    if (id === 'createEndpoint') ids.endpointId = answer.body.id;
    if (id === 'sendMessage') ids.msgId = answer.body.id;
    if (id === 'receiveNotification') ids.receiptId = answer.body.receiptId;
  });
});
