import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { PowertoolsMetrics } from '../../lambdas/adapters/aws/metrics/powertools-metrics';
import { METRIC_DIMENSIONS, METRICS } from '../../lambdas/contract/metrics';
import { createJsonLogger } from '../../lambdas/logger';
import type { AttemptReport } from '../../lambdas/ports';

/**
 * The Embedded Metric Format documents the functions write through Powertools Metrics:
 * one per batch, as CloudWatch reads them.
 */
describe('PowertoolsMetrics', () => {
  const attempt = (overrides: Partial<AttemptReport> = {}): AttemptReport => ({
    appId: 'app_1',
    msgId: 'msg_1',
    endpointId: 'ep_1',
    attemptNumber: 1,
    trigger: 'initial',
    outcome: 'succeeded',
    result: 'succeeded',
    responseStatus: 200,
    error: null,
    durationMs: 40,
    sinceAcceptedMs: 900,
    ...overrides,
  });

  // Powertools writes to process.stdout through a console of its own.
  let stdout: string[];
  beforeEach(() => {
    stdout = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
      stdout.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
  });
  afterEach(() => vi.restoreAllMocks());

  function metricsLoggingTo(logLines: string[]) {
    return new PowertoolsMetrics({
      namespace: 'Hookpost/Test',
      logger: createJsonLogger('info', (line) => logLines.push(line)),
    });
  }

  it('writes one document per flush: counts summed, durations as value arrays', () => {
    const logLines: string[] = [];
    const metrics = metricsLoggingTo(logLines);
    metrics.fannedOut({ appId: 'app_1', msgId: 'msg_1', deliveries: 2 });
    metrics.fannedOut({ appId: 'app_1', msgId: 'msg_2', deliveries: 0 });
    metrics.attemptMade(attempt());
    metrics.attemptMade(attempt({ msgId: 'msg_2', durationMs: 70, sinceAcceptedMs: 1200 }));
    metrics.attemptMade(
      attempt({
        msgId: 'msg_3',
        outcome: 'failed',
        result: 'retry_scheduled',
        responseStatus: 503,
        durationMs: 15,
      }),
    );
    expect(stdout).toEqual([]);
    metrics.flush();

    expect(stdout).toHaveLength(1);
    const document = JSON.parse(stdout[0] as string);
    expect(document._aws.Timestamp).toEqual(expect.any(Number));
    expect(document._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Hookpost/Test',
        Dimensions: [Object.keys(METRIC_DIMENSIONS)],
        Metrics: expect.arrayContaining([
          { Name: METRICS.messagesAccepted.name, Unit: 'Count' },
          { Name: METRICS.deliveryAttempts.name, Unit: 'Count' },
          { Name: METRICS.deliverySucceeded.name, Unit: 'Count' },
          { Name: METRICS.deliveryFailed.name, Unit: 'Count' },
          { Name: METRICS.retriesScheduled.name, Unit: 'Count' },
          { Name: METRICS.attemptDuration.name, Unit: 'Milliseconds' },
          { Name: METRICS.endToEndLatency.name, Unit: 'Milliseconds' },
        ]),
      },
    ]);
    expect(document).toMatchObject({
      ...METRIC_DIMENSIONS,
      MessagesAccepted: 2,
      DeliveryAttempts: 3,
      DeliverySucceeded: 2,
      DeliveryFailed: 1,
      RetriesScheduled: 1,
      AttemptDuration: [40, 70, 15],
      EndToEndLatency: [900, 1200],
    });
    // Every metric the document declares, it carries, and only the contract's names.
    const contractNames = Object.values(METRICS).map((metric) => metric.name);
    for (const { Name } of document._aws.CloudWatchMetrics[0].Metrics) {
      expect(contractNames).toContain(Name);
      expect(document[Name]).toBeDefined();
    }
    // The failed attempt is named on a log line of its own, by its ids.
    expect(logLines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        message: 'attempt failed',
        appId: 'app_1',
        msgId: 'msg_3',
        endpointId: 'ep_1',
        result: 'retry_scheduled',
        responseStatus: 503,
      }),
    ]);

    metrics.flush();
    expect(stdout).toHaveLength(1);
  });

  it('writes nothing, not even a warning, for an invocation that reported nothing', () => {
    metricsLoggingTo([]).flush();
    expect(stdout).toEqual([]);
  });

  it('writes early rather than put more than 100 values in one array', () => {
    const metrics = metricsLoggingTo([]);
    for (let index = 0; index < 150; index += 1) metrics.attemptMade(attempt());
    metrics.flush();
    const documents = stdout.map((line) => JSON.parse(line));
    expect(documents.map((document) => document.AttemptDuration.length)).toEqual([100, 50]);
    expect(documents.map((document) => document.EndToEndLatency.length)).toEqual([99, 51]);
    // The counts are summed into the first document, not split.
    expect(documents.map((document) => document.DeliveryAttempts)).toEqual([150, undefined]);
  });
});
