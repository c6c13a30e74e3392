import type { PipelineMetrics } from '../ports';

/** The handler, writing out its invocation's metrics when it ends, however it ends. */
export function flushingMetrics<Event, Result>(
  handler: (event: Event) => Promise<Result>,
  metrics: PipelineMetrics,
): (event: Event) => Promise<Result> {
  return async (event) => {
    try {
      return await handler(event);
    } finally {
      metrics.flush();
    }
  };
}
