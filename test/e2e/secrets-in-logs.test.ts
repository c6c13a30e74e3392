import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { HookpostProcess } from '../support/hookpost-process';
import { eventually, Receiver } from '../support/receiver';

const ADMIN_KEY = `hpk_admin_${randomBytes(24).toString('base64url')}`;

/**
 * Every line `npm start` writes during a run that handles every kind of secret, at its
 * most verbose, searched for each secret the run created or used.
 */
describe('logs of a whole run', () => {
  let dataDir: string;
  let hookpost: HookpostProcess | undefined;
  let receiver: Receiver;

  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'hookpost-secrets-'));
    receiver = await Receiver.start();
  });
  afterEach(async () => {
    await hookpost?.stop();
    await receiver.close();
    await rm(dataDir, { recursive: true, force: true });
  });

  it('never contain a key, a signing secret, a custom header value, a signature or a payload', async () => {
    const api = await HookpostProcess.start({
      HOOKPOST_DATA_DIR: dataDir,
      HOOKPOST_ADMIN_KEY: ADMIN_KEY,
      HOOKPOST_LOG_LEVEL: 'debug',
      HOOKPOST_TIME_SCALE: '0.001',
    });
    hookpost = api;
    let failFirst = true;
    receiver.reply = () => {
      const status = failFirst ? 503 : 200;
      failFirst = false;
      return { status, body: 'ok' };
    };

    const givenSecret = `whsec_${randomBytes(32).toString('base64')}`;
    const headerToken = `Bearer tok_${randomBytes(16).toString('hex')}`;
    await api.request('POST', '/v1/event-types', ADMIN_KEY, { name: 'invoice.paid' });
    const appId = (await api.request('POST', '/v1/apps', ADMIN_KEY, { name: 'Acme' })).body.id;
    const given = await api.request('POST', `/v1/apps/${appId}/endpoints`, ADMIN_KEY, {
      url: `${receiver.url}/given`,
      secret: givenSecret,
      headers: { 'x-receiver-auth': headerToken },
    });
    const generated = await api.request('POST', `/v1/apps/${appId}/endpoints`, ADMIN_KEY, {
      url: `${receiver.url}/generated`,
    });
    const generatedSecret = (
      await api.request('GET', `/v1/apps/${appId}/endpoints/${generated.body.id}/secret`, ADMIN_KEY)
    ).body.key as string;
    const rotatedSecret = `whsec_${randomBytes(32).toString('base64')}`;
    await api.request('POST', `/v1/apps/${appId}/endpoints/${given.body.id}/secret/rotate`, ADMIN_KEY, {
      key: rotatedSecret,
    });
    // Refused requests that carry secrets: a wrong key, and a bad body echoing a secret.
    const wrongKey = `hpk_admin_${randomBytes(24).toString('base64url')}`;
    expect((await api.request('GET', '/v1/apps', wrongKey)).status).toBe(401);
    // An application key: created, used, used on another app, revoked, then refused.
    const appKey = (await api.request('POST', `/v1/apps/${appId}/keys`, ADMIN_KEY)).body as {
      id: string;
      key: string;
    };
    expect((await api.request('GET', `/v1/apps/${appId}/endpoints`, appKey.key)).status).toBe(200);
    expect((await api.request('GET', '/v1/apps/app_01M83RZ3NMF5JJ3TDZYVVKF7FT', appKey.key)).status).toBe(
      404,
    );
    await api.request('DELETE', `/v1/apps/${appId}/keys/${appKey.id}`, ADMIN_KEY);
    expect((await api.request('GET', `/v1/apps/${appId}/endpoints`, appKey.key)).status).toBe(401);
    const badSecret = `whsec_${randomBytes(8).toString('base64')}`;
    await api.request('POST', `/v1/apps/${appId}/endpoints`, ADMIN_KEY, { url: 'nope', secret: badSecret });

    // A payload is the caller's data: it goes to the receiver and the API, never to a log line.
    const payloadNote = `note_${randomBytes(16).toString('hex')}`;
    const sent = await api.request('POST', `/v1/apps/${appId}/messages`, ADMIN_KEY, {
      eventType: 'invoice.paid',
      payload: { amount: 1, note: payloadNote },
    });
    await eventually(
      () => api.request('GET', `/v1/apps/${appId}/messages/${sent.body.id}`, ADMIN_KEY),
      // Fanned out (an empty list would pass `every`) and delivered.
      (response) =>
        response.body.deliveries.length > 0 &&
        response.body.deliveries.every((delivery: { status: string }) => delivery.status === 'succeeded'),
    );
    await api.stop();
    hookpost = undefined;

    const signatures = receiver.requests.flatMap((request) =>
      (request.headers['webhook-signature'] ?? '')
        .split(' ')
        .map((signature) => signature.split(',')[1] ?? ''),
    );
    const secrets = [
      ADMIN_KEY,
      wrongKey,
      appKey.key,
      // The random part alone: after `hpk_app_`, the key id's ULID and an underscore.
      appKey.key.slice('hpk_app_'.length + 27),
      headerToken,
      headerToken.slice('Bearer '.length),
      ...signatures,
      payloadNote,
    ];
    for (const secret of [givenSecret, generatedSecret, rotatedSecret, badSecret]) {
      secrets.push(secret, secret.slice('whsec_'.length));
    }
    expect(signatures.length).toBeGreaterThanOrEqual(3);
    expect(receiver.requests.some((request) => request.headers['x-receiver-auth'] === headerToken)).toBe(
      true,
    );

    const log = api.log;
    // The capture holds the run: the delivery's retry, at the most verbose level.
    expect(log).toContain(sent.body.id);
    expect(log.split('\n').length).toBeGreaterThan(10);
    for (const secret of secrets.filter((value) => value.length >= 16)) {
      expect(log.includes(secret), `a log line contains ${secret.slice(0, 12)}…`).toBe(false);
    }
  });
});
