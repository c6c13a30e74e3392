import { METRICS, type MetricId } from '../../../contract/metrics';
import type { AttemptReport, Clock, PipelineMetrics } from '../../../ports';

/** EMF takes at most 100 values per metric in one document. */
const MAX_VALUES = 100;

/**
 * The pipeline's metrics as CloudWatch Embedded Metric Format: one JSON line on stdout per
 * invocation (`flush`, which the entry points call after each batch), from which CloudWatch
 * Logs extracts the metrics into the deployment's namespace. Counts are summed; durations
 * are kept as value arrays, so CloudWatch still computes percentiles from every attempt.
 * One line per batch instead of one per attempt is most of what the functions log, and
 * CloudWatch Logs bills by the byte. The line names the failed attempts (what an operator
 * searches for); every attempt is in the attempt log (the API) anyway. The metrics have no
 * dimensions: the namespace is the deployment's own.
 */
export class EmfMetrics implements PipelineMetrics {
  private counts: Partial<Record<MetricId, number>> = {};
  private durations: Partial<Record<MetricId, number[]>> = {};
  private failures: Record<string, unknown>[] = [];

  constructor(
    private readonly options: {
      readonly namespace: string;
      readonly clock: Clock;
      readonly write?: (line: string) => void;
    },
  ) {}

  fannedOut(report: { appId: string; msgId: string; deliveries: number }): void {
    this.count('messagesFannedOut', 1);
    this.count('deliveriesCreated', report.deliveries);
  }

  attemptMade(report: AttemptReport): void {
    this.time('attemptDuration', report.durationMs);
    if (report.result === 'succeeded') {
      this.count('deliveriesSucceeded', 1);
      this.time('endToEndLatency', report.sinceAcceptedMs);
    }
    if (report.outcome === 'failed') {
      this.count('attemptsFailed', 1);
      this.failures.push({
        appId: report.appId,
        msgId: report.msgId,
        endpointId: report.endpointId,
        attemptNumber: report.attemptNumber,
        result: report.result,
        responseStatus: report.responseStatus,
        error: report.error,
      });
    }
    if (report.result === 'retry_scheduled') this.count('retriesScheduled', 1);
    if (report.result === 'exhausted') this.count('messagesExhausted', 1);
    if (report.result === 'endpoint_disabled') this.count('endpointsDisabled', 1);
    if (Object.values(this.durations).some((values) => values.length >= MAX_VALUES)) this.flush();
  }

  flush(): void {
    const values: Partial<Record<MetricId, number | number[]>> = { ...this.counts, ...this.durations };
    const ids = Object.keys(values) as MetricId[];
    if (ids.length === 0) return;
    const now = this.options.clock.now();
    const document = {
      _aws: {
        Timestamp: now.getTime(),
        CloudWatchMetrics: [
          {
            Namespace: this.options.namespace,
            Dimensions: [[]],
            Metrics: ids.map((id) => ({ Name: METRICS[id].name, Unit: METRICS[id].unit })),
          },
        ],
      },
      time: now.toISOString(),
      level: 'info',
      message: 'pipeline metrics',
      ...Object.fromEntries(ids.map((id) => [METRICS[id].name, values[id]])),
      ...(this.failures.length > 0 ? { failedAttempts: this.failures } : {}),
    };
    this.counts = {};
    this.durations = {};
    this.failures = [];
    const write = this.options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
    write(JSON.stringify(document));
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
