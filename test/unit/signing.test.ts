import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { generateSecret, isValidSecret, sign, signatureHeader } from '../../lambdas/core/signing';

const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
const content = {
  msgId: 'msg_01J0000000000000000000000',
  timestampSeconds: 1_763_800_000,
  body: '{"type":"a.b"}',
};

describe('signing', () => {
  it('produces a signature the standardwebhooks library verifies', () => {
    const fresh = { ...content, timestampSeconds: Math.floor(Date.now() / 1000) };
    const headers = {
      'webhook-id': fresh.msgId,
      'webhook-timestamp': String(fresh.timestampSeconds),
      'webhook-signature': sign(secret, fresh),
    };
    expect(new Webhook(secret).verify(fresh.body, headers)).toEqual({ type: 'a.b' });
    expect(() => new Webhook(generateSecret()).verify(fresh.body, headers)).toThrow();
  });

  it('matches the Standard Webhooks reference vector', () => {
    // From the Standard Webhooks specification's test suite.
    const reference = sign('whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', {
      msgId: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
      timestampSeconds: 1614265330,
      body: '{"test": 2432232314}',
    });
    expect(reference).toBe('v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=');
  });

  it('signs with every active secret, separated by a space', () => {
    const other = generateSecret();
    const header = signatureHeader([secret, other], content);
    expect(header.split(' ')).toEqual([sign(secret, content), sign(other, content)]);
  });

  it.each([
    [generateSecret(), true],
    [`whsec_${Buffer.alloc(24).toString('base64')}`, true],
    [`whsec_${Buffer.alloc(64).toString('base64')}`, true],
    [`whsec_${Buffer.alloc(23).toString('base64')}`, false],
    [`whsec_${Buffer.alloc(65).toString('base64')}`, false],
    [Buffer.alloc(32).toString('base64'), false],
    ['whsec_not base64!', false],
  ])('isValidSecret(%s) is %s', (candidate, valid) => {
    expect(isValidSecret(candidate)).toBe(valid);
  });
});
