import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  maxAttempts,
  planRetry,
  requestedRetryDelayMs,
  retryScheduleName,
} from '../../lambdas/core/retry';

describe('retry ladder', () => {
  it('has 7 attempts by default', () => {
    expect(maxAttempts(DEFAULT_RETRY_POLICY)).toBe(7);
  });

  it.each([
    [1, 5_000],
    [2, 300_000],
    [3, 1_800_000],
    [4, 7_200_000],
    [5, 18_000_000],
    [6, 36_000_000],
  ])('after attempt %i fails the next is due in %i ms (no jitter at random 0.5)', (failed, delayMs) => {
    expect(planRetry(DEFAULT_RETRY_POLICY, failed, 0.5)).toMatchObject({
      attemptNumber: failed + 1,
      delayMs,
    });
  });

  it('gives up after the last rung', () => {
    expect(planRetry(DEFAULT_RETRY_POLICY, 7, 0.5)).toBeUndefined();
  });

  it.each([
    [0, 4_500],
    [0.999_999, 5_500],
  ])('jitters by at most 10%% (random %f → %i ms)', (random, delayMs) => {
    expect(planRetry(DEFAULT_RETRY_POLICY, 1, random)?.delayMs).toBe(delayMs);
  });

  it('scales the delay but keeps the path the full-speed delay takes', () => {
    const plan = planRetry({ ...DEFAULT_RETRY_POLICY, timeScale: 0.001 }, 3, 0.5);
    expect(plan).toEqual({ attemptNumber: 4, delayMs: 1_800, transport: 'scheduler' });
  });

  it('never puts on the queue a scaled delay the queue cannot hold', () => {
    const plan = planRetry({ ...DEFAULT_RETRY_POLICY, ladderSeconds: [600], timeScale: 2 }, 1, 0.5);
    expect(plan).toEqual({ attemptNumber: 2, delayMs: 1_200_000, transport: 'scheduler' });
  });

  // A rung just under SQS's 15 minutes, jittered up, used to be sent to SQS and refused there.
  it.each([810, 850, 899, 900, 901, 950])(
    'never sends a %i s rung to the queue beyond 900 s, whatever the jitter',
    (rung) => {
      for (const random of [0, 0.25, 0.5, 0.75, 0.999_999_999]) {
        const plan = planRetry({ ...DEFAULT_RETRY_POLICY, ladderSeconds: [rung] }, 1, random);
        if (plan === undefined) throw new Error('a one-rung ladder has a retry after attempt 1');
        if (plan.transport === 'queue') expect(Math.ceil(plan.delayMs / 1000)).toBeLessThanOrEqual(900);
        else expect(plan.delayMs).toBeGreaterThan(900_000);
      }
    },
  );

  it('takes the schedule for a 900 s rung jittered up, the queue for one jittered down', () => {
    const policy = { ...DEFAULT_RETRY_POLICY, ladderSeconds: [900] };
    expect(planRetry(policy, 1, 0.999_999_999)?.transport).toBe('scheduler');
    expect(planRetry(policy, 1, 0)?.transport).toBe('queue');
  });

  it.each([
    [1, 'queue'],
    [2, 'queue'],
    [3, 'scheduler'],
    [6, 'scheduler'],
  ] as const)('the retry after attempt %i rides on the %s', (failed, transport) => {
    expect(planRetry(DEFAULT_RETRY_POLICY, failed, 0.5)?.transport).toBe(transport);
  });

  it('names schedules deterministically within the 64 characters Scheduler allows', () => {
    const name = retryScheduleName({
      msgId: 'msg_01KAAAAAAAAAAAAAAAAAAAAAAA',
      endpointId: 'ep_01KAAAAAAAAAAAAAAAAAAAAAAA',
      attemptNumber: 7,
    });
    expect(name).toBe('msg_01KAAAAAAAAAAAAAAAAAAAAAAA-ep_01KAAAAAAAAAAAAAAAAAAAAAAA-7');
    expect(name.length).toBeLessThanOrEqual(64);
    expect(name).toMatch(/^[0-9a-zA-Z_.-]+$/);
  });

  it.each([
    // The 5 min rung after attempt 2: a Retry-After within [5 min, 10 min] is honoured as given.
    [2, 400_000, 400_000, 'queue'],
    [2, 1_000, 300_000, 'queue'],
    [2, 3_600_000, 600_000, 'queue'],
    // The 30 min rung after attempt 3: 45 minutes do not fit in an SQS delay.
    [3, 2_700_000, 2_700_000, 'scheduler'],
  ] as const)(
    'after attempt %i, a receiver asking for %i ms gets %i ms on the %s',
    (failed, asked, delay, transport) => {
      expect(planRetry(DEFAULT_RETRY_POLICY, failed, 0.5, asked)).toEqual({
        attemptNumber: failed + 1,
        delayMs: delay,
        transport,
      });
    },
  );

  it('honours no Retry-After once the ladder is exhausted', () => {
    expect(planRetry(DEFAULT_RETRY_POLICY, 7, 0.5, 1_000)).toBeUndefined();
  });

  const now = new Date('2026-11-23T10:00:00.000Z');
  it.each([
    [429, '120', 120_000],
    [503, ' 30 ', 30_000],
    [429, 'Mon, 23 Nov 2026 10:01:00 GMT', 60_000],
    [429, 'Mon, 23 Nov 2026 09:00:00 GMT', 0],
    [429, '-5', undefined],
    [429, '1.5', undefined],
    [429, '2026', 2_026_000],
    [429, 'later', undefined],
    [500, '120', undefined],
    [200, '120', undefined],
    [429, undefined, undefined],
  ] as const)('reads a %i with Retry-After %j as a request to wait %j ms', (status, header, expected) => {
    expect(requestedRetryDelayMs(status, header, now)).toBe(expected);
  });
});
