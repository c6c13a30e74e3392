import { describe, expect, it } from 'vitest';
import { LIMITS } from '../../lambdas/contract/limits';
import {
  endpointMatches,
  SUBSCRIPTION_HISTORY_MAX_BYTES,
  type SubscriptionFilter,
  type SubscriptionHistory,
  subscriptionAt,
  withSubscriptionChange,
} from '../../lambdas/core/matching';

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

describe('what an endpoint took at a time', () => {
  const created = '2026-11-23T10:00:00.000Z';
  const endpoint = (
    changes: SubscriptionHistory['subscriptionChanges'],
    now: Partial<SubscriptionFilter>,
  ) => ({
    disabled: false,
    eventTypes: null,
    channels: null,
    ...now,
    createdAt: created,
    subscriptionChanges: changes,
  });

  it('is nothing before the endpoint existed, and what it takes now when nothing changed since', () => {
    expect(subscriptionAt(endpoint([], {}), '2026-11-23T09:59:59.999Z')).toBeUndefined();
    expect(subscriptionAt(endpoint([], { eventTypes: ['a'] }), created)).toEqual({
      disabled: false,
      eventTypes: ['a'],
      channels: null,
    });
  });

  it('undoes, newest first, every change made after the time', () => {
    const history = endpoint(
      [
        { at: '2026-11-23T11:00:00.000Z', previous: { eventTypes: ['a'] } },
        { at: '2026-11-23T12:00:00.000Z', previous: { disabled: false, channels: ['eu'] } },
      ],
      { disabled: true, eventTypes: ['b'], channels: null },
    );
    expect(subscriptionAt(history, '2026-11-23T10:30:00.000Z')).toEqual({
      disabled: false,
      eventTypes: ['a'],
      channels: ['eu'],
    });
    expect(subscriptionAt(history, '2026-11-23T11:30:00.000Z')).toEqual({
      disabled: false,
      eventTypes: ['b'],
      channels: ['eu'],
    });
    expect(subscriptionAt(history, '2026-11-23T12:00:00.000Z')).toEqual({
      disabled: true,
      eventTypes: ['b'],
      channels: null,
    });
  });

  it('undoes changes by their time, even appended out of order (two functions, two clocks)', () => {
    const history = endpoint(
      [
        { at: '2026-11-23T12:00:00.000Z', previous: { eventTypes: ['a'] } },
        { at: '2026-11-23T11:59:59.990Z', previous: { disabled: false } },
      ],
      { disabled: true, eventTypes: ['b'] },
    );
    expect(subscriptionAt(history, '2026-11-23T11:59:59.995Z')).toEqual({
      disabled: true,
      eventTypes: ['a'],
      channels: null,
    });
    expect(subscriptionAt(history, '2026-11-23T11:00:00.000Z')).toEqual({
      disabled: false,
      eventTypes: ['a'],
      channels: null,
    });
  });

  it('records a change of what the endpoint takes, with only the fields it changed, and drops a day-old one', () => {
    const old = { at: '2026-11-22T09:00:00.000Z', previous: { disabled: true } };
    const recent = { at: '2026-11-23T09:00:00.000Z', previous: { channels: ['eu'] } };
    const before = endpoint([old, recent], { eventTypes: ['a'] });
    const at = '2026-11-23T10:00:00.000Z';
    expect(withSubscriptionChange(before, { ...before, eventTypes: ['a', 'b'] }, at)).toEqual([
      recent,
      { at, previous: { eventTypes: ['a'] } },
    ]);
    expect(withSubscriptionChange(before, { ...before }, at)).toEqual([recent]);
  });

  it('keeps its history within a bound, and at least four changes of the largest filters', () => {
    let history = endpoint([], {});
    const largest = (n: number) => ({
      eventTypes: Array.from(
        { length: LIMITS.eventTypeFilters },
        (_, index) => `${n}.${index}.${'x'.repeat(LIMITS.nameLength)}`.slice(0, LIMITS.nameLength - 2) + '.*',
      ),
      channels: Array.from({ length: LIMITS.channels }, (_, index) =>
        `${n}.${index}.${'c'.repeat(LIMITS.channelLength)}`.slice(0, LIMITS.channelLength),
      ),
    });
    for (let n = 0; n < 20; n++) {
      const next = { ...history, ...largest(n) };
      const at = `2026-11-23T10:00:${String(n).padStart(2, '0')}.000Z`;
      history = { ...next, subscriptionChanges: withSubscriptionChange(history, next, at) };
    }
    expect(JSON.stringify(history.subscriptionChanges).length).toBeLessThanOrEqual(
      SUBSCRIPTION_HISTORY_MAX_BYTES,
    );
    expect(history.subscriptionChanges.length).toBeGreaterThanOrEqual(4);
    expect(history.subscriptionChanges.at(-1)?.previous).toEqual(largest(18));
  });
});
