/**
 * The metrics the functions emit (CloudWatch Embedded Metric Format, in the namespace the
 * stack gives them) and the dashboard and alarms in `lib/observability.ts` read.
 */

export type MetricUnit = 'Count' | 'Milliseconds';

export interface MetricSpec {
  readonly name: string;
  readonly unit: MetricUnit;
}

export const METRICS = {
  /** A message was fanned out (once per accepted message, also when no endpoint matched). */
  messagesFannedOut: { name: 'MessagesFannedOut', unit: 'Count' },
  /** Deliveries created by fan-out. */
  deliveriesCreated: { name: 'DeliveriesCreated', unit: 'Count' },
  /** Attempts whose receiver answered 2xx. */
  deliveriesSucceeded: { name: 'DeliveriesSucceeded', unit: 'Count' },
  /** Attempts that failed, whatever follows them. */
  attemptsFailed: { name: 'AttemptsFailed', unit: 'Count' },
  /** Failed attempts followed by another rung. */
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
