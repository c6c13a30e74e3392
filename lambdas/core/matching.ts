/**
 * Which endpoints receive a message. An endpoint with `eventTypes: null` takes every
 * type; an entry ending in `.*` takes every type below that prefix (`invoice.*` matches
 * `invoice.paid` and `invoice.line.added`, not `invoice` itself). An endpoint with
 * `channels: null` takes every message; one with channels takes only the messages that
 * name at least one of them, so a message without channels reaches only endpoints without
 * channels. Disabled endpoints never match.
 */

export interface SubscriptionFilter {
  readonly disabled: boolean;
  readonly eventTypes: readonly string[] | null;
  readonly channels: readonly string[] | null;
}

export interface RoutedMessage {
  readonly eventType: string;
  readonly channels: readonly string[] | null;
}

export function eventTypeMatches(filter: string, eventType: string): boolean {
  if (filter.endsWith('.*')) return eventType.startsWith(filter.slice(0, -1));
  return filter === eventType;
}

export function endpointMatches(endpoint: SubscriptionFilter, message: RoutedMessage): boolean {
  if (endpoint.disabled) return false;
  const typeMatches =
    endpoint.eventTypes === null ||
    endpoint.eventTypes.some((filter) => eventTypeMatches(filter, message.eventType));
  return typeMatches && channelsMatch(endpoint.channels, message.channels);
}

function channelsMatch(
  endpointChannels: readonly string[] | null,
  messageChannels: readonly string[] | null,
) {
  if (endpointChannels === null) return true;
  return messageChannels?.some((channel) => endpointChannels.includes(channel)) ?? false;
}

/** Whether a POST may go to the endpoint now: it exists, has a URL (a push endpoint) and is enabled. */
export function isSendable<Endpoint extends { readonly disabled: boolean; readonly url: string | null }>(
  endpoint: Endpoint | undefined,
): endpoint is Endpoint {
  return endpoint !== undefined && endpoint.url !== null && !endpoint.disabled;
}
