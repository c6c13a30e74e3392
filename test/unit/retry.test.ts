import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RETRY_POLICY,
  maxAttempts,
  planRetry,
  retryScheduleName,
  retryTransport,
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
    expect(planRetry(DEFAULT_RETRY_POLICY, failed, 0.5)).toEqual({
      attemptNumber: failed + 1,
      nominalDelayMs: delayMs,
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

  it('scales the delay but keeps the nominal rung', () => {
    const plan = planRetry({ ...DEFAULT_RETRY_POLICY, timeScale: 0.001 }, 3, 0.5);
    expect(plan).toEqual({ attemptNumber: 4, nominalDelayMs: 1_800_000, delayMs: 1_800 });
  });

  it.each([
    [1, 'queue'],
    [2, 'queue'],
    [3, 'scheduler'],
    [6, 'scheduler'],
  ] as const)('the retry after attempt %i rides on the %s', (failed, transport) => {
    const plan = planRetry(DEFAULT_RETRY_POLICY, failed, 0.5);
    expect(plan && retryTransport(plan)).toBe(transport);
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
});
