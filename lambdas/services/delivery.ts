import { MAX_QUEUE_DELAY_MS } from '../contract/queues';
import { taskIds } from '../core/delivery-task';
import { DeliveryNotReadyError } from '../core/errors';
import { newId } from '../core/ids';
import { isSendable } from '../core/matching';
import type { Attempt, AttemptResult, Delivery, DeliveryTask, Endpoint, Message } from '../core/model';
import { planRetry, type RetryPlan, type RetryPolicy, requestedRetryDelayMs } from '../core/retry';
import { buildWebhook, TEST_ATTEMPT_TIMEOUT_MS, testMessage } from '../core/webhook';
import type {
  AttemptRecord,
  Clock,
  DeliveryQueue,
  DeliveryStore,
  EndpointStore,
  Logger,
  MessageStore,
  PipelineMetrics,
  RateLimiter,
  RetryScheduler,
  SendOutcome,
  WebhookSender,
} from '../ports';
import { OperationalNotifier } from './operational';

export interface DeliverySettings {
  readonly retry: RetryPolicy;
  readonly attemptTimeoutMs: number;
  /** An endpoint whose every attempt has failed for this long is disabled. */
  readonly autoDisableAfterMs: number;
  readonly userAgent: string;
}

export type DeliveryResult = AttemptResult | 'duplicate' | 'abandoned' | 'rate_limited';

/**
 * A send slot at most this far off is waited for in place; one further off sends the task
 * back to the queue, carrying its slot (a wait is neither a failed attempt nor a used
 * retry), to come back one to two seconds before the slot (whole seconds of delay, as SQS
 * takes them) and wait for it in place. Were it to come back at the slot, the trip back
 * would make it late, and sent at once it would go out together with the tasks holding
 * the slots after it: more than the rate in one second.
 */
const MAX_WAIT_IN_PLACE_MS = 1_000;
/** A task back from the queue for its slot waits in place up to this: it comes back up to two seconds early. */
const RETURNED_WAIT_IN_PLACE_MS = 2 * MAX_WAIT_IN_PLACE_MS;

/** After this many failed attempts in a row, `message.attempt.failing` is sent. */
const FAILING_NOTICE_AFTER_ATTEMPTS = 3;

