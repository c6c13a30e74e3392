import type { App, EventType } from './model';

/**
 * Operational webhooks (README, "Retries and operational webhooks") are ordinary messages sent to a built-in application.
 * Its endpoints are registered like any other; its messages never cause operational
 * messages themselves, so a failing operator endpoint cannot feed on itself.
 */

export const OPERATIONAL_APP_ID = 'app_operational';

const EPOCH = '1970-01-01T00:00:00.000Z';

export const OPERATIONAL_APP: App = {
  id: OPERATIONAL_APP_ID,
  name: 'Hookpost operational webhooks',
  uid: null,
  metadata: {},
  createdAt: EPOCH,
  updatedAt: EPOCH,
};

export const OPERATIONAL_EVENT_TYPES = {
  attemptExhausted: 'message.attempt.exhausted',
  attemptFailing: 'message.attempt.failing',
  endpointDisabled: 'endpoint.disabled',
} as const;

const descriptions: Record<string, string> = {
  [OPERATIONAL_EVENT_TYPES.attemptExhausted]: 'A delivery failed its last retry and was given up.',
  [OPERATIONAL_EVENT_TYPES.attemptFailing]: 'A delivery failed three attempts in a row.',
  [OPERATIONAL_EVENT_TYPES.endpointDisabled]:
    'An endpoint was disabled: it answered 410 Gone, or failed every attempt for days.',
};

/** The built-in catalogue entries for the operational types; they cannot be changed or archived. */
export const OPERATIONAL_EVENT_TYPE_ENTRIES: readonly EventType[] = Object.values(
  OPERATIONAL_EVENT_TYPES,
).map((name) => ({
  name,
  description: descriptions[name] ?? '',
  schema: null,
  archived: false,
  createdAt: EPOCH,
  updatedAt: EPOCH,
}));

export function isOperationalEventType(name: string): boolean {
  return OPERATIONAL_EVENT_TYPE_ENTRIES.some((entry) => entry.name === name);
}
