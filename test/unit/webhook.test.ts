import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import type { Message } from '../../lambdas/core/model';
import { generateSecret } from '../../lambdas/core/signing';
import { activeSecrets, buildWebhook, rotateSecrets, truncateResponseBody } from '../../lambdas/core/webhook';

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
      secrets: { current: secret, previous: null, previousExpiresAt: null },
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
  const rotated = rotateSecrets(
    { current: 'whsec_old', previous: null, previousExpiresAt: null },
    'whsec_new',
    now,
  );

  it('keeps the previous secret signing for 24 hours', () => {
    expect(activeSecrets(rotated, now)).toEqual(['whsec_new', 'whsec_old']);
    expect(activeSecrets(rotated, new Date(now.getTime() + 24 * 3600_000 - 1))).toEqual([
      'whsec_new',
      'whsec_old',
    ]);
    expect(activeSecrets(rotated, new Date(now.getTime() + 24 * 3600_000))).toEqual(['whsec_new']);
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
