import { SUBSCRIPTION_FIELDS, type SubscriptionChange } from './model';
import { PULL_RETENTION_MS } from './pull';

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

/** An endpoint with what it took before its recent changes. */
export interface SubscriptionHistory extends SubscriptionFilter {
  readonly createdAt: string;
  readonly subscriptionChanges: readonly SubscriptionChange[];
}

/** How long a DynamoDB stream keeps its records, and so the longest a message can wait for fan-out. */
const STREAM_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * How long an endpoint keeps the changes of what it takes: as long as fan-out may still be
 * making an accepted message's deliveries (the stream's records, which fan-out retries
 * until they go to its dead-letter queue or expire), and as far back as a poll endpoint's
 * queue reaches.
 */
export const SUBSCRIPTION_HISTORY_MS = Math.max(STREAM_RETENTION_MS, PULL_RETENTION_MS);
/**
 * At most this much of changes (as JSON) is kept on an endpoint, the oldest dropped first,
 * within DynamoDB's 400 KB an item: at least four changes of the largest filters an
 * endpoint may have (100 event types of 256 characters), and any number of small ones.
 */
export const SUBSCRIPTION_HISTORY_MAX_BYTES = 128 * 1024;

/**
 * What the endpoint took at `at`: the message accepted then goes to every endpoint that
 * matched it then, whatever changed between its acceptance and its fan-out. Undefined
 * when the endpoint did not exist yet. Changes older than the history kept are not undone
 * (a day, or SUBSCRIPTION_HISTORY_MAX_BYTES of them).
 */
export function subscriptionAt(endpoint: SubscriptionHistory, at: string): SubscriptionFilter | undefined {
  if (endpoint.createdAt > at) return undefined;
  let filter: SubscriptionFilter = {
    disabled: endpoint.disabled,
    eventTypes: endpoint.eventTypes,
    channels: endpoint.channels,
  };
  if (endpoint.subscriptionChanges.length === 0) return filter;
  // Newest first, by time: changes from two functions' clocks may have been appended out of order.
  const newestFirst = [...endpoint.subscriptionChanges].sort((a, b) =>
    a.at < b.at ? 1 : a.at > b.at ? -1 : 0,
  );
  for (const change of newestFirst) {
    if (change.at <= at) break;
    filter = { ...filter, ...change.previous };
  }
  return filter;
}

/**
 * Whether the endpoint took the message when it was accepted: what fan-out and a poll
 * endpoint's queue go by. `ignoringDisabled`: whether the endpoint was disabled then does
 * not count (a poll endpoint's consumer is paused by it, its queue is not).
 */
export function matchedWhenAccepted(
  endpoint: SubscriptionHistory,
  message: RoutedMessage & { readonly timestamp: string },
  options: { readonly ignoringDisabled?: boolean } = {},
): boolean {
  const then = subscriptionAt(endpoint, message.timestamp);
  if (then === undefined) return false;
  return endpointMatches(options.ignoringDisabled === true ? { ...then, disabled: false } : then, message);
}

/**
 * The endpoint's changes once `next` replaces `previous` at `at`: those of the history's
 * span before `at`, and this one if it changes what the endpoint takes.
 */
export function withSubscriptionChange(
  previous: SubscriptionHistory,
  next: SubscriptionFilter,
  at: string,
): readonly SubscriptionChange[] {
  const since = new Date(Date.parse(at) - SUBSCRIPTION_HISTORY_MS).toISOString();
  const kept = previous.subscriptionChanges.filter((change) => change.at >= since);
  const changed = SUBSCRIPTION_FIELDS.filter(
    (field) => JSON.stringify(previous[field]) !== JSON.stringify(next[field]),
  );
  if (changed.length > 0) {
    kept.push({ at, previous: Object.fromEntries(changed.map((field) => [field, previous[field]])) });
  }
  while (kept.length > 1 && JSON.stringify(kept).length > SUBSCRIPTION_HISTORY_MAX_BYTES) kept.shift();
  return kept;
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
