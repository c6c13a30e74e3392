/**
 * The retry ladder as data. Attempt 1 is the initial delivery; after attempt n fails,
 * attempt n+1 is due after `ladderSeconds[n-1]`. A ladder of 6 rungs means 7 attempts.
 */

export const DEFAULT_RETRY_LADDER_SECONDS: readonly number[] = [5, 300, 1_800, 7_200, 18_000, 36_000];

export interface RetryPolicy {
  readonly ladderSeconds: readonly number[];
  /** Each delay is spread by ± this fraction, so that endpoints recovering together are not hit at once. */
  readonly jitterRatio: number;
  /** Multiplies every delay; 1 in production, small in local mode to run the ladder quickly. */
  readonly timeScale: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  ladderSeconds: DEFAULT_RETRY_LADDER_SECONDS,
  jitterRatio: 0.1,
  timeScale: 1,
};

export function maxAttempts(policy: RetryPolicy): number {
  return policy.ladderSeconds.length + 1;
}

export interface RetryPlan {
  /** The attempt number the retry will make. */
  readonly attemptNumber: number;
  /** The rung as configured, before scaling and jitter: decides which transport carries the retry. */
  readonly nominalDelayMs: number;
  /** How long to wait, scaled and jittered. */
  readonly delayMs: number;
}

/**
 * What follows a failed attempt: the next rung, or `undefined` when the ladder is exhausted.
 * `random` is a number in [0, 1) supplied by the caller, which keeps this function pure.
 */
export function planRetry(
  policy: RetryPolicy,
  failedAttemptNumber: number,
  random: number,
): RetryPlan | undefined {
  const rungSeconds = policy.ladderSeconds[failedAttemptNumber - 1];
  if (rungSeconds === undefined) return undefined;
  const nominalDelayMs = rungSeconds * 1000;
  const jitter = 1 + policy.jitterRatio * (2 * random - 1);
  return {
    attemptNumber: failedAttemptNumber + 1,
    nominalDelayMs,
    delayMs: Math.round(nominalDelayMs * policy.timeScale * jitter),
  };
}

/** SQS delays stop at 15 minutes; EventBridge Scheduler fires anywhere within a minute. */
export const MAX_QUEUE_DELAY_MS = 15 * 60 * 1000;

/** Short rungs ride on queue delays; long ones on one-time schedules. */
export function retryTransport(plan: RetryPlan): 'queue' | 'scheduler' {
  return plan.nominalDelayMs <= MAX_QUEUE_DELAY_MS ? 'queue' : 'scheduler';
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
