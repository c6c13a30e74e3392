import { describe, expect, it } from 'vitest';
import { endpointMatches } from '../../lambdas/core/matching';

describe('endpoint matching', () => {
  it.each([
    [null, 'invoice.paid', true],
    [['invoice.paid'], 'invoice.paid', true],
    [['invoice.paid'], 'invoice.created', false],
    [['invoice.*'], 'invoice.paid', true],
    [['invoice.*'], 'invoice.line.added', true],
    [['invoice.*'], 'invoice', false],
    [['invoice.*'], 'invoices.paid', false],
    [['user.created', 'invoice.*'], 'invoice.paid', true],
    [['message.*'], 'message.attempt.exhausted', true],
  ] as const)('eventTypes %j and a %s message → %s', (eventTypes, eventType, expected) => {
    expect(endpointMatches({ disabled: false, eventTypes }, eventType)).toBe(expected);
  });

  it('never matches a disabled endpoint', () => {
    expect(endpointMatches({ disabled: true, eventTypes: null }, 'invoice.paid')).toBe(false);
  });
});
