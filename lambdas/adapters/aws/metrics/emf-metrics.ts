import { METRICS, type MetricId } from '../../../contract/metrics';
import type { AttemptReport, Clock, PipelineMetrics } from '../../../ports';

type MetricValues = Partial<Record<MetricId, number>>;

/**
 * The pipeline's metrics as CloudWatch Embedded Metric Format: one JSON line on stdout per
 * report, from which CloudWatch Logs extracts the metrics into the deployment's namespace.
 * The line carries the report's ids and outcome too, so it is also the log record of the
 * attempt (searchable in Logs Insights) and nothing is written twice. The metrics have no
 * dimensions: the namespace is the deployment's own.
 */
export class EmfMetrics implements PipelineMetrics {
  constructor(
    private readonly options: {
      readonly namespace: string;
      readonly clock: Clock;
      readonly write?: (line: string) => void;
    },
  ) {}

  fannedOut(report: { appId: string; msgId: string; deliveries: number }): void {
    this.emit('fanned out', { messagesFannedOut: 1, deliveriesCreated: report.deliveries }, report);
  }

  attemptMade(report: AttemptReport): void {
    const failed = report.outcome === 'failed';
    this.emit(
      'attempt made',
      {
        attemptDuration: report.durationMs,
        ...(report.result === 'succeeded'
          ? { deliveriesSucceeded: 1, endToEndLatency: report.sinceAcceptedMs }
          : {}),
        ...(failed ? { attemptsFailed: 1 } : {}),
        ...(report.result === 'retry_scheduled' ? { retriesScheduled: 1 } : {}),
        ...(report.result === 'exhausted' ? { messagesExhausted: 1 } : {}),
        ...(report.result === 'endpoint_disabled' ? { endpointsDisabled: 1 } : {}),
      },
      report,
    );
  }

  private emit(message: string, values: MetricValues, properties: object): void {
    const now = this.options.clock.now();
    const ids = Object.keys(values) as MetricId[];
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
      message,
      ...properties,
      ...Object.fromEntries(ids.map((id) => [METRICS[id].name, values[id]])),
    };
    const write = this.options.write ?? ((line: string) => process.stdout.write(`${line}\n`));
    write(JSON.stringify(document));
  }
}
