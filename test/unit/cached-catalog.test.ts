import { describe, expect, it } from 'vitest';
import { cachedEndpointStore } from '../../lambdas/adapters/local/cached-catalog';
import type { Endpoint } from '../../lambdas/core/model';
import type { EndpointStore } from '../../lambdas/ports';
import { anEndpoint } from '../support/fixtures';

/**
 * An endpoint store whose reads answer only when the test says so, with the value the
 * store held when the read began: a read that started before a write and ends after it.
 */
function aSlowReadingStore(initial: Endpoint) {
  let stored = initial;
  const pendingReads: (() => void)[] = [];
  let reads = 0;
  const unused = () => Promise.reject(new Error('not used here'));
  const store: EndpointStore = {
    get: () => {
      reads += 1;
      const seen = stored;
      return new Promise((resolve) => pendingReads.push(() => resolve(seen)));
    },
    update: async (_previous, next) => {
      stored = next;
    },
    create: unused,
    list: unused,
    listAll: unused,
    markFailing: unused,
    clearFailing: unused,
    disable: unused,
    delete: unused,
  };
  return {
    store,
    reads: () => reads,
    answerReads: () => {
      for (const answer of pendingReads.splice(0)) answer();
    },
  };
}

describe("local mode's cached catalogue", () => {
  it('keeps out of the cache what a read that was under way during a write found', async () => {
    const first = anEndpoint('app_1', { description: 'first' });
    const slow = aSlowReadingStore(first);
    const endpoints = cachedEndpointStore(slow.store);

    const readDuringWrite = endpoints.get(first.appId, first.id);
    await endpoints.update(first, { ...first, description: 'second' });
    slow.answerReads();
    expect((await readDuringWrite)?.description).toBe('first');

    const next = endpoints.get(first.appId, first.id);
    slow.answerReads();
    expect((await next)?.description).toBe('second');
    expect(slow.reads()).toBe(2);

    // Now cached: answered from memory.
    expect((await endpoints.get(first.appId, first.id))?.description).toBe('second');
    expect(slow.reads()).toBe(2);
  });
});
