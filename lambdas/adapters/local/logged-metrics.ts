import type { AttemptReport, Logger, PipelineMetrics } from '../../ports';

/** Local mode has no CloudWatch: what AWS would count becomes one info line per report. */
export class LoggedMetrics implements PipelineMetrics {
  constructor(private readonly logger: Logger) {}

  fannedOut(report: { appId: string; msgId: string; deliveries: number }): void {
    this.logger.info('fanned out', { ...report });
  }

  attemptMade(report: AttemptReport): void {
    this.logger.info('attempt made', { ...report });
  }

  /** Each report is written as it comes. */
  flush(): void {}
}
