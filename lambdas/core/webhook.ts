import { API_FUNCTION_TIMEOUT_SECONDS } from '../contract/settings';
import { timeOfId } from './ids';
import type { Endpoint, EndpointSecrets, Message } from './model';
import { signatureHeader } from './signing';

/** How long a rotated-out secret keeps signing, so receivers can switch without a gap. */
export const SECRET_ROTATION_OVERLAP_MS = 24 * 60 * 60 * 1000;

/** Response bodies are kept up to this many bytes with the attempt. */
export const RESPONSE_BODY_LIMIT_BYTES = 4096;

export interface OutgoingWebhook {
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/**
 * Secrets rotated out that keep signing, at most: a rotation beyond them ends the oldest's
 * overlap early, so that a burst of rotations cannot grow every request's signature header.
 */
export const MAX_RETIRED_SECRETS = 5;

/** The secrets that sign right now: the current one, and those rotated out within their overlap. */
export function activeSecrets(secrets: EndpointSecrets, now: Date): string[] {
  return [
    secrets.current,
    ...secrets.retired
      .filter((retired) => Date.parse(retired.until) > now.getTime())
      .map(({ secret }) => secret),
  ];
}

/** The secrets once `next` replaces the current one: each secret rotated out signs a day more. */
export function rotateSecrets(secrets: EndpointSecrets, next: string, now: Date): EndpointSecrets {
  const until = new Date(now.getTime() + SECRET_ROTATION_OVERLAP_MS).toISOString();
  const stillSigning = secrets.retired.filter((retired) => Date.parse(retired.until) > now.getTime());
  return {
    current: next,
    retired: [...stillSigning, { secret: secrets.current, until }].slice(-MAX_RETIRED_SECRETS),
  };
}

/** No secret rotated out yet. */
export function freshSecrets(current: string): EndpointSecrets {
  return { current, retired: [] };
}

/** The body every receiver gets (README, "Verifying a webhook"). */
export function webhookBody(message: Pick<Message, 'eventType' | 'timestamp' | 'payload'>): string {
  return JSON.stringify({ type: message.eventType, timestamp: message.timestamp, data: message.payload });
}

/**
 * The signed request for one attempt. Custom headers go first so that the headers
 * Hookpost owns always win (the schema already refuses reserved names; this is the
 * second line of defence for data stored before a rule existed).
 */
export function buildWebhook(args: {
  readonly message: Message;
  readonly endpoint: Pick<Endpoint, 'url' | 'headers' | 'secrets'>;
  readonly attemptTime: Date;
  readonly userAgent: string;
}): OutgoingWebhook {
  const { message, endpoint, attemptTime } = args;
  if (endpoint.url === null) throw new Error(`Endpoint of message ${message.id} has no URL to push to.`);
  const body = webhookBody(message);
  const timestampSeconds = Math.floor(attemptTime.getTime() / 1000);
  const signature = signatureHeader(activeSecrets(endpoint.secrets, attemptTime), {
    msgId: message.id,
    timestampSeconds,
    body,
  });
  const own: Record<string, string> = {
    'content-type': 'application/json',
    'user-agent': args.userAgent,
    'webhook-id': message.id,
    'webhook-timestamp': String(timestampSeconds),
    'webhook-signature': signature,
  };
  const custom = Object.fromEntries(
    Object.entries(endpoint.headers).filter(([name]) => !(name.toLowerCase() in own)),
  );
  return { url: endpoint.url, headers: { ...custom, ...own }, body };
}

/**
 * The first `RESPONSE_BODY_LIMIT_BYTES` bytes of a response, as text: cut before a
 * character that the limit would split, so that its first bytes do not become U+FFFD.
 */
export function truncateResponseBody(body: Buffer): string {
  let end = Math.min(body.length, RESPONSE_BODY_LIMIT_BYTES);
  const isContinuationByte = (byte: number | undefined) => byte !== undefined && (byte & 0xc0) === 0x80;
  if (end < body.length) while (end > 0 && isContinuationByte(body[end])) end -= 1;
  return body.subarray(0, end).toString('utf8');
}

/** The event type of a test send (POST …/endpoints/{endpointId}/test). */
export const TEST_EVENT_TYPE = 'webhook.test';

/** How long the API waits for a test send's attempt: a few seconds inside the API function's own time. */
export const TEST_WAIT_MS = (API_FUNCTION_TIMEOUT_SECONDS - 4) * 1000;
/**
 * A test send's attempt gives up after this (or the deployment's attempt timeout, if
 * shorter), so that it is recorded while the API still waits: the rest of the wait is for
 * the request to reach the delivery function through the stream and the queue.
 */
export const TEST_ATTEMPT_TIMEOUT_MS = 15_000;

/**
 * The message a test send delivers: made up for the attempt and never stored. Its id is
 * the request's, so the receiver sees the same `webhook-id` if the send is made twice.
 */
export function testMessage(task: {
  readonly appId: string;
  readonly msgId: string;
  readonly endpointId: string;
}) {
  return {
    id: task.msgId,
    appId: task.appId,
    eventType: TEST_EVENT_TYPE,
    eventId: null,
    payload: { test: true, endpointId: task.endpointId },
    channels: null,
    timestamp: timeOfId(task.msgId).toISOString(),
  } satisfies Message;
}
