import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { HookpostProcess } from '../support/hookpost-process';

const KEY = 'hpk_admin_pull_0123456789abcdef';

/**
 * Pull delivery over real HTTP against `npm start` (README, "Pull delivery": the notifications routes, the pull
 * order): what a consumer that cannot receive pushes sees.
 */
describe('pull delivery (npm start)', () => {
  let dataDir: string;
  let hookpost: HookpostProcess;
  let appId: string;
  let endpointId: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-pull-'));
    hookpost = await HookpostProcess.start({ HOOKPOST_DATA_DIR: dataDir, HOOKPOST_ADMIN_KEY: KEY });
    expect((await call('POST', '/v1/event-types', { name: 'order.placed' })).status).toBe(201);
  });
  afterAll(async () => {
    await hookpost?.stop();
    await rm(dataDir, { recursive: true, force: true });
  });
  beforeEach(async () => {
    appId = (await call('POST', '/v1/apps', { name: 'Puller' })).body.id;
    const endpoint = await call('POST', `/v1/apps/${appId}/endpoints`, { kind: 'poll' });
    expect(endpoint.status).toBe(201);
    expect(endpoint.body).toMatchObject({ kind: 'poll', url: null });
    endpointId = endpoint.body.id;
  });

  const call = (method: string, path: string, body?: unknown, key = KEY) =>
    hookpost.request(method, path, key, body);
  const notifications = () => `/v1/apps/${appId}/endpoints/${endpointId}/notifications`;
  const send = (payload: Record<string, unknown>) =>
    call('POST', `/v1/apps/${appId}/messages`, { eventType: 'order.placed', payload });

  it('hands 1,000 messages from 16 concurrent callers out in ascending id order, none missing, none twice', async () => {
    const accepted: string[] = [];
    const callers = Array.from({ length: 16 }, async (_, caller) => {
      for (let index = caller; index < 1000; index += 16) {
        const answer = await send({ index });
        expect(answer.status).toBe(202);
        accepted.push(answer.body.id);
      }
    });
    const pulled: string[] = [];
    let duplicates = 0;
    const consumer = (async () => {
      while (pulled.length < 1000) {
        const received = await call('POST', `${notifications()}/receive?wait=5`);
        if (received.status === 204) break;
        expect(received.status).toBe(200);
        if (pulled.includes(received.body.notification.id)) duplicates += 1;
        pulled.push(received.body.notification.id);
        expect((await call('DELETE', `${notifications()}/${received.body.receiptId}`)).status).toBe(204);
      }
    })();
    await Promise.all(callers);
    await consumer;
    expect(duplicates).toBe(0);
    expect(pulled).toEqual([...accepted].sort());
    const stats = await call('GET', `/v1/apps/${appId}/endpoints/${endpointId}/stats`);
    expect(stats.body).toMatchObject({ succeeded: 1000, pull: { pulled: 1000, pending: 0 } });
  }, 240_000);

  it('returns the head again until it is deleted; the receipt then goes stale', async () => {
    const first = await send({ n: 1 });
    const second = await send({ n: 2 });
    const one = await call('POST', `${notifications()}/receive?wait=5`);
    expect(one.status).toBe(200);
    expect(one.body).toEqual({
      receiptId: expect.stringMatching(/^rcpt_/),
      notification: {
        id: first.body.id,
        eventType: 'order.placed',
        timestamp: first.body.timestamp,
        payload: { n: 1 },
      },
    });
    expect((await call('POST', `${notifications()}/receive`)).body).toEqual(one.body);
    expect((await call('DELETE', `${notifications()}/${one.body.receiptId}`)).status).toBe(204);
    const two = await call('POST', `${notifications()}/receive?wait=5`);
    expect(two.body.notification.id).toBe(second.body.id);
    const stale = await call('DELETE', `${notifications()}/rcpt_01KAAAAAAAAAAAAAAAAAAAAAAA`);
    expect(stale.status).toBe(404);
    expect(stale.body.error.code).toBe('not_found');
  });

  it('answers 204 after the wait on an empty queue, and at once when a message arrives during it', async () => {
    const idle = Date.now();
    const empty = await call('POST', `${notifications()}/receive?wait=2`);
    const idleMs = Date.now() - idle;
    expect(empty.status).toBe(204);
    expect(idleMs).toBeGreaterThanOrEqual(2000);
    expect(idleMs).toBeLessThan(3500);

    const waiting = call('POST', `${notifications()}/receive?wait=10`);
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const sent = await send({ during: 'wait' });
    const acceptedAt = Date.now();
    const received = await waiting;
    const latencyMs = Date.now() - acceptedAt;
    expect(received.body.notification.id).toBe(sent.body.id);
    expect(latencyMs, 'returned within 1 s of acceptance').toBeLessThan(1000);
  });

  it('is drained by the example consumer (examples/poll-consumer.mjs), in order', async () => {
    const sent = [];
    for (const n of [1, 2, 3]) sent.push((await send({ n })).body.id);
    const { stdout } = await promisify(execFile)(
      process.execPath,
      [
        join(import.meta.dirname, '..', '..', 'examples', 'poll-consumer.mjs'),
        appId,
        endpointId,
        '--max',
        '3',
      ],
      { env: { ...process.env, HOOKPOST_API: `${hookpost.url}/v1`, HOOKPOST_KEY: KEY }, timeout: 60_000 },
    );
    const lines = stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line));
    expect(lines.map((notification) => notification.id)).toEqual(sent);
    expect(lines.map((notification) => notification.payload)).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect((await call('POST', `${notifications()}/receive`)).status).toBe(204);
  });

  it('refuses receive on a push endpoint, on another app with an app key, and a wait out of range', async () => {
    const push = await call('POST', `/v1/apps/${appId}/endpoints`, { url: 'http://127.0.0.1:9/in' });
    const onPush = await call('POST', `/v1/apps/${appId}/endpoints/${push.body.id}/notifications/receive`);
    expect(onPush.status).toBe(409);
    const other = (await call('POST', '/v1/apps', { name: 'Other' })).body.id;
    const otherKey = (await call('POST', `/v1/apps/${other}/keys`)).body.key;
    const foreign = await call('POST', `${notifications()}/receive`, undefined, otherKey);
    expect(foreign.status).toBe(404);
    const ownKey = (await call('POST', `/v1/apps/${appId}/keys`)).body.key;
    expect((await call('POST', `${notifications()}/receive`, undefined, ownKey)).status).toBe(204);
    for (const wait of ['21', '-1', 'soon']) {
      const answer = await call('POST', `${notifications()}/receive?wait=${wait}`);
      expect([wait, answer.status]).toEqual([wait, 400]);
      expect(answer.body.error.code).toBe('bad_request');
    }
    const withUrl = await call('POST', `/v1/apps/${appId}/endpoints`, {
      kind: 'poll',
      url: 'http://127.0.0.1:9/',
    });
    expect(withUrl.status).toBe(422);
    expect(withUrl.body.error.details).toEqual([{ path: 'url', message: expect.any(String) }]);
  });
});
