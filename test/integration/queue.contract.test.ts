import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ReceivedMessage } from '../../lambdas/adapters/local/local-queue';
import type { DeliveryTask } from '../../lambdas/core/model';
import { aTask } from '../support/fixtures';
import { fauxqsBackend, localQueueBackend, type QueueBackend, type QueueHarness } from '../support/queues';

const task = aTask;
const LEASE_MS = 1_000;
const LONG_LEASE_MS = 30_000;
const tasksOf = (messages: readonly ReceivedMessage[]) =>
  messages.map((message) => JSON.parse(message.body) as DeliveryTask);

/** Receives until `count` messages came or a few empty polls went by (SQS may return fewer than asked for). */
async function receiveAll(harness: QueueHarness, count: number): Promise<ReceivedMessage[]> {
  const received: ReceivedMessage[] = [];
  for (let empty = 0; received.length < count && empty < 3; ) {
    const batch = await harness.receiver.receive(10, LONG_LEASE_MS);
    expect(batch.length).toBeLessThanOrEqual(10);
    received.push(...batch);
    empty = batch.length === 0 ? empty + 1 : 0;
  }
  return received;
}

/**
 * The delivery queue's contract: what the services rely on when they send, and what the
 * consumer (Lambda's event source mapping on AWS, the local worker on a laptop) relies on
 * when it receives. One suite, every backend, so local mode cannot drift from SQS.
 */
describe.each([localQueueBackend, fauxqsBackend])(
  'delivery queue contract on $name',
  (backend: QueueBackend) => {
    let server: Awaited<ReturnType<QueueBackend['start']>>;

    beforeAll(async () => {
      server = await backend.start();
    });
    afterAll(async () => {
      await server?.close();
    });

    it('hands out a sent task, hides it while leased, and forgets it once deleted', async () => {
      const harness = await server.harness(5);
      await harness.queue.send([task(1)]);
      const received = await harness.receiver.receive(10, LEASE_MS);
      expect(tasksOf(received)).toEqual([task(1)]);
      expect(received[0]?.receiveCount).toBe(1);
      expect(await harness.receiver.receive(10, LEASE_MS)).toEqual([]);
      await harness.receiver.delete(received[0]?.receipt ?? '');
      await harness.advance(LEASE_MS + 200);
      expect(await harness.receiver.receive(10, LEASE_MS)).toEqual([]);
    });

    it('holds a delayed task back until its delay has passed', async () => {
      const harness = await server.harness(5);
      await harness.queue.send([task(2)], { delayMs: 1_000 });
      expect(await harness.receiver.receive(10, LEASE_MS)).toEqual([]);
      await harness.advance(1_200);
      expect(tasksOf(await harness.receiver.receive(10, LEASE_MS))).toEqual([task(2)]);
    });

    it('takes more tasks than one batch and gives each out once', async () => {
      const harness = await server.harness(5);
      const sent = Array.from({ length: 23 }, (_, index) => task(1, `ep_${index}`));
      await harness.queue.send(sent);
      const received = await receiveAll(harness, 23);
      expect(
        tasksOf(received)
          .map((each) => each.endpointId)
          .sort(),
      ).toEqual(sent.map((each) => each.endpointId).sort());
    });

    it('hands a task out again when its lease runs out', async () => {
      const harness = await server.harness(5);
      await harness.queue.send([task(1)]);
      await harness.receiver.receive(10, LEASE_MS);
      await harness.advance(LEASE_MS + 200);
      const again = await harness.receiver.receive(10, LEASE_MS);
      expect(tasksOf(again)).toEqual([task(1)]);
      expect(again[0]?.receiveCount).toBe(2);
    });

    it('makes a received task visible again after a chosen delay', async () => {
      const harness = await server.harness(5);
      await harness.queue.send([task(1)]);
      const [received] = await harness.receiver.receive(10, LONG_LEASE_MS);
      await harness.receiver.changeVisibility(received?.receipt ?? '', 1_000);
      expect(await harness.receiver.receive(10, LEASE_MS)).toEqual([]);
      await harness.advance(1_200);
      expect(tasksOf(await harness.receiver.receive(10, LEASE_MS))).toEqual([task(1)]);
    });

    it('moves a task that keeps failing to the dead-letter queue', async () => {
      const harness = await server.harness(2);
      await harness.queue.send([task(1)]);
      for (let receive = 0; receive < 2; receive++) {
        expect(await harness.receiver.receive(10, LEASE_MS)).toHaveLength(1);
        await harness.advance(LEASE_MS + 200);
      }
      expect(await harness.receiver.receive(10, LEASE_MS)).toEqual([]);
      expect((await harness.deadLetters()).map((body) => JSON.parse(body))).toEqual([task(1)]);
    });
  },
);
