import { MAX_QUEUE_DELAY_MS } from '../contract/queues';
import { RETRY_JITTER_RATIO, SETTING_DEFAULTS } from '../contract/settings';

/**
 * The retry ladder as data. Attempt 1 is the initial delivery; after attempt n fails,
 * attempt n+1 is due after `ladderSeconds[n-1]`. A ladder of 6 rungs means 7 attempts.
 */

export interface RetryPolicy {
  readonly ladderSeconds: readonly number[];
  /** Each delay is spread by ± this fraction, so that endpoints recovering together are not hit at once. */
  readonly jitterRatio: number;
  /** Multiplies every delay; 1 in production, small in local mode to run the ladder quickly. */
  readonly timeScale: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  ladderSeconds: SETTING_DEFAULTS.retryLadderSeconds,
  jitterRatio: RETRY_JITTER_RATIO,
  timeScale: 1,
};

export function maxAttempts(policy: RetryPolicy): number {
  return policy.ladderSeconds.length + 1;
}

/** Which service carries a retry until it is due: the delivery queue's own delay, or a one-time schedule. */
export type RetryTransport = 'queue' | 'scheduler';

export interface RetryPlan {
  /** The attempt number the retry will make. */
  readonly attemptNumber: number;
  /** How long to wait, jittered and scaled. */
  readonly delayMs: number;
  readonly transport: RetryTransport;
}

/**
 * What follows a failed attempt: the next rung, or `undefined` when the ladder is exhausted.
 * `random` is a number in [0, 1) supplied by the caller, which keeps this function pure.
 * A receiver's `Retry-After` replaces the jittered rung, kept between the rung and twice it:
 * it may slow the ladder down, never speed it up or stall it.
 *
 * The transport is chosen by the delay actually waited, jitter included: a 15-minute rung
 * jittered up to 16.5 minutes does not fit in an SQS delay. With a time scale (local mode)
 * the retry takes the path the full-speed delay would take, and the queue is only chosen
 * when it can also hold the scaled delay.
 */
export function planRetry(
  policy: RetryPolicy,
  failedAttemptNumber: number,
  random: number,
  /** How long the receiver asked to be left alone (`Retry-After` on a 429 or 503), if it did. */
  retryAfterMs?: number,
): RetryPlan | undefined {
  const rungSeconds = policy.ladderSeconds[failedAttemptNumber - 1];
  if (rungSeconds === undefined) return undefined;
  const rungMs = rungSeconds * 1000;
  const fullSpeedDelayMs =
    retryAfterMs === undefined
      ? rungMs * (1 + policy.jitterRatio * (2 * random - 1))
      : Math.min(Math.max(retryAfterMs, rungMs), 2 * rungMs);
  const delayMs = Math.round(fullSpeedDelayMs * policy.timeScale);
  return {
    attemptNumber: failedAttemptNumber + 1,
    delayMs,
    transport: Math.max(fullSpeedDelayMs, delayMs) <= MAX_QUEUE_DELAY_MS ? 'queue' : 'scheduler',
  };
}

/** The statuses whose `Retry-After` Hookpost honours (README, "Retries and operational webhooks"). */
const RETRY_AFTER_STATUSES: ReadonlySet<number> = new Set([429, 503]);

/**
 * How long a receiver asked to wait, from the `Retry-After` of a 429 or 503: whole seconds,
 * or an HTTP date (a date in the past means now). Anything else, or another status, is no
 * request at all. planRetry keeps the wait between the rung and twice the rung.
 */
export function requestedRetryDelayMs(
  status: number,
  retryAfter: string | undefined,
  now: Date,
): number | undefined {
  if (!RETRY_AFTER_STATUSES.has(status) || retryAfter === undefined) return undefined;
  const value = retryAfter.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date) || !/[a-z]/i.test(value)) return undefined;
  return Math.max(0, date - now.getTime());
}

/**
 * The name of the one-time schedule that carries a retry: deterministic, so that creating
 * it twice conflicts instead of scheduling the attempt twice. EventBridge Scheduler
 * allows 64 characters of [0-9A-Za-z-_.]; ids are 30 and 29 characters.
 */
export function retryScheduleName(task: {
  msgId: string;
  endpointId: string;
  attemptNumber: number;
}): string {
  return `${task.msgId}-${task.endpointId}-${task.attemptNumber}`;
}
