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
  /** Throws ConflictError when the new `uid` is taken; NotFoundError when the app is gone. */
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
  put(eventType: EventType): Promise<void>;
}

export interface EndpointStore {
  create(endpoint: Endpoint): Promise<void>;
  get(appId: string, endpointId: string): Promise<Endpoint | undefined>;
  list(appId: string, page: PageRequest): Promise<Page<Endpoint>>;
  /** Every endpoint of the app, for fan-out. */
  listAll(appId: string): Promise<readonly Endpoint[]>;
  /** Throws NotFoundError when the endpoint is gone. */
  update(endpoint: Endpoint): Promise<void>;
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
  /** Newest first. */
  list(appId: string, filter: MessageListFilter): Promise<Page<Message>>;
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
  /** The endpoint's failed deliveries of messages accepted since `since`, for a recovery. */
  listFailedForEndpoint(endpointId: string, since: Date): Promise<readonly Delivery[]>;
  /** The attempt a request made, once it is made. */
  getRequestedAttempt(msgId: string, endpointId: string, requestId: string): Promise<Attempt | undefined>;
  /** Ends a delivery as succeeded after a requested attempt succeeded; the ladder's tasks then drop. */
  markSucceeded(msgId: string, endpointId: string, attempt: Attempt): Promise<void>;
  /** How the endpoint's deliveries of messages accepted in [since, until) stand. */
  countEndpointDeliveries(endpointId: string, since: Date, until: Date): Promise<DeliveryCounts>;
}

export type DeliveryCounts = { readonly [Status in DeliveryStatus]: number };

export interface SendOptions {
  /** Delay before the tasks become visible; adapters round up to what they support. */
  readonly delayMs?: number;
}

/** The delivery queue (SQS on AWS): up to 15 minutes of delay. */
export interface DeliveryQueue {
  send(tasks: readonly DeliveryTask[], options?: SendOptions): Promise<void>;
}

/**
 * Spaces the sends to an endpoint with a `rateLimit` (SPEC §4): each send reserves the
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
 * Format), log lines in local mode. Reports carry ids and outcomes, never payloads.
 */
export interface PipelineMetrics {
  fannedOut(report: { readonly appId: string; readonly msgId: string; readonly deliveries: number }): void;
  attemptMade(report: AttemptReport): void;
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
