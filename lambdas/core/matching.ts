/**
 * Which endpoints receive a message. An endpoint with `eventTypes: null` takes every
 * type; an entry ending in `.*` takes every type below that prefix (`invoice.*` matches
 * `invoice.paid` and `invoice.line.added`, not `invoice` itself). Disabled endpoints
 * never match.
 */

export interface SubscriptionFilter {
  readonly disabled: boolean;
  readonly eventTypes: readonly string[] | null;
}

export function eventTypeMatches(filter: string, eventType: string): boolean {
  if (filter.endsWith('.*')) return eventType.startsWith(filter.slice(0, -1));
  return filter === eventType;
}

export function endpointMatches(endpoint: SubscriptionFilter, eventType: string): boolean {
  if (endpoint.disabled) return false;
  if (endpoint.eventTypes === null) return true;
  return endpoint.eventTypes.some((filter) => eventTypeMatches(filter, eventType));
}
