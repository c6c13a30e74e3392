import type {
  ApiKey,
  App,
  Attempt,
  AttemptError,
  AttemptRequest,
  AttemptResult,
  Delivery,
  DeliveryStatus,
  DeliveryTask,
  Endpoint,
  EventType,
  Message,
} from './core/model';
import type { OutgoingWebhook } from './core/webhook';

/**
 * The interfaces the use cases need. Services depend on these only; adapters implement
 * them (DynamoDB, SQS, Scheduler on AWS; the same DynamoDB store plus durable local queue
 * and scheduler in local mode). Each port has one contract suite in test/integration that
 * every adapter of it passes.
 */

export interface Page<T> {
  readonly data: readonly T[];
  readonly nextCursor: string | null;
}

export interface PageRequest {
  readonly limit: number;
  readonly cursor?: string | undefined;
}

export interface AppStore {
  /** Throws ConflictError when another app already has the same `uid`. */
  create(app: App): Promise<void>;
  get(appId: string): Promise<App | undefined>;
  list(page: PageRequest): Promise<Page<App>>;
  /**
   * Writes `next` over `previous`, the app as read. Throws ConflictError when the new `uid`
   * is taken, NotFoundError when the app is gone, and ChangedMeanwhileError when it is no
   * longer as read (another write came between).
   */
  update(previous: App, next: App): Promise<void>;
  delete(app: App): Promise<void>;
}

export interface ApiKeyStore {
  create(key: ApiKey): Promise<void>;
  get(keyId: string): Promise<ApiKey | undefined>;
  /** The app's keys, oldest first. */
  list(appId: string, page: PageRequest): Promise<Page<ApiKey>>;
  /** Deletes the key when it is one of the app's; answers whether it was. */
  delete(appId: string, keyId: string): Promise<boolean>;
}

export interface EventTypeStore {
  /** Throws ConflictError when the name exists (archived or not). */
  create(eventType: EventType): Promise<void>;
  get(name: string): Promise<EventType | undefined>;
  list(page: PageRequest): Promise<Page<EventType>>;
  /** Writes `next` over `previous`, as AppStore.update does (NotFoundError, ChangedMeanwhileError). */
  update(previous: EventType, next: EventType): Promise<void>;
}

export interface EndpointStore {
  create(endpoint: Endpoint): Promise<void>;
  /**
   * The endpoint as stored. A store may answer from a copy kept a short while
   * (lambdas/adapters/aws/cache/fresh-endpoint-store.ts); `fresh` asks for the endpoint as
   * it is now, for a decision that cannot be taken back (a delivery given up, an endpoint
   * disabled, an attempt someone asked for).
   */
  get(
    appId: string,
    endpointId: string,
    options?: { readonly fresh?: boolean },
  ): Promise<Endpoint | undefined>;
  list(appId: string, page: PageRequest): Promise<Page<Endpoint>>;
  /** Every endpoint of the app, for fan-out. */
  listAll(appId: string): Promise<readonly Endpoint[]>;
  /** Writes `next` over `previous`, as AppStore.update does (NotFoundError, ChangedMeanwhileError). */
  update(previous: Endpoint, next: Endpoint): Promise<void>;
  /** Starts the endpoint's run of failures at `since`, unless one is running; answers when the run began. */
  markFailing(appId: string, endpointId: string, since: string): Promise<string | undefined>;
  /** Ends the endpoint's run of failures (a success). */
  clearFailing(appId: string, endpointId: string): Promise<void>;
  /** Disables the endpoint; answers false when it was disabled already or is gone. */
  disable(appId: string, endpointId: string, at: string): Promise<boolean>;
  delete(appId: string, endpointId: string): Promise<boolean>;
}

export interface MessageListFilter extends PageRequest {
  readonly eventType?: string | undefined;
  readonly after?: Date | undefined;
  readonly before?: Date | undefined;
}

export interface MessageStore {
  /**
   * Stores a new message. With an `eventId`, the first message stored under that id for
   * the app wins: the answer is that message and `created: false` for every later call.
   */
  accept(message: Message): Promise<{ readonly message: Message; readonly created: boolean }>;
  get(appId: string, msgId: string): Promise<Message | undefined>;
  /** The message stored under the app's `eventId`, if one is. */
  getByEventId(appId: string, eventId: string): Promise<Message | undefined>;
  /** Newest first. */
  list(appId: string, filter: MessageListFilter): Promise<Page<Message>>;
  /**
   * The app's messages with ids after `after` (excluded) up to `through` (included),
   * oldest first, at most `limit`, read consistently: a poll endpoint's reader walks the
   * log with it. `more`: the range may hold more after the last one (a page can also end
   * at DynamoDB's 1 MB before `limit`).
   */
  listForward(
    appId: string,
    range: { readonly after: string; readonly through: string; readonly limit: number },
  ): Promise<{ readonly messages: readonly Message[]; readonly more: boolean }>;
  /** Stores a request for attempts outside the ladder, for fan-out to act on. */
  requestAttempts(request: AttemptRequest): Promise<void>;
}

