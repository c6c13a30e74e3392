/**
 * The resources of the API as the services see them. Stores persist exactly these shapes;
 * the HTTP layer renders them (and never renders secrets outside their own route).
 */

export type StringMap = Readonly<Record<string, string>>;
export type JsonObject = { readonly [key: string]: unknown };

export interface App {
  readonly id: string;
  readonly name: string;
  readonly uid: string | null;
  readonly metadata: StringMap;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export interface EventType {
  readonly name: string;
  readonly description: string;
  readonly schema: JsonObject | null;
  readonly archived: boolean;
  readonly createdAt: string;
  readonly updatedAt: string;
}

export type EndpointKind = 'push' | 'poll';

export interface EndpointSecrets {
  readonly current: string;
  /**
   * Secrets rotated out, oldest first, each signing until its `until` (a day after it was
   * replaced: lambdas/core/webhook.ts), so that a receiver can switch without a gap.
   */
  readonly retired: readonly { readonly secret: string; readonly until: string }[];
}

/**
 * A change of what an endpoint takes (fan-out matches a message against the endpoint as it
 * was when the message was accepted, lambdas/core/matching.ts): when it was made, and the
 * values of the fields it changed from before it.
 */
export interface SubscriptionChange {
  readonly at: string;
  readonly previous: Partial<Pick<Endpoint, SubscriptionField>>;
}

/** The fields of an endpoint that say which messages it takes. */
export const SUBSCRIPTION_FIELDS = ['disabled', 'eventTypes', 'channels'] as const;
export type SubscriptionField = (typeof SUBSCRIPTION_FIELDS)[number];

export interface Endpoint {
  readonly id: string;
  readonly appId: string;
  readonly kind: EndpointKind;
  readonly url: string | null;
  readonly description: string;
  readonly eventTypes: readonly string[] | null;
  /** `null`: every message; otherwise the messages that name at least one of these. */
  readonly channels: readonly string[] | null;
  readonly headers: StringMap;
  readonly disabled: boolean;
  /**
   * When the endpoint's current run of failures began (its first failed attempt since its
   * last success), or null: an endpoint failing for the setting's days is disabled. Not shown
   * by the API.
   */
  readonly failingSince: string | null;
  /**
   * Recent changes of `disabled`, `eventTypes` and `channels`, in the order they were
   * appended (lambdas/core/matching.ts says how long they are kept). Not shown by the API.
   */
  readonly subscriptionChanges: readonly SubscriptionChange[];
  readonly rateLimit: number | null;
  readonly metadata: StringMap;
  readonly secrets: EndpointSecrets;
  readonly createdAt: string;
  readonly updatedAt: string;
}

/** An application key, as stored: its hash only (the key itself is shown once, at creation). */
export interface ApiKey {
  readonly id: string;
  readonly appId: string;
  /** SHA-256 of the key, base64. */
  readonly keyHash: string;
  readonly createdAt: string;
}

export interface Message {
  readonly id: string;
  readonly appId: string;
  readonly eventType: string;
  readonly eventId: string | null;
  readonly payload: JsonObject;
  readonly channels: readonly string[] | null;
  readonly timestamp: string;
}

export type DeliveryStatus = 'pending' | 'succeeded' | 'failed';
export type AttemptTrigger = 'initial' | 'retry' | 'manual' | 'recover';
export type AttemptOutcome = 'succeeded' | 'failed';

/** What a recorded attempt led to: done, another rung, or the delivery given up. */
export type AttemptResult =
  | 'succeeded'
  | 'retry_scheduled'
  | 'exhausted'
  | 'endpoint_disabled'
  /** A requested attempt (resend, recovery, test send) failed: nothing follows it. */
  | 'request_failed';

/** Why an attempt failed without (or besides) an HTTP status. */
export type AttemptError =
  | 'timeout'
  | 'connection_refused'
  | 'connection_reset'
  | 'dns'
  | 'tls'
  | 'blocked_address'
  | 'redirect'
  | 'http_status'
  | 'network'
  | 'endpoint_gone'
  | 'endpoint_disabled';

export interface Attempt {
  readonly id: string;
  readonly msgId: string;
  readonly appId: string;
  readonly endpointId: string;
  readonly attemptNumber: number;
  readonly trigger: AttemptTrigger;
  readonly timestamp: string;
  readonly durationMs: number;
  readonly outcome: AttemptOutcome;
  readonly responseStatus: number | null;
  readonly responseBody: string | null;
  readonly error: AttemptError | null;
}

/** The state of one message towards one endpoint. */
export interface Delivery {
  readonly msgId: string;
  readonly appId: string;
  readonly endpointId: string;
  readonly eventType: string;
  readonly status: DeliveryStatus;
  readonly attemptCount: number;
  readonly nextAttemptAt: string | null;
  readonly lastAttempt: Attempt | null;
  readonly createdAt: string;
  /** A poll endpoint's delivery: when its notification was pulled (deleted by the consumer), or null. */
  readonly pulledAt: string | null;
}

/** A pull notification (README, "Pull delivery"): a message a poll endpoint's consumer receives, and the receipt that confirms it. */
export interface PullNotification {
  readonly receiptId: string;
  readonly message: Message;
}

/** What travels on the delivery queue: one attempt to make. */
export interface DeliveryTask {
  readonly appId: string;
  readonly msgId: string;
  readonly endpointId: string;
  readonly attemptNumber: number;
  readonly trigger: AttemptTrigger;
  /**
   * The send time the endpoint's rate limit reserved for this attempt, when it was further
   * off than the delivery function waits in place: the task came back on the queue for it.
   */
  readonly notBefore?: string;
  /**
   * Set on an attempt made on request (a resend, a recovery, a test send), outside the
   * ladder: the request's id. Such a task's `attemptNumber` is 0: the attempt is numbered
   * when it is made, after every attempt of its delivery so far, requested ones included
   * (DeliveryStore.takeRequestedAttemptNumber). Nothing is retried after it.
   */
  readonly requestId?: string;
  /** A test send: the message is a `webhook.test` made up for the attempt, never stored. */
  readonly test?: boolean;
  /**
   * The message itself, on a first attempt whose message is small (TASK_MESSAGE_MAX_BYTES):
   * fan-out has it from the stream record, and the delivery function need not read it back.
   * Messages never change once stored, so the copy cannot be stale. Retries go without it.
   */
  readonly message?: Message;
}

/**
 * A request for attempts outside the ladder (README, "Test sends, resends and recovery"): the API writes it beside the
 * messages, and fan-out turns it into delivery tasks, so that every POST still leaves from
 * the delivery function and its fixed egress IPs.
 */
export type AttemptRequest = {
  readonly id: string;
  readonly appId: string;
  readonly endpointId: string;
  readonly requestedAt: string;
} & (
  | { readonly kind: 'resend'; readonly msgId: string }
  | {
      readonly kind: 'recover';
      readonly since: string;
      /** Where a recovery too large for one go goes on: after this message's delivery. */
      readonly after?: string;
    }
  /** `id` is also the made-up test message's id. */
  | { readonly kind: 'test' }
);
