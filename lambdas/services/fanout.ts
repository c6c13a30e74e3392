import { endpointMatches } from '../core/matching';
import type { DeliveryTask, Message } from '../core/model';
import type { DeliveryQueue, DeliveryStore, EndpointStore, PipelineMetrics } from '../ports';

/**
 * Turns one accepted message into deliveries: one per matching push endpoint, each with
 * its first task on the delivery queue. Safe to run twice for the same message (the
 * change stream delivers at least once): a delivery is created once, and a duplicate
 * first task is dropped by the delivery service because its attempt is already recorded.
 */
export class FanOutService {
  constructor(
    private readonly deps: {
      readonly endpoints: EndpointStore;
      readonly deliveries: DeliveryStore;
      readonly queue: DeliveryQueue;
      readonly metrics: PipelineMetrics;
    },
  ) {}

  async fanOut(message: Message): Promise<{ readonly deliveries: number }> {
    const endpoints = await this.deps.endpoints.listAll(message.appId);
    const targets = endpoints.filter(
      (endpoint) => endpoint.kind === 'push' && endpointMatches(endpoint, message),
    );
    const tasks: DeliveryTask[] = [];
    for (const endpoint of targets) {
      await this.deps.deliveries.createIfAbsent({
        msgId: message.id,
        appId: message.appId,
        endpointId: endpoint.id,
        eventType: message.eventType,
        status: 'pending',
        attemptCount: 0,
        nextAttemptAt: message.timestamp,
        lastAttempt: null,
        createdAt: message.timestamp,
      });
      // Enqueued even when the delivery existed: an earlier run may have died between the two steps.
      tasks.push({
        appId: message.appId,
        msgId: message.id,
        endpointId: endpoint.id,
        attemptNumber: 1,
        trigger: 'initial',
      });
    }
    if (tasks.length > 0) await this.deps.queue.send(tasks);
    this.deps.metrics.fannedOut({ appId: message.appId, msgId: message.id, deliveries: tasks.length });
    return { deliveries: tasks.length };
  }
}