export interface DeliveryDeps {
  readonly messages: MessageStore;
  readonly endpoints: EndpointStore;
  readonly deliveries: DeliveryStore;
  readonly queue: DeliveryQueue;
  readonly scheduler: RetryScheduler;
  readonly rateLimiter: RateLimiter;
  readonly sender: WebhookSender;
  readonly notifier: OperationalNotifier;
  readonly clock: Clock;
  /** A number in [0, 1), for retry jitter. */
  readonly random: () => number;
  readonly metrics: PipelineMetrics;
  readonly logger: Logger;
  readonly settings: DeliverySettings;
}

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
  constructor(private readonly deps: DeliveryDeps) {}

  async deliver(task: DeliveryTask): Promise<DeliveryResult> {
    if (task.requestId !== undefined) return this.deliverRequested(task, task.requestId);
    const { deliveries, logger } = this.deps;
    const delivery = await deliveries.get(task.msgId, task.endpointId);
    if (
      delivery === undefined ||
      delivery.status !== 'pending' ||
      delivery.attemptCount >= task.attemptNumber
    ) {
      logger.debug('dropped a task whose attempt is already settled', taskIds(task));
      return 'duplicate';
    }
    if (delivery.attemptCount < task.attemptNumber - 1) {
      throw new DeliveryNotReadyError(
        `Attempt ${task.attemptNumber} of ${task.msgId} to ${task.endpointId} is waiting for attempt ${delivery.attemptCount + 1}.`,
      );
    }
    const [message, kept] = await Promise.all([
      task.message ?? this.deps.messages.get(task.appId, task.msgId),
      this.deps.endpoints.get(task.appId, task.endpointId),
    ]);
    const endpoint = await this.sendableOrNow(task, kept, false);
    if (message === undefined || endpoint === undefined || endpoint.url === null) {
      await deliveries.abandon(task.msgId, task.endpointId, 'endpoint_gone');
      return 'abandoned';
    }
    if (endpoint.disabled) {
      await deliveries.abandon(task.msgId, task.endpointId, 'endpoint_disabled');
      return 'abandoned';
    }
    if (endpoint.rateLimit !== null && !(await this.awaitSlot(task, endpoint.rateLimit)))
      return 'rate_limited';
    return this.attempt(task, delivery, message, endpoint);
  }

  /**
   * An attempt made on request (resend, recovery, test send), outside the ladder: it is
   * numbered after the delivery's attempts so far, recorded once per request, and nothing is
   * scheduled after it. A success ends the delivery as succeeded (the ladder's tasks then
   * drop) and the endpoint's run of failures; a failure leaves the delivery as it was. A 410 Gone disables the endpoint, as
   * it does on the ladder. No POST goes to an endpoint that is gone or disabled.
   */
  private async deliverRequested(task: DeliveryTask, requestId: string): Promise<DeliveryResult> {
    const { deliveries, endpoints, clock } = this.deps;
    // A test send or a resend is one POST someone is waiting on, maybe just after enabling
    // the endpoint or changing its URL: the endpoint as it is now. A recovery's many tasks
    // take the kept copy, as the ladder's do, and read afresh only to give one up.
    const fresh = task.trigger !== 'recover';
    const [delivery, kept, made] = await Promise.all([
      task.test ? undefined : deliveries.get(task.msgId, task.endpointId),
      endpoints.get(task.appId, task.endpointId, { fresh }),
      deliveries.getRequestedAttempt(task.msgId, task.endpointId, requestId),
    ]);
    if (made !== undefined) return 'duplicate';
    // A recovery sends what is still failed: another recovery or a resend may have got there first.
    if (task.trigger === 'recover' && delivery !== undefined && delivery.status !== 'failed')
      return 'duplicate';
    const endpoint = await this.sendableOrNow(task, kept, fresh);
    if (!isSendable(endpoint)) return 'abandoned';
    if (!task.test && delivery === undefined) return 'abandoned';
    const message = task.test ? testMessage(task) : await this.deps.messages.get(task.appId, task.msgId);
    if (message === undefined) return 'abandoned';
    if (endpoint.rateLimit !== null && !(await this.awaitSlot(task, endpoint.rateLimit)))
      return 'rate_limited';

    // A test send's message is its own, with this one attempt.
    const attemptNumber = task.test
      ? 1
      : await deliveries.takeRequestedAttemptNumber(task.msgId, task.endpointId);
    const numbered = { ...task, attemptNumber };
    const { attempt } = await this.send(numbered, message, endpoint);
    await deliveries.saveAttempt(attempt, requestId);
    let result: AttemptResult = 'request_failed';
    if (attempt.outcome === 'succeeded') {
      if (delivery !== undefined) await deliveries.markSucceeded(task.msgId, task.endpointId, attempt);
      // Any success starts the auto-disable count again, a resend's or a test send's too (README, "Retries and operational webhooks").
      if (endpoint.failingSince !== null) await endpoints.clearFailing(endpoint.appId, endpoint.id);
      result = 'succeeded';
    } else if (attempt.responseStatus === 410) {
      const gone = await this.stillThere(endpoint);
      if (gone !== undefined) {
        const subject = delivery ?? { ...aDeliveryOf(message, endpoint.id), lastAttempt: attempt };
        await this.disableEndpoint(gone, subject, attempt, 'gone');
        result = 'endpoint_disabled';
      }
    }
    this.deps.metrics.attemptMade({
      ...taskIds(numbered),
      outcome: attempt.outcome,
      result,
      responseStatus: attempt.responseStatus,
      error: attempt.error,
      durationMs: attempt.durationMs,
      sinceAcceptedMs: clock.now().getTime() - Date.parse(message.timestamp),
    });
    return result;
  }

  /**
   * Waits for the endpoint's next send slot (or the one the task already holds): in place
   * when it is near, else by sending the task back to the queue until shortly before it.
   * Answers whether the attempt may go ahead now.
   */
  private async awaitSlot(task: DeliveryTask, perSecond: number): Promise<boolean> {
    const now = this.deps.clock.now();
    const slot =
      task.notBefore === undefined
        ? await this.deps.rateLimiter.reserve(task.endpointId, perSecond, now)
        : new Date(task.notBefore);
    const waitMs = slot.getTime() - now.getTime();
    if (waitMs <= 0) return true;
    const inPlaceMs = task.notBefore === undefined ? MAX_WAIT_IN_PLACE_MS : RETURNED_WAIT_IN_PLACE_MS;
    if (waitMs <= inPlaceMs) {
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      return true;
    }
    const later: DeliveryTask = { ...task, notBefore: slot.toISOString() };
    // Whole seconds, rounded down (SQS would round up): the task comes back one to two
    // seconds before its slot. One 1-2 s off goes with no delay, and waits when it is back.
    const delaySeconds = Math.floor((waitMs - MAX_WAIT_IN_PLACE_MS) / 1000);
    await this.deps.queue.send([later], { delayMs: Math.min(delaySeconds * 1000, MAX_QUEUE_DELAY_MS) });
    return false;
  }

  /** Signs and POSTs the message to the endpoint: the attempt, and what the receiver said. */
  private async send(task: DeliveryTask, message: Message, endpoint: Endpoint) {
    const { settings, clock } = this.deps;
    const startedAt = clock.now();
    const webhook = buildWebhook({
      message,
      endpoint,
      attemptTime: startedAt,
      userAgent: settings.userAgent,
    });
    const timeoutMs = task.test
      ? Math.min(settings.attemptTimeoutMs, TEST_ATTEMPT_TIMEOUT_MS)
      : settings.attemptTimeoutMs;
    const outcome = await this.deps.sender.send(webhook, { timeoutMs });
    return { attempt: attemptFrom(task, startedAt, outcome, newId('attempt', startedAt)), outcome };
  }

  private async attempt(task: DeliveryTask, delivery: Delivery, message: Message, endpoint: Endpoint) {
    const { deliveries } = this.deps;
    const { attempt, outcome } = await this.send(task, message, endpoint);
    await deliveries.saveAttempt(attempt);

    const { record, result } = await this.settle(task, delivery, endpoint, attempt, outcome);
    const recorded = await deliveries.recordAttempt(
      task.msgId,
      task.endpointId,
      task.attemptNumber - 1,
      record,
    );
    if (!recorded) {
      this.deps.logger.warn('another worker recorded this attempt first', taskIds(task));
      return 'duplicate';
    }
    this.deps.metrics.attemptMade({
      ...taskIds(task),
      outcome: attempt.outcome,
      result,
      responseStatus: attempt.responseStatus,
      error: attempt.error,
      durationMs: attempt.durationMs,
      sinceAcceptedMs: this.deps.clock.now().getTime() - Date.parse(message.timestamp),
    });
    return result;
  }

  /**
   * What follows an attempt (README, "Retries and operational webhooks"): a 2xx ends the delivery and the endpoint's run of
   * failures. A 410 Gone disables the endpoint at once, with no further retries. Any other
   * failure starts or extends the endpoint's run of failures, and one that has lasted the
   * setting's days disables the endpoint too; otherwise the next rung follows (waiting as
   * long as a 429 or 503 asked, within the rung and twice it), or the delivery is given up.
   */
  private async settle(
    task: DeliveryTask,
    delivery: Delivery,
    endpoint: Endpoint,
    attempt: Attempt,
    outcome: SendOutcome,
  ): Promise<{ record: AttemptRecord; result: AttemptResult }> {
    const { endpoints, notifier, settings } = this.deps;
    const settled = (status: AttemptRecord['status'], nextAttemptAt: string | null = null) => ({
      status,
      attemptCount: task.attemptNumber,
      nextAttemptAt,
      lastAttempt: attempt,
    });
    if (attempt.outcome === 'succeeded') {
      if (endpoint.failingSince !== null) await endpoints.clearFailing(endpoint.appId, endpoint.id);
      return { record: settled('succeeded'), result: 'succeeded' };
    }
    const disabling =
      attempt.responseStatus === 410
        ? { endpoint: await this.stillThere(endpoint), reason: 'gone' as const }
        : { endpoint: await this.failingTooLong(endpoint, attempt), reason: 'failing' as const };
    if (disabling.endpoint !== undefined) {
      await this.disableEndpoint(disabling.endpoint, delivery, attempt, disabling.reason);
      return { record: settled('failed'), result: 'endpoint_disabled' };
    }
    const retryAfterMs =
      outcome.kind === 'response'
        ? requestedRetryDelayMs(outcome.status, outcome.retryAfter, this.deps.clock.now())
        : undefined;
    const plan = planRetry(settings.retry, task.attemptNumber, this.deps.random(), retryAfterMs);
    if (plan === undefined) {
      await notifier.attemptExhausted(delivery, attempt);
      return { record: settled('failed'), result: 'exhausted' };
    }
    if (task.attemptNumber === FAILING_NOTICE_AFTER_ATTEMPTS)
      await notifier.attemptFailing(delivery, attempt);
    return { record: settled('pending', await this.scheduleRetry(task, plan)), result: 'retry_scheduled' };
  }

  /**
   * The endpoint a task goes to: the copy read, when it may be sent to; otherwise the
   * endpoint as it is now (unless that copy was read fresh), for a delivery is never given
   * up on a copy kept a while.
   */
  private async sendableOrNow(
    task: DeliveryTask,
    read: Endpoint | undefined,
    readFresh: boolean,
  ): Promise<Endpoint | undefined> {
    if (isSendable(read) || readFresh) return read;
    return this.deps.endpoints.get(task.appId, task.endpointId, { fresh: true });
  }

  /**
   * The endpoint as it is now, when this failure extends a run of failures that has lasted
   * the setting's time; undefined otherwise. Disabling is decided on the run as it stands
   * now, not on a kept copy: a success elsewhere may have ended it.
   */
  private async failingTooLong(endpoint: Endpoint, attempt: Attempt): Promise<Endpoint | undefined> {
    const tooLong = (since: string) =>
      Date.parse(attempt.timestamp) - Date.parse(since) >= this.deps.settings.autoDisableAfterMs;
    const since =
      endpoint.failingSince ??
      (await this.deps.endpoints.markFailing(endpoint.appId, endpoint.id, attempt.timestamp)) ??
      attempt.timestamp;
    if (!tooLong(since)) return undefined;
    const current = await this.deps.endpoints.get(endpoint.appId, endpoint.id, { fresh: true });
    return typeof current?.failingSince === 'string' && tooLong(current.failingSince) ? current : undefined;
  }

  /**
   * The endpoint as it is now, when it still sends to the URL that answered 410 Gone;
   * undefined when it was changed since (a new URL, or disabled or deleted already): a
   * copy kept a few seconds must not disable an endpoint whose new URL never answered.
   */
  private async stillThere(posted: Endpoint): Promise<Endpoint | undefined> {
    const current = await this.deps.endpoints.get(posted.appId, posted.id, { fresh: true });
    return current !== undefined && !current.disabled && current.url === posted.url ? current : undefined;
  }

  /**
   * Sends `endpoint.disabled`, then disables the endpoint: a crash in between sends the
   * notice again (stored once: its eventId names the endpoint's version), never loses it.
   * Deliveries still queued for the endpoint end without a POST when they come up.
   */
  private async disableEndpoint(
    endpoint: Endpoint,
    delivery: Delivery,
    attempt: Attempt,
    reason: 'gone' | 'failing',
  ): Promise<void> {
    await this.deps.notifier.endpointDisabled(endpoint, delivery, attempt, reason);
    await this.deps.endpoints.disable(endpoint.appId, endpoint.id, this.deps.clock.now().toISOString());
  }

  private async scheduleRetry(task: DeliveryTask, plan: RetryPlan): Promise<string> {
    // The slot a rate limit reserved was for this attempt: the retry reserves its own. A
    // retry reads the message back rather than carry it (a schedule's input is kept small).
    const { notBefore: _reservedSlot, message: _carried, ...sameDelivery } = task;
    const next: DeliveryTask = { ...sameDelivery, attemptNumber: plan.attemptNumber, trigger: 'retry' };
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

/** The delivery a test send would have, for the notice of an endpoint it found gone. */
function aDeliveryOf(message: Message, endpointId: string): Delivery {
  return {
    msgId: message.id,
    appId: message.appId,
    endpointId,
    eventType: message.eventType,
    status: 'failed',
    attemptCount: 1,
    nextAttemptAt: null,
    lastAttempt: null,
    pulledAt: null,
    createdAt: message.timestamp,
  };
}

/** The delivery function's service, over the adapters it uses; it makes its own notifier. */
export function createDeliveryService(
  adapters: Omit<DeliveryDeps, 'notifier' | 'settings'>,
  settings: DeliverySettings,
): DeliveryService {
  return new DeliveryService({
    ...adapters,
    notifier: new OperationalNotifier({ messages: adapters.messages, clock: adapters.clock }),
    settings,
  });
}
