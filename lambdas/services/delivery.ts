import { DeliveryNotReadyError } from '../core/errors';
import { newId } from '../core/ids';
import type { Attempt, AttemptResult, Delivery, DeliveryTask, Endpoint, Message } from '../core/model';
import { planRetry, type RetryPlan, type RetryPolicy } from '../core/retry';
import { buildWebhook } from '../core/webhook';
import type {
  AttemptRecord,
  Clock,
  DeliveryQueue,
  DeliveryStore,
  EndpointStore,
  Logger,
  MessageStore,
  PipelineMetrics,
  RetryScheduler,
  SendOutcome,
  WebhookSender,
} from '../ports';
import type { OperationalNotifier } from './operational';

export interface DeliverySettings {
  readonly retry: RetryPolicy;
  readonly attemptTimeoutMs: number;
  readonly userAgent: string;
}

export type DeliveryResult = AttemptResult | 'duplicate' | 'abandoned';

/** After this many failed attempts in a row, `message.attempt.failing` is sent. */
const FAILING_NOTICE_AFTER_ATTEMPTS = 3;

/**
 * Makes one attempt of one delivery and decides what follows it.
 *
 * Tasks arrive at least once, so each carries the attempt number it means to make, and
 * the delivery's `attemptCount` tells whether that attempt is due, done, or not yet due:
 * - done (`attemptCount >= n`): a duplicate task, dropped;
 * - not yet due (`attemptCount < n - 1`): the previous attempt is still being recorded,
 *   so the task goes back to the queue (DeliveryNotReadyError);
 * - due: POST, save the attempt, put the next step in motion, then record the attempt
 *   with a conditional write. The next step comes before the record so that a crash in
 *   between leaves the task on the queue to run again, rather than a recorded attempt
 *   with nothing scheduled after it.
 */
export class DeliveryService {
  constructor(
    private readonly deps: {
      readonly messages: MessageStore;
      readonly endpoints: EndpointStore;
      readonly deliveries: DeliveryStore;
      readonly queue: DeliveryQueue;
      readonly scheduler: RetryScheduler;
      readonly sender: WebhookSender;
      readonly notifier: OperationalNotifier;
      readonly clock: Clock;
      /** A number in [0, 1), for retry jitter. */
      readonly random: () => number;
      readonly metrics: PipelineMetrics;
      readonly logger: Logger;
      readonly settings: DeliverySettings;
    },
  ) {}

  async deliver(task: DeliveryTask): Promise<DeliveryResult> {
    const { deliveries, logger } = this.deps;
    const delivery = await deliveries.get(task.msgId, task.endpointId);
    if (
      delivery === undefined ||
      delivery.status !== 'pending' ||
      delivery.attemptCount >= task.attemptNumber
    ) {
      logger.debug('dropped a task whose attempt is already settled', { ...task });
      return 'duplicate';
    }
    if (delivery.attemptCount < task.attemptNumber - 1) {
      throw new DeliveryNotReadyError(
        `Attempt ${task.attemptNumber} of ${task.msgId} to ${task.endpointId} is waiting for attempt ${delivery.attemptCount + 1}.`,
      );
    }
    const [message, endpoint] = await Promise.all([
      this.deps.messages.get(task.appId, task.msgId),
      this.deps.endpoints.get(task.appId, task.endpointId),
    ]);
    if (message === undefined || endpoint === undefined || endpoint.url === null) {
      await deliveries.abandon(task.msgId, task.endpointId, 'endpoint_gone');
      return 'abandoned';
    }
    if (endpoint.disabled) {
      await deliveries.abandon(task.msgId, task.endpointId, 'endpoint_disabled');
      return 'abandoned';
    }
    return this.attempt(task, delivery, message, endpoint);
  }

  private async attempt(task: DeliveryTask, delivery: Delivery, message: Message, endpoint: Endpoint) {
    const { deliveries, settings, clock } = this.deps;
    const startedAt = clock.now();
    const webhook = buildWebhook({
      message,
      endpoint,
      attemptTime: startedAt,
      userAgent: settings.userAgent,
    });
    const outcome = await this.deps.sender.send(webhook, { timeoutMs: settings.attemptTimeoutMs });
    const attempt = attemptFrom(task, startedAt, outcome, newId('attempt', startedAt));
    await deliveries.saveAttempt(attempt);

    let record: AttemptRecord;
    let result: AttemptResult;
    if (attempt.outcome === 'succeeded') {
      record = {
        status: 'succeeded',
        attemptCount: task.attemptNumber,
        nextAttemptAt: null,
        lastAttempt: attempt,
      };
      result = 'succeeded';
    } else {
      const plan = planRetry(settings.retry, task.attemptNumber, this.deps.random());
      if (plan === undefined) {
        await this.deps.notifier.attemptExhausted(delivery, attempt);
        record = {
          status: 'failed',
          attemptCount: task.attemptNumber,
          nextAttemptAt: null,
          lastAttempt: attempt,
        };
        result = 'exhausted';
      } else {
        if (task.attemptNumber === FAILING_NOTICE_AFTER_ATTEMPTS) {
          await this.deps.notifier.attemptFailing(delivery, attempt);
        }
        const nextAttemptAt = await this.scheduleRetry(task, plan);
        record = { status: 'pending', attemptCount: task.attemptNumber, nextAttemptAt, lastAttempt: attempt };
        result = 'retry_scheduled';
      }
    }
    const recorded = await deliveries.recordAttempt(
      task.msgId,
      task.endpointId,
      task.attemptNumber - 1,
      record,
    );
    if (!recorded) {
      this.deps.logger.warn('another worker recorded this attempt first', { ...task });
      return 'duplicate';
    }
    this.deps.metrics.attemptMade({
      ...task,
      outcome: attempt.outcome,
      result,
      responseStatus: attempt.responseStatus,
      error: attempt.error,
      durationMs: attempt.durationMs,
      sinceAcceptedMs: this.deps.clock.now().getTime() - Date.parse(message.timestamp),
    });
    return result;
  }

  private async scheduleRetry(task: DeliveryTask, plan: RetryPlan): Promise<string> {
    const next: DeliveryTask = { ...task, attemptNumber: plan.attemptNumber, trigger: 'retry' };
    const dueAt = new Date(this.deps.clock.now().getTime() + plan.delayMs);
    if (plan.transport === 'queue') {
      await this.deps.queue.send([next], { delayMs: plan.delayMs });
    } else {
      await this.deps.scheduler.schedule(next, dueAt);
    }
    return dueAt.toISOString();
  }
}

function attemptFrom(task: DeliveryTask, startedAt: Date, outcome: SendOutcome, id: string): Attempt {
  const common = {
    id,
    msgId: task.msgId,
    appId: task.appId,
    endpointId: task.endpointId,
    attemptNumber: task.attemptNumber,
    trigger: task.trigger,
    timestamp: startedAt.toISOString(),
    durationMs: outcome.durationMs,
  };
  if (outcome.kind === 'error') {
    return { ...common, outcome: 'failed', responseStatus: null, responseBody: null, error: outcome.error };
  }
  const succeeded = outcome.status >= 200 && outcome.status < 300;
  const redirected = outcome.status >= 300 && outcome.status < 400;
  return {
    ...common,
    outcome: succeeded ? 'succeeded' : 'failed',
    responseStatus: outcome.status,
    responseBody: outcome.body,
    error: succeeded ? null : redirected ? 'redirect' : 'http_status',
  };
}