export interface AttemptRecord {
  readonly status: DeliveryStatus;
  readonly attemptCount: number;
  readonly nextAttemptAt: string | null;
  readonly lastAttempt: Attempt;
}

export interface DeliveryStore {
  /** Creates the delivery unless it exists; answers whether it was created. */
  createIfAbsent(delivery: Delivery): Promise<boolean>;
  get(msgId: string, endpointId: string): Promise<Delivery | undefined>;
  listForMessage(msgId: string): Promise<readonly Delivery[]>;
  /** Saves an attempt; saving the same attempt number again replaces the earlier record. */
  /** Keeps the attempt: a ladder attempt by its number, a requested one by its request's id. */
  saveAttempt(attempt: Attempt, requestId?: string): Promise<void>;
  /**
   * Moves the delivery to its state after an attempt, only if it still has
   * `expectedAttemptCount` attempts (optimistic concurrency between duplicate tasks).
   * Answers whether this call made the change.
   */
  recordAttempt(
    msgId: string,
    endpointId: string,
    expectedAttemptCount: number,
    record: AttemptRecord,
  ): Promise<boolean>;
  /** Ends a pending delivery without an attempt (its endpoint was deleted or disabled). */
  abandon(msgId: string, endpointId: string, reason: AttemptError): Promise<void>;
  listAttempts(msgId: string, page: PageRequest): Promise<Page<Attempt>>;
  /** The endpoint's attempts, newest first, of one outcome if given. */
  listEndpointAttempts(
    endpointId: string,
    filter: PageRequest & { readonly outcome?: Attempt['outcome'] | undefined },
  ): Promise<Page<Attempt>>;
  /**
   * The endpoint's failed deliveries of messages accepted since `since`, for a recovery, in
   * message order, a page at a time: up to `limit` of them after the message `after`, and
   * `last`, the message to go on after, when there may be more.
   */
  listFailedForEndpoint(
    endpointId: string,
    since: Date,
    page: { readonly after?: string | undefined; readonly limit: number },
  ): Promise<{ readonly deliveries: readonly Delivery[]; readonly last?: string }>;
  /**
   * A number for an attempt made on request, after every attempt of the delivery so far
   * (requested ones included), and never the same for two requests, however many come at once.
   */
  takeRequestedAttemptNumber(msgId: string, endpointId: string): Promise<number>;
  /** The attempt a request made, once it is made. */
  getRequestedAttempt(msgId: string, endpointId: string, requestId: string): Promise<Attempt | undefined>;
  /** Ends a delivery as succeeded after a requested attempt succeeded; the ladder's tasks then drop. */
  markSucceeded(msgId: string, endpointId: string, attempt: Attempt): Promise<void>;
  /**
   * How the endpoint's deliveries of messages accepted in [since, until) stand, or
   * `too_many` when there are more than `atMost` of them to count.
   */
  countEndpointDeliveries(
    endpointId: string,
    since: Date,
    until: Date,
    atMost: number,
  ): Promise<DeliveryCounts | 'too_many'>;
  /**
   * Marks a poll endpoint's delivery pulled, creating it (succeeded) when fan-out has not
   * yet: the consumer may pull a message from the log before fan-out has seen it.
   */
  markPulled(delivery: Delivery, at: string): Promise<void>;
}

export type DeliveryCounts = { readonly [Status in DeliveryStatus]: number } & {
  /** Of the succeeded deliveries (a poll endpoint's), those pulled by the consumer. */
  readonly pulled: number;
};

/** The notification a poll endpoint serves until it is deleted. */
export interface PullHead {
  readonly msgId: string;
  readonly eventType: string;
  readonly receiptId: string;
  /** It came from the late list, not from the log. */
  readonly late: boolean;
}

/** The matches a read of the log found after the head it chose, and the endpoint's `updatedAt` then. */
export interface PullAhead {
  readonly msgIds: readonly string[];
  readonly of: string;
}

/**
 * Where a poll endpoint's reader stands in its app's message log (README, "Pull delivery";
 * the protocol is in lambdas/services/pull.ts). One small item per poll endpoint.
 */
export interface PullState {
  /** The log is consumed up to this message id, included: pulled, or passed over as not matching. */
  readonly cursor: string | null;
  /** The notification served until it is deleted. */
  readonly head: PullHead | null;
  /** Messages that reached the log after the cursor had passed their id: served before the log goes on. */
  readonly late: readonly string[];
  /**
   * The messages the endpoint takes right after the head, as the read that chose the head
   * found them, in order: served next without reading the log again. A copy of the log,
   * never the only place a message is known, so dropping it loses nothing.
   */
  readonly ahead: readonly string[];
  /** The endpoint's `updatedAt` when `ahead` was read: a later change of its filters voids it. */
  readonly aheadOf: string | null;
  /** The receipt deleted last: deleting it again is answered as done. */
  readonly lastReceiptId: string | null;
  /**
   * The newest message fan-out has enqueued for the endpoint: a hint that the log holds
   * something past the cursor, so that a waiting reader need not read the log to learn
   * that it does not.
   */
  readonly tail: string | null;
}

/**
 * The state of each poll endpoint's reader. Every change is conditional on the state it
 * was decided from, so that readers and fan-out working at once never lose a message.
 */
