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
    expect(
      endpointMatches({ disabled: false, eventTypes, channels: null }, { eventType, channels: null }),
    ).toBe(expected);
  });

  it.each([
    [null, null, true],
    [null, ['eu'], true],
    [['eu'], null, false],
    [['eu'], [], false],
    [['eu'], ['eu'], true],
    [['eu', 'us'], ['apac', 'us'], true],
    [['eu'], ['us'], false],
    [['eu'], ['EU'], false],
  ] as const)(
    'an endpoint with channels %j and a message naming %j → %s',
    (endpointChannels, messageChannels, expected) => {
      expect(
        endpointMatches(
          { disabled: false, eventTypes: null, channels: endpointChannels },
          { eventType: 'invoice.paid', channels: messageChannels },
        ),
      ).toBe(expected);
    },
  );

  it('needs both the event type and the channels to match', () => {
    const endpoint = { disabled: false, eventTypes: ['invoice.*'], channels: ['eu'] };
    expect(endpointMatches(endpoint, { eventType: 'user.created', channels: ['eu'] })).toBe(false);
    expect(endpointMatches(endpoint, { eventType: 'invoice.paid', channels: ['eu'] })).toBe(true);
  });

  it('never matches a disabled endpoint', () => {
    expect(
      endpointMatches(
        { disabled: true, eventTypes: null, channels: null },
        { eventType: 'invoice.paid', channels: null },
      ),
    ).toBe(false);
  });
});
