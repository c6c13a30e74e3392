import { describe, expect, it } from 'vitest';
import { runChaos } from '../support/chaos';

/**
 * A small chaos run for every CI build; `npm run chaos` is the full one (2,000 messages,
 * five runs). A seed is drawn per build and printed, so a failure can be replayed with
 * `npm run chaos -- --seed <seed>`; CHAOS_SEED fixes it.
 */
describe('local mode under chaos', () => {
  it('loses nothing, duplicates no message and leaves nothing pending across three SIGKILLs', async () => {
    const seed = Number(process.env.CHAOS_SEED ?? Math.floor(Math.random() * 2 ** 31));
    const report = await runChaos({
      seed,
      messages: 200,
      callers: 8,
      kills: 3,
      failureRate: 0.3,
      retryLadderSeconds: [1, 1, 2],
      settleTimeoutMs: 60_000,
      idleSampleMs: 5_000,
    });
    console.log(`chaos: ${JSON.stringify(report)}`);
    expect(report.problems, `replay with: npm run chaos -- --seed ${seed} --messages 200`).toEqual([]);
    expect(report.kills).toHaveLength(3);
    expect(report.deliveries.succeeded + report.deliveries.failed).toBe(400);
  }, 240_000);
});