export interface PullStateStore {
  /** Read consistently; a poll endpoint never read yet has an empty state. */
  get(endpointId: string): Promise<PullState>;
  /**
   * Serves `head` until it is deleted, if there is no head and the cursor is still `cursor`;
   * a head from the log comes with the matches the same read found after it (`ahead`).
   */
  setHead(endpointId: string, cursor: string | null, head: PullHead, ahead?: PullAhead): Promise<boolean>;
  /** Serves the first of `ahead` as `head`, if it is still first, there is no head and the cursor is still `cursor`. */
  takeAhead(endpointId: string, cursor: string | null, head: PullHead): Promise<boolean>;
  /** Forgets `ahead` (a message below its last entry turned up, or the endpoint changed). */
  dropAhead(endpointId: string): Promise<void>;
  /** Stops serving the head with this receipt, and forgets `ahead` (a message that comes first turned up). */
  dropHead(endpointId: string, receiptId: string): Promise<boolean>;
  /**
   * Confirms the head with this receipt: a head from the log moves the cursor onto it, a
   * late one leaves the late list. Answers false when the receipt is not the head's.
   */
  confirm(endpointId: string, head: PullHead): Promise<boolean>;
  /** Moves the cursor over messages that do not match, if there is no head and the cursor is still `cursor`. */
  advance(endpointId: string, cursor: string | null, to: string): Promise<boolean>;
  /** Adds late arrivals; answers false when the cursor has not yet passed all of them. */
  addLate(endpointId: string, msgIds: readonly string[]): Promise<boolean>;
  /** Forgets late arrivals that are out of reach (older than a day). */
  dropLate(endpointId: string, msgIds: readonly string[]): Promise<void>;
  /** Raises the tail to this message id, unless it is there or beyond already. */
  raiseTail(endpointId: string, msgId: string): Promise<void>;
}

export interface SendOptions {
  /** Delay before the tasks become visible; adapters round up to what they support. */
  readonly delayMs?: number;
}

/** The delivery queue (SQS on AWS): up to 15 minutes of delay. */
export interface DeliveryQueue {
  send(tasks: readonly DeliveryTask[], options?: SendOptions): Promise<void>;
}

/**
 * Spaces the sends to an endpoint with a `rateLimit` (README, "Rate limits"): each send reserves the
 * endpoint's next slot, slots 1/rate seconds apart, so that the receiver gets at most
 * `rateLimit` per second whatever the number of workers. Shared by every worker (a DynamoDB
 * item per endpoint).
 */
export interface RateLimiter {
  /** Reserves the endpoint's next send slot at `perSecond` and answers its time: `now`, or later. */
  reserve(endpointId: string, perSecond: number, now: Date): Promise<Date>;
}

/** Puts a task on the delivery queue at a later time (EventBridge Scheduler on AWS). */
export interface RetryScheduler {
  /** Idempotent per task: scheduling the same task attempt twice creates one schedule. */
  schedule(task: DeliveryTask, at: Date): Promise<void>;
}

export type SendOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: string;
      /** The `Retry-After` header as the receiver sent it, if it did. */
      readonly retryAfter?: string;
      readonly durationMs: number;
    }
  | {
      readonly kind: 'error';
      readonly error: AttemptError;
      readonly detail: string;
      readonly durationMs: number;
    };

/** POSTs one signed webhook; never throws for a failure of the receiver. */
export interface WebhookSender {
  send(webhook: OutgoingWebhook, options: { readonly timeoutMs: number }): Promise<SendOutcome>;
}

/** One attempt, made and recorded, as the dashboards and alarms count it. */
export interface AttemptReport {
  readonly appId: string;
  readonly msgId: string;
  readonly endpointId: string;
  readonly attemptNumber: number;
  readonly trigger: Attempt['trigger'];
  readonly outcome: Attempt['outcome'];
  readonly result: AttemptResult;
  readonly responseStatus: number | null;
  readonly error: AttemptError | null;
  readonly durationMs: number;
  /** From acceptance of the message to the end of this attempt. */
  readonly sinceAcceptedMs: number;
}

/**
 * What the pipeline reports as it runs: CloudWatch metrics on AWS (Embedded Metric
 * Format, through Powertools Metrics; the names in lambdas/contract/metrics.ts), log lines
 * in local mode. Reports carry ids and outcomes, never payloads.
 */
export interface PipelineMetrics {
  /** A stored message was fanned out (MessagesAccepted): once per message, matched or not. */
  fannedOut(report: { readonly appId: string; readonly msgId: string; readonly deliveries: number }): void;
  /** An attempt was made and recorded (DeliveryAttempts and what followed it). */
  attemptMade(report: AttemptReport): void;
  /** Writes out what was reported since the last flush: the entry points call it after each batch. */
  flush(): void;
}

export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

export interface Logger {
  debug(message: string, context?: Record<string, unknown>): void;
  info(message: string, context?: Record<string, unknown>): void;
  warn(message: string, context?: Record<string, unknown>): void;
  error(message: string, context?: Record<string, unknown>): void;
}
