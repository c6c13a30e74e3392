import { describe, expect, it } from 'vitest';
import { generateSecret, signatureHeader } from '../../lambdas/core/signing';
import { RESPONSE_BODY_LIMIT_BYTES, truncateResponseBody, webhookBody } from '../../lambdas/core/webhook';
import { checkSignature } from '../../scripts/smoke-check';

describe("the smoke check's reading of a receiver's answer", () => {
  const secret = generateSecret();
  const message = {
    id: 'msg_01KAAAAAAAAAAAAAAAAAAAAAAA',
    eventType: 'hookpost.smoke',
    timestamp: '2026-11-23T10:00:00.000Z',
    payload: { check: 'smoke' },
  };
  const signed = (timestampSeconds: number, secrets = [secret]) =>
    signatureHeader(secrets, { msgId: message.id, timestampSeconds, body: webhookBody(message) });

  it('verifies headers shown as text, a rotation’s two signatures among them', () => {
    const answer = [
      'POST /hook HTTP/1.1',
      `Webhook-Id: ${message.id}`,
      'Webhook-Timestamp: 1763892000',
      `Webhook-Signature: ${signed(1_763_892_000, [generateSecret(), secret])}`,
    ].join('\r\n');
    expect(checkSignature(answer, secret, message)).toBe('verified');
    // Kept up to 4 KiB, an answer may end in a line cut short: that is not the header.
    const long = `${'x'.repeat(RESPONSE_BODY_LIMIT_BYTES - answer.length + 10)}\r\n${answer}\r\n`;
    const kept = truncateResponseBody(Buffer.from(long));
    expect(kept.endsWith(answer.slice(0, -12))).toBe(true);
    expect(checkSignature(kept, secret, message)).toBe('not shown');
  });

  it('finds headers nested in JSON, whatever their case', () => {
    const answer = JSON.stringify({
      request: {
        headers: { 'Webhook-Id': message.id, 'Webhook-Timestamp': '5', 'Webhook-Signature': signed(5) },
      },
    });
    expect(checkSignature(answer, secret, message)).toBe('verified');
  });

  it('finds a mismatch in another message’s id, another timestamp or another secret', () => {
    const answer = (id: string, timestamp: string, signature: string) =>
      JSON.stringify({ 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': signature });
    expect(checkSignature(answer('msg_other', '5', signed(5)), secret, message)).toBe('mismatch');
    expect(checkSignature(answer(message.id, '6', signed(5)), secret, message)).toBe('mismatch');
    expect(checkSignature(answer(message.id, '5', signed(5, [generateSecret()])), secret, message)).toBe(
      'mismatch',
    );
  });

  it('says not shown when the answer does not show them', () => {
    expect(checkSignature('ok', secret, message)).toBe('not shown');
    expect(checkSignature(JSON.stringify({ 'webhook-id': message.id }), secret, message)).toBe('not shown');
  });
});
