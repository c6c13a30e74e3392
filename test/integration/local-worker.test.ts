import { describe, expect, it } from 'vitest';
import type { DeliveryTask } from '../../lambdas/core/model';
import { LocalWorker, type WorkerQueue } from '../../lambdas/local/worker';
import { createJsonLogger } from '../../lambdas/logger';
import { LocalStack } from '../support/local-stack';
import { eventually } from '../support/receiver';

describe('the local worker', () => {
  it('does not spin on a due time it cannot act on', async () => {
    // A queue that keeps saying "due a while ago" and hands out nothing: what a stale index
    // entry looked like to the worker before local mode read items instead of entries.
    let receives = 0;
    const queue: WorkerQueue = {
      receive: async () => {
        receives++;
        return [];
      },
      delete: async () => {},
      changeVisibility: async () => {},
      nextDueAt: async () => Date.now() - 60_000,
    };
    const worker = new LocalWorker({
      stream: { pending: async () => [], acknowledgeAll: async () => {} },
      queue,
      scheduler: { fireDue: async () => 0, nextDueAt: async () => undefined },
      fanOut: async () => ({ batchItemFailures: [] }),
      delivery: async () => ({ batchItemFailures: [] }),
      clock: { now: () => new Date() },
      logger: createJsonLogger('error', () => {}),
      visibilityTimeoutMs: 60_000,
    });
    worker.start();
    await new Promise((resolve) => setTimeout(resolve, 500));
    await worker.stop();
    // Sleeping at least 25 ms a cycle: about 20 cycles in 500 ms; a busy loop makes thousands.
    expect(receives).toBeGreaterThan(5);
    expect(receives).toBeLessThanOrEqual(25);
  });
});

describe('a delivery task local mode can never process', () => {
  it('lands in the dead-letter queue after the configured receives, and a redrive brings it back', async () => {
    const stack = await LocalStack.start();
    try {
      const poison = { appId: 42, endpointId: null } as unknown as DeliveryTask;
      await stack.runtime.queue.send([poison]);
      await eventually(
        () => stack.runtime.queue.deadLetterBodies(),
        (bodies) => bodies.length === 1,
      );
      expect((await stack.runtime.queue.deadLetterBodies()).map((body) => JSON.parse(body))).toEqual([
        poison,
      ]);
      expect(await stack.runtime.queue.redriveDeadLetters()).toBe(1);
      // Back on the queue, it fails its receives again and returns to the dead letters.
      expect(await stack.runtime.queue.deadLetterBodies()).toEqual([]);
      await eventually(
        () => stack.runtime.queue.deadLetterBodies(),
        (bodies) => bodies.length === 1,
      );
    } finally {
      await stack.stop();
    }
  });
});
