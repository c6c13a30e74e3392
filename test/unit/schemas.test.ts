import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../lambdas/core/errors';
import {
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
