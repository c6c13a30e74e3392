import { describe, expect, it } from 'vitest';
import { EmfMetrics } from '../../lambdas/adapters/aws/metrics/emf-metrics';
import type { AttemptReport } from '../../lambdas/ports';
import { ManualClock } from '../support/fixtures';

/** The Embedded Metric Format lines the functions write: one per batch, as CloudWatch reads them. */
describe('EmfMetrics', () => {
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

  function metricsWritingTo(lines: string[]) {
    return new EmfMetrics({
      namespace: 'Hookpost/Test',
      clock: new ManualClock(),
      write: (line) => lines.push(line),
    });
  }

  it('writes one document per flush: counts summed, durations as value arrays, failures named', () => {
    const lines: string[] = [];
    const metrics = metricsWritingTo(lines);
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
    expect(lines).toEqual([]);
    metrics.flush();
    expect(lines).toHaveLength(1);
    const document = JSON.parse(lines[0] as string);
    expect(document._aws.CloudWatchMetrics).toEqual([
      {
        Namespace: 'Hookpost/Test',
        Dimensions: [[]],
        Metrics: expect.arrayContaining([
          { Name: 'DeliveriesSucceeded', Unit: 'Count' },
          { Name: 'AttemptsFailed', Unit: 'Count' },
          { Name: 'RetriesScheduled', Unit: 'Count' },
          { Name: 'AttemptDuration', Unit: 'Milliseconds' },
          { Name: 'EndToEndLatency', Unit: 'Milliseconds' },
        ]),
      },
    ]);
    expect(document).toMatchObject({
      DeliveriesSucceeded: 2,
      AttemptsFailed: 1,
      RetriesScheduled: 1,
      AttemptDuration: [40, 70, 15],
      EndToEndLatency: [900, 1200],
      failedAttempts: [{ msgId: 'msg_3', result: 'retry_scheduled', responseStatus: 503 }],
    });
    // Every metric the document declares, it carries.
    for (const { Name } of document._aws.CloudWatchMetrics[0].Metrics) expect(document[Name]).toBeDefined();
    metrics.flush();
    expect(lines).toHaveLength(1);
  });

  it('writes early rather than put more than 100 values in one array', () => {
    const lines: string[] = [];
    const metrics = metricsWritingTo(lines);
    for (let index = 0; index < 150; index += 1) metrics.attemptMade(attempt());
    metrics.flush();
    expect(lines.map((line) => JSON.parse(line).AttemptDuration.length)).toEqual([100, 50]);
  });
});
