import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/contract/limits';
import { ValidationError } from '../../lambdas/core/errors';
import {
  createAppSchema,
  createEndpointSchema,
  createEventTypeSchema,
  createMessageSchema,
  parseInput,
} from '../../lambdas/core/schemas';

function problems(run: () => unknown) {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError) return error.details.map((problem) => problem.path);
    throw error;
  }
  return [];
}

describe('request schemas', () => {
  it.each([
    ['conversation.created', true],
    ['a', true],
    ['user_profile-updated.v2', true],
    ['.leading', false],
    ['trailing.', false],
    ['two..dots', false],
    ['with space', false],
    ['x'.repeat(257), false],
  ])('event type name %s valid: %s', (name, valid) => {
    expect(createEventTypeSchema.safeParse({ name }).success).toBe(valid);
  });

  it('names every bad field of a message', () => {
    expect(
      problems(() => parseInput(createMessageSchema, { eventType: 'bad name', payload: [1] }, 'message')),
    ).toEqual(['eventType', 'payload']);
  });

  it('refuses unknown fields instead of dropping them silently', () => {
    expect(
      problems(() => parseInput(createMessageSchema, { eventType: 'a.b', payload: {}, extra: 1 }, 'message')),
    ).toEqual(['(root)']);
  });

  it.each(['Content-Type', 'webhook-signature', 'Webhook-Id', 'host', 'User-Agent', 'bad header'])(
    'refuses the custom header %s',
    (name) => {
      expect(
        problems(() =>
          parseInput(
            createEndpointSchema,
            { url: 'https://x.example', headers: { [name]: 'v' } },
            'endpoint',
          ),
        ),
      ).toEqual([`headers.${name}`]);
    },
  );

  it('refuses header values with line breaks', () => {
    expect(
      problems(() =>
        parseInput(createEndpointSchema, { url: 'https://x.example', headers: { 'X-A': 'a\r\nB: c' } }, 'e'),
      ),
    ).toEqual(['headers.X-A']);
  });

  it.each([
    ['a tab', 'a\tb', true],
    ['visible ASCII', 'Bearer abc.DEF-123_~+/=', true],
    ['a NUL', 'a\u0000b', false],
    ['a DEL', 'a\u007fb', false],
    ['a letter outside ASCII, which stacks would write as Latin-1', 'Z\u00fcrich', false],
    ['an emoji', '\u{1f600}', false],
    ['one character too many', 'v'.repeat(LIMITS.headerValueLength + 1), false],
  ])('a header value with %s is accepted: %s', (_what, value, accepted) => {
    const endpoint = { url: 'https://x.example', headers: { 'X-A': value } };
    expect(createEndpointSchema.safeParse(endpoint).success).toBe(accepted);
  });

  it('refuses more custom headers than the limit, and names longer than the limit', () => {
    const many = Object.fromEntries(
      Array.from({ length: LIMITS.customHeaders + 1 }, (_, index) => [`X-${index}`, 'v']),
    );
    const longName = { ['X'.repeat(LIMITS.headerNameLength + 1)]: 'v' };
    expect(createEndpointSchema.safeParse({ url: 'https://x.example', headers: many }).success).toBe(false);
    expect(createEndpointSchema.safeParse({ url: 'https://x.example', headers: longName }).success).toBe(
      false,
    );
  });

  it.each([
    ['a name of one line', { name: 'Acme Inc. \u00e9\u{1f600}' }, true],
    ['a name at the limit', { name: 'n'.repeat(LIMITS.nameLength) }, true],
    ['a name over the limit', { name: 'n'.repeat(LIMITS.nameLength + 1) }, false],
    ['a NUL in a name', { name: 'a\u0000' }, false],
    ['a line break in a name', { name: 'a\nb' }, false],
    ['a C1 control in a name', { name: 'a\u0085' }, false],
    ['a line break in a metadata value', { name: 'a', metadata: { note: 'one\ntwo' } }, true],
    ['a NUL in a metadata value', { name: 'a', metadata: { note: 'a\u0000' } }, false],
    ['a line break in a metadata key', { name: 'a', metadata: { 'a\nb': 'x' } }, false],
  ])('an app with %s is accepted: %s', (_what, app, accepted) => {
    expect(createAppSchema.safeParse(app).success).toBe(accepted);
  });

  it.each([
    ['a description with line breaks and tabs', { description: 'one\r\ntwo\tthree' }, true],
    ['a NUL in a description', { description: 'a\u0000' }, false],
    ['an escape sequence in a description', { description: '\u001b[31m' }, false],
    ['a control character in an eventId', { eventId: 'a\u0007' }, false],
    ['channels of letters, digits, _ . : -', { channels: ['orders:eu-west_1.a'] }, true],
    ['a channel with a space', { channels: ['a b'] }, false],
    [
      'more channels than the limit',
      { channels: Array.from({ length: LIMITS.channels + 1 }, (_, i) => `c${i}`) },
      false,
    ],
  ])('%s is accepted: %s', (_what, fields, accepted) => {
    const schema = 'description' in fields ? createEventTypeSchema : createMessageSchema;
    const base = 'description' in fields ? { name: 'a.b' } : { eventType: 'a.b', payload: {} };
    expect(schema.safeParse({ ...base, ...fields }).success).toBe(accepted);
  });

  it.each([['invoice.*'], ['invoice.paid', 'user.*']])('accepts event type filters %j', (...eventTypes) => {
    expect(createEndpointSchema.safeParse({ url: 'https://x.example', eventTypes }).success).toBe(true);
  });

  it.each([['*'], ['invoice.*.paid'], []])('refuses event type filters %j', (...eventTypes) => {
    expect(createEndpointSchema.safeParse({ url: 'https://x.example', eventTypes }).success).toBe(false);
  });

  it('defaults an endpoint to push', () => {
    expect(createEndpointSchema.parse({ url: 'https://x.example' }).kind).toBe('push');
  });
});
