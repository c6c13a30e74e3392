import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { DynamoMessageStore } from '../../lambdas/adapters/dynamo/message-store';
import { fanOutWorkFromStreamImage } from '../../lambdas/adapters/dynamo/message-stream';
import { DynamoLocalQueue } from '../../lambdas/adapters/local/local-queue';
import { DynamoLocalScheduler } from '../../lambdas/adapters/local/local-scheduler';
import { DynamoLocalStream } from '../../lambdas/adapters/local/local-stream';
import { NEW_MESSAGE_MARKER } from '../../lambdas/adapters/local/local-tables';
import { LocalTtlSweeper } from '../../lambdas/adapters/local/ttl-sweeper';
import type { DeliveryTask } from '../../lambdas/core/model';
import { type DynamoEngine, ENGINES, freshTables } from '../support/dynamodb';
import { aDelivery, aMessage, anAttempt, aTask, ManualClock } from '../support/fixtures';

const task = aTask;
const VISIBILITY_MS = 30_000;

/**
 * The local stand-ins for SQS, EventBridge Scheduler and DynamoDB Streams keep their state
 * in DynamoDB, so they are checked on both engines, with a clock the test moves.
 */
describe.each(ENGINES)('local queue, scheduler and stream on $name', ({ start }) => {
  let engine: DynamoEngine;
  let clock: ManualClock;
  let queue: DynamoLocalQueue;
  let scheduler: DynamoLocalScheduler;
  let context: Awaited<ReturnType<typeof freshTables>>;

  beforeAll(async () => {
    engine = await start();
  });
  afterAll(async () => {
    await engine?.close();
  });
  beforeEach(async () => {
    context = await freshTables(engine.endpoint);
    clock = new ManualClock();
    queue = new DynamoLocalQueue({
      doc: context.doc,
      tableName: context.tables.localJobs,
      clock,
      maxReceiveCount: 3,
    });
    scheduler = new DynamoLocalScheduler({
      doc: context.doc,
      tableName: context.tables.localJobs,
      queue,
      clock,
    });
  });

  const bodies = (messages: { body: string }[]) =>
    messages.map((message) => JSON.parse(message.body) as DeliveryTask);

  // The shared queue contract (queue.contract.test.ts) covers sending and receiving; these are local-only duties.
  describe('queue', () => {
    it('tells of each task it dead-letters, and redrives them onto the queue with their receives reset', async () => {
      const deadLettered: { messageId: string; receiveCount: number }[] = [];
      const alarmed = new DynamoLocalQueue({
        doc: context.doc,
        tableName: context.tables.localJobs,
        clock,
        maxReceiveCount: 2,
        onDeadLetter: (message) => deadLettered.push(message),
      });
      await alarmed.send([task(1)]);
      for (let receive = 0; receive < 2; receive++) {
        expect(await alarmed.receive(10, VISIBILITY_MS)).toHaveLength(1);
        clock.advance(VISIBILITY_MS);
      }
      expect(await alarmed.receive(10, VISIBILITY_MS)).toEqual([]);
      expect(deadLettered).toEqual([{ messageId: expect.any(String), receiveCount: 2 }]);

      expect(await alarmed.redriveDeadLetters()).toBe(1);
      expect(await alarmed.deadLetterBodies()).toEqual([]);
      const [redriven] = await alarmed.receive(10, VISIBILITY_MS);
      expect(redriven && bodies([redriven])).toEqual([task(1)]);
      expect(redriven?.receiveCount).toBe(1);
    });

    it('tells when its next task is due, so the worker can sleep until then', async () => {
      await queue.send([task(2)], { delayMs: 5_000 });
      expect(await queue.nextDueAt()).toBe(clock.now().getTime() + 5_000);
    });

    it('ignores a delete with a lease that ran out and went to another receive', async () => {
      await queue.send([task(1)]);
      const [first] = await queue.receive(10, VISIBILITY_MS);
      clock.advance(VISIBILITY_MS);
      expect(await queue.receive(10, VISIBILITY_MS)).toHaveLength(1);
      await queue.delete(first?.receipt ?? '');
      clock.advance(VISIBILITY_MS);
      expect(await queue.receive(10, VISIBILITY_MS)).toHaveLength(1);
    });

    it('takes back the leases of a process that died', async () => {
      await queue.send([task(1)]);
      await queue.receive(10, VISIBILITY_MS);
      expect(await queue.recoverLeases()).toBe(1);
      expect(await queue.receive(10, VISIBILITY_MS)).toHaveLength(1);
    });
  });

  describe('scheduler', () => {
    it('puts a task on the queue when due, once, however often it was scheduled', async () => {
      const at = new Date(clock.now().getTime() + 1_800_000);
      await scheduler.schedule(task(4), at);
      await scheduler.schedule(task(4), at);
      expect(await scheduler.fireDue()).toBe(0);
      expect(await scheduler.nextDueAt()).toBe(at.getTime());
      clock.advance(1_800_000);
      expect(await scheduler.fireDue()).toBe(1);
      expect(await scheduler.fireDue()).toBe(0);
      expect(bodies(await queue.receive(10, VISIBILITY_MS))).toEqual([task(4)]);
      expect(await scheduler.nextDueAt()).toBeUndefined();
    });
  });

  describe('stream', () => {
    it('yields each new message once, as a NEW_IMAGE record, until acknowledged', async () => {
      const messages = new DynamoMessageStore(context.doc, context.tables.messages, {
        retentionDays: 30,
        newMessageMarker: NEW_MESSAGE_MARKER,
      });
      const stream = new DynamoLocalStream(context.client, context.tables.messages);
      const first = aMessage('app_1', { eventId: 'evt-1' });
      const second = aMessage('app_1');
      await messages.accept(first);
      await messages.accept(second);
      await messages.accept(aMessage('app_1', { eventId: 'evt-1' }));

      const pending = await stream.pending(10);
      expect(pending.map((record) => fanOutWorkFromStreamImage(record.newImage))).toEqual([
        { message: first },
        { message: second },
      ]);
      expect(pending.every((record) => !('streamPending' in record.newImage))).toBe(true);

      await stream.acknowledge(pending[0] as (typeof pending)[number]);
      expect((await stream.pending(10)).map((record) => record.sequenceNumber)).toEqual([second.id]);
    });
  });

  describe('TTL sweeper', () => {
    it('deletes messages, claims, deliveries and attempts past their retention, and nothing else', async () => {
      const messages = new DynamoMessageStore(context.doc, context.tables.messages, {
        retentionDays: 30,
      });
      const deliveries = new DynamoDeliveryStore(context.doc, context.tables.deliveries, {
        retentionDays: 30,
      });
      const old = aMessage('app_1', { eventId: 'old' }, new Date('2026-01-01T00:00:00Z'));
      const recent = aMessage('app_1', {}, new Date('2026-11-20T00:00:00Z'));
      await messages.accept(old);
      await messages.accept(recent);
      const oldDelivery = aDelivery(old, 'ep_1');
      await deliveries.createIfAbsent(oldDelivery);
      await deliveries.saveAttempt(anAttempt(oldDelivery, 1, { timestamp: old.timestamp }));
      await deliveries.createIfAbsent(aDelivery(recent, 'ep_1'));

      const sweeper = new LocalTtlSweeper(context.doc, [
        { name: context.tables.messages, keys: ['pk', 'sk'] },
        { name: context.tables.deliveries, keys: ['pk', 'sk'] },
      ]);
      expect(await sweeper.sweep(new Date('2026-11-22T00:00:00Z'))).toBe(4);
      expect(await messages.get('app_1', old.id)).toBeUndefined();
      expect(await messages.get('app_1', recent.id)).toEqual(recent);
      expect(await deliveries.get(old.id, 'ep_1')).toBeUndefined();
      expect(await deliveries.get(recent.id, 'ep_1')).toBeDefined();
      expect((await deliveries.listAttempts(old.id, { limit: 10 })).data).toEqual([]);
    });
  });
});
