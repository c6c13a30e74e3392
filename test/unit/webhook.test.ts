import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../lambdas/core/model';
import { generateSecret } from '../../lambdas/core/signing';
import {
  activeSecrets,
  buildWebhook,
  freshSecrets,
  MAX_RETIRED_SECRETS,
  rotateSecrets,
  truncateResponseBody,
} from '../../lambdas/core/webhook';

const message: Message = {
  id: 'msg_01KAAAAAAAAAAAAAAAAAAAAAAA',
  appId: 'app_01KAAAAAAAAAAAAAAAAAAAAAAA',
  eventType: 'invoice.paid',
  eventId: null,
  payload: { invoiceId: 'inv_1', amount: 42 },
  channels: null,
  timestamp: '2026-11-22T10:30:00.000Z',
};

describe('buildWebhook', () => {
  const secret = generateSecret();
  const now = new Date();
  const webhook = buildWebhook({
    message,
    endpoint: {
      url: 'https://hooks.example.com/in',
      headers: { 'X-Tenant': 'acme', 'Webhook-Id': 'forged', 'User-Agent': 'forged' },
      secrets: freshSecrets(secret),
    },
    attemptTime: now,
    userAgent: 'Hookpost/1.2.3',
  });

  it('sends {type, timestamp, data}', () => {
    expect(JSON.parse(webhook.body)).toEqual({
      type: 'invoice.paid',
      timestamp: message.timestamp,
      data: message.payload,
    });
  });

  it('sets the Standard Webhooks headers, verifiable by the reference library', () => {
    expect(webhook.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': 'Hookpost/1.2.3',
      'webhook-id': message.id,
      'webhook-timestamp': String(Math.floor(now.getTime() / 1000)),
    });
    expect(new Webhook(secret).verify(webhook.body, webhook.headers as Record<string, string>)).toEqual(
      JSON.parse(webhook.body),
    );
  });

  it('adds custom headers but never lets them replace its own', () => {
    expect(webhook.headers['X-Tenant']).toBe('acme');
    expect(Object.values(webhook.headers)).not.toContain('forged');
  });
});

describe('secret rotation', () => {
  const now = new Date('2026-11-22T10:00:00Z');
  const rotated = rotateSecrets(freshSecrets('whsec_old'), 'whsec_new', now);
  const hour = 3600_000;

  it('keeps the previous secret signing for 24 hours', () => {
    expect(activeSecrets(rotated, now)).toEqual(['whsec_new', 'whsec_old']);
    expect(activeSecrets(rotated, new Date(now.getTime() + 24 * 3600_000 - 1))).toEqual([
      'whsec_new',
      'whsec_old',
    ]);
    expect(activeSecrets(rotated, new Date(now.getTime() + 24 * 3600_000))).toEqual(['whsec_new']);
  });

  it('keeps every secret rotated out within a day signing for its own 24 hours', () => {
    const again = rotateSecrets(rotated, 'whsec_newer', new Date(now.getTime() + hour));
    expect(activeSecrets(again, new Date(now.getTime() + hour))).toEqual([
      'whsec_newer',
      'whsec_old',
      'whsec_new',
    ]);
    expect(activeSecrets(again, new Date(now.getTime() + 24 * hour))).toEqual(['whsec_newer', 'whsec_new']);
    expect(activeSecrets(again, new Date(now.getTime() + 25 * hour))).toEqual(['whsec_newer']);
  });

  it('keeps at most MAX_RETIRED_SECRETS signing, the newest of them, and forgets those past their day', () => {
    let secrets = freshSecrets('whsec_0');
    for (let n = 1; n <= MAX_RETIRED_SECRETS + 2; n++) {
      secrets = rotateSecrets(secrets, `whsec_${n}`, new Date(now.getTime() + n * 1000));
    }
    const latest = MAX_RETIRED_SECRETS + 2;
    expect(activeSecrets(secrets, now)).toEqual([
      `whsec_${latest}`,
      ...Array.from(
        { length: MAX_RETIRED_SECRETS },
        (_, index) => `whsec_${latest - MAX_RETIRED_SECRETS + index}`,
      ),
    ]);
    const dayLater = rotateSecrets(secrets, 'whsec_next', new Date(now.getTime() + 30 * hour));
    expect(dayLater.retired.map((retired) => retired.secret)).toEqual([`whsec_${latest}`]);
  });
});

describe('truncateResponseBody', () => {
  it('keeps the first 4 KiB', () => {
    expect(truncateResponseBody(Buffer.alloc(10_000, 'a'))).toHaveLength(4096);
    expect(truncateResponseBody(Buffer.from('short'))).toBe('short');
  });

  it('cuts before a character the limit would split, not through it', () => {
    const body = Buffer.from(`${'a'.repeat(4095)}✓✓`);
    expect(truncateResponseBody(body)).toBe('a'.repeat(4095));
    expect(truncateResponseBody(Buffer.from(`${'a'.repeat(4093)}✓✓`))).toBe(`${'a'.repeat(4093)}✓`);
    expect(truncateResponseBody(Buffer.from(`${'a'.repeat(4096)}✓`))).toBe('a'.repeat(4096));
  });
});
