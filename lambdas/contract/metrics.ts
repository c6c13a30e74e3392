/**
 * The metrics the functions emit (CloudWatch Embedded Metric Format, written by Powertools
 * Metrics in `lambdas/adapters/aws/metrics/powertools-metrics.ts`, in the namespace the
 * stack gives them) and the dashboard and alarms in `lib/observability.ts` read.
 *
 * Every delivery attempt counts once in DeliveryAttempts and once in either
 * DeliverySucceeded or DeliveryFailed; a failed attempt is then followed by at most one of
 * RetriesScheduled, MessagesExhausted or EndpointsDisabled.
 */

export type MetricUnit = 'Count' | 'Milliseconds';

export interface MetricSpec {
  readonly name: string;
  readonly unit: MetricUnit;
}

export const METRICS = {
  /**
   * A message was accepted: counted by fan-out, which sees each stored message once per
   * stream record (the API may be called again for the same message, and a replayed
   * eventId stores nothing), also when no endpoint matched.
   */
  messagesAccepted: { name: 'MessagesAccepted', unit: 'Count' },
  /** Attempts made and recorded: the retry ladder's and those made on request. */
  deliveryAttempts: { name: 'DeliveryAttempts', unit: 'Count' },
  /** Attempts whose receiver answered 2xx. */
  deliverySucceeded: { name: 'DeliverySucceeded', unit: 'Count' },
  /** Attempts that failed (a non-2xx answer, a timeout, no connection), whatever follows them. */
  deliveryFailed: { name: 'DeliveryFailed', unit: 'Count' },
  /** Failed attempts followed by another rung of the ladder. */
  retriesScheduled: { name: 'RetriesScheduled', unit: 'Count' },
  /** Failed last attempts: the delivery is given up. */
  messagesExhausted: { name: 'MessagesExhausted', unit: 'Count' },
  /** Endpoints disabled by their receiver's 410 Gone or by days of nothing but failures. */
  endpointsDisabled: { name: 'EndpointsDisabled', unit: 'Count' },
  /** How long one attempt took, connection and response included. */
  attemptDuration: { name: 'AttemptDuration', unit: 'Milliseconds' },
  /** From acceptance of the message to its successful delivery. */
  endToEndLatency: { name: 'EndToEndLatency', unit: 'Milliseconds' },
} as const satisfies Record<string, MetricSpec>;

export type MetricId = keyof typeof METRICS;

/**
 * The dimensions every metric carries. Powertools Metrics gives each metric a `service`
 * dimension, so the dashboard and alarms must name it to find the metrics; the namespace
 * already tells deployments apart, so the value is the same everywhere.
 */
export const METRIC_DIMENSIONS = { service: 'hookpost' } as const;
