import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import {
  type MetricUnit as ContractUnit,
  METRIC_DIMENSIONS,
  METRICS,
  type MetricId,
} from '../../../contract/metrics';
import type { AttemptReport, Logger, PipelineMetrics } from '../../../ports';

const UNITS = {
  Count: MetricUnit.Count,
  Milliseconds: MetricUnit.Milliseconds,
} as const satisfies Record<ContractUnit, string>;

/**
 * The pipeline's metrics through Powertools Metrics: one Embedded Metric Format document
 * on stdout per invocation (`flush`, which the entry points call after each batch), from
 * which CloudWatch Logs extracts the metrics into the deployment's namespace.
 *
 * Reports are aggregated here before they reach Powertools, which would otherwise keep a
 * value per report: counts are summed into one value each, durations kept as value arrays
 * so that CloudWatch still computes percentiles from every attempt. Powertools writes a
 * document early when one metric reaches 100 values (EMF's limit per metric; its other
 * limit, 100 metrics per document, is far above the contract's nine), so only a batch of
 * 100 attempts or more writes two (a delivery batch is 10, lambdas/contract/queues.ts).
 * One document per batch instead of one per attempt is most of what the functions log,
 * and CloudWatch Logs bills by the byte.
 *
 * A failed attempt is also logged, on a line of its own with its ids as keys (what an
 * operator searches for); every attempt is in the attempt log (the API) anyway.
 */
export class PowertoolsMetrics implements PipelineMetrics {
  private readonly metrics: Metrics;
  private readonly logger: Logger;
  private counts: Partial<Record<MetricId, number>> = {};
  private durations: Partial<Record<MetricId, number[]>> = {};

  constructor(options: { readonly namespace: string; readonly logger: Logger }) {
    // Powertools names its `service` dimension after serviceName; lib/observability.ts reads the same.
    this.metrics = new Metrics({ namespace: options.namespace, serviceName: METRIC_DIMENSIONS.service });
    this.logger = options.logger;
  }

  fannedOut(_report: Parameters<PipelineMetrics['fannedOut']>[0]): void {
    this.count('messagesAccepted', 1);
  }

  attemptMade(report: AttemptReport): void {
    this.count('deliveryAttempts', 1);
    this.time('attemptDuration', report.durationMs);
    if (report.outcome === 'succeeded') {
      this.count('deliverySucceeded', 1);
      this.time('endToEndLatency', report.sinceAcceptedMs);
    } else {
      this.count('deliveryFailed', 1);
      this.logger.info('attempt failed', {
        appId: report.appId,
        msgId: report.msgId,
        endpointId: report.endpointId,
        attemptNumber: report.attemptNumber,
        trigger: report.trigger,
        result: report.result,
        responseStatus: report.responseStatus,
        error: report.error,
        durationMs: report.durationMs,
      });
    }
    if (report.result === 'retry_scheduled') this.count('retriesScheduled', 1);
    if (report.result === 'exhausted') this.count('messagesExhausted', 1);
    if (report.result === 'endpoint_disabled') this.count('endpointsDisabled', 1);
  }

  flush(): void {
    const counts = Object.entries(this.counts) as [MetricId, number][];
    const durations = Object.entries(this.durations) as [MetricId, number[]][];
    this.counts = {};
    this.durations = {};
    // Nothing reported, nothing written (Powertools would write a warning instead).
    if (counts.length === 0 && durations.length === 0) return;
    for (const [id, sum] of counts) this.add(id, sum);
    // Value by value across the metrics, so that a document written early holds as many of each as it can.
    const longest = Math.max(...durations.map(([, values]) => values.length), 0);
    for (let index = 0; index < longest; index += 1) {
      for (const [id, values] of durations) {
        const value = values[index];
        if (value !== undefined) this.add(id, value);
      }
    }
    this.metrics.publishStoredMetrics();
  }

  private add(id: MetricId, value: number): void {
    this.metrics.addMetric(METRICS[id].name, UNITS[METRICS[id].unit], value);
  }

  private count(id: MetricId, value: number): void {
    this.counts[id] = (this.counts[id] ?? 0) + value;
  }

  private time(id: MetricId, value: number): void {
    const values = this.durations[id] ?? [];
    values.push(value);
    this.durations[id] = values;
  }
}
