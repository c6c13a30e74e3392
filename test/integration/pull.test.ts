import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DynamoDeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { DynamoMessageStore } from '../../lambdas/adapters/dynamo/message-store';
import { DynamoPullStateStore } from '../../lambdas/adapters/dynamo/pull-state-store';
import { createDynamoStores, type DynamoStores } from '../../lambdas/adapters/dynamo/stores';
import { LoggedMetrics } from '../../lambdas/adapters/local/logged-metrics';
import { ConflictError, NotFoundError } from '../../lambdas/core/errors';
import { newId } from '../../lambdas/core/ids';
import type { Endpoint, Message, PullNotification } from '../../lambdas/core/model';
import { PULL_RETENTION_MS, PULL_SETTLE_MS } from '../../lambdas/core/pull';
import { LOCAL_URL_POLICY } from '../../lambdas/core/url-guard';
import { createJsonLogger } from '../../lambdas/logger';
import {
  type Clock,
  type MessageStore,
  type PullHead,
  type PullStateStore,
  systemClock,
} from '../../lambdas/ports';
import { type ApiServices, createApiServices, createFanOutService } from '../../lambdas/services';
import type { FanOutService } from '../../lambdas/services/fanout';
import { type DynamoEngine, ENGINES, freshTables } from '../support/dynamodb';
import { aDelivery, aMessage, anApp, ManualClock } from '../support/fixtures';

/**
 * Pull delivery (README, "Pull delivery") on both engines the DynamoDB adapters meet: the
 * store contract of the reader state, then the service over real stores, with fan-out run
 * the way the stream runs it on AWS: in parallel, out of order, twice.
 */

describe.each(ENGINES)('pull delivery on $name', ({ name, start }) => {
  let engine: DynamoEngine;

  beforeAll(async () => {
    engine = await start();
  });
  afterAll(async () => {
    await engine?.close();
  });

  describe('stores', () => {
    let pulls: DynamoPullStateStore;
    let messages: DynamoMessageStore;
    let deliveries: DynamoDeliveryStore;

    beforeEach(async () => {
      const { doc, tables } = await freshTables(engine.endpoint);
      pulls = new DynamoPullStateStore(doc, tables.deliveries);
      messages = new DynamoMessageStore(doc, tables.messages, { retentionDays: 30 });
      deliveries = new DynamoDeliveryStore(doc, tables.deliveries, { retentionDays: 30 });
    });

    const head = (msgId: string, late = false): PullHead => ({
      msgId,
      eventType: 'invoice.paid',
      receiptId: newId('receipt', new Date()),
      late,
    });

    it('starts empty, serves one head at a time from the cursor it was decided from', async () => {
      expect(await pulls.get('ep_1')).toEqual({
        cursor: null,
        head: null,
        late: [],
        ahead: [],
        aheadOf: null,
        lastReceiptId: null,
        tail: null,
      });
      const first = head('msg_1');
      expect(await pulls.setHead('ep_1', 'msg_0', first)).toBe(false);
      expect(await pulls.setHead('ep_1', null, first)).toBe(true);
      expect(await pulls.setHead('ep_1', null, head('msg_2'))).toBe(false);
      expect((await pulls.get('ep_1')).head).toEqual(first);
      expect(await pulls.get('ep_2')).toEqual({
        cursor: null,
        head: null,
        late: [],
        ahead: [],
        aheadOf: null,
        lastReceiptId: null,
        tail: null,
      });
    });

    it('confirms only the head with its receipt, moving the cursor onto it', async () => {
      const first = head('msg_1');
      await pulls.setHead('ep_1', null, first);
      expect(await pulls.confirm('ep_1', { ...first, receiptId: 'rcpt_other' })).toBe(false);
      expect(await pulls.confirm('ep_1', first)).toBe(true);
      expect(await pulls.confirm('ep_1', first)).toBe(false);
      expect(await pulls.get('ep_1')).toEqual({
        cursor: 'msg_1',
        head: null,
        late: [],
        ahead: [],
        aheadOf: null,
        lastReceiptId: first.receiptId,
        tail: null,
      });
    });

    it('raises the tail, never lowers it', async () => {
      await pulls.raiseTail('ep_1', 'msg_5');
      await pulls.raiseTail('ep_1', 'msg_3');
      expect((await pulls.get('ep_1')).tail).toBe('msg_5');
      await pulls.raiseTail('ep_1', 'msg_7');
      expect((await pulls.get('ep_1')).tail).toBe('msg_7');
    });

    it('drops a head only with its receipt', async () => {
      const first = head('msg_1');
      await pulls.setHead('ep_1', null, first);
      expect(await pulls.dropHead('ep_1', 'rcpt_other')).toBe(false);
      expect(await pulls.dropHead('ep_1', first.receiptId)).toBe(true);
      expect((await pulls.get('ep_1')).head).toBeNull();
    });

    it('serves the head with what was read after it, one by one from the first, and forgets it when told', async () => {
      const first = head('msg_1');
      const ahead = { msgIds: ['msg_2', 'msg_3'], of: '2026-11-23T00:00:00.000Z' };
      expect(await pulls.setHead('ep_1', null, first, ahead)).toBe(true);
      expect(await pulls.get('ep_1')).toMatchObject({ ahead: ahead.msgIds, aheadOf: ahead.of });
      expect(await pulls.takeAhead('ep_1', null, head('msg_2'))).toBe(false); // under a head
      await pulls.confirm('ep_1', first);
      expect(await pulls.takeAhead('ep_1', null, head('msg_2'))).toBe(false); // not from this cursor
      expect(await pulls.takeAhead('ep_1', 'msg_1', head('msg_3'))).toBe(false); // not the first
      const second = head('msg_2');
      expect(await pulls.takeAhead('ep_1', 'msg_1', second)).toBe(true);
      expect(await pulls.get('ep_1')).toMatchObject({ head: second, ahead: ['msg_3'] });
      await pulls.confirm('ep_1', second);
      await pulls.dropAhead('ep_1');
      expect(await pulls.get('ep_1')).toMatchObject({ cursor: 'msg_2', ahead: [], aheadOf: null });
      expect(await pulls.takeAhead('ep_1', 'msg_2', head('msg_3'))).toBe(false);
    });

    it('forgets what was read after a head when the head is dropped, and takes an empty list as none', async () => {
      const first = head('msg_5');
      await pulls.setHead('ep_1', null, first, { msgIds: ['msg_6'], of: 'then' });
      expect(await pulls.dropHead('ep_1', first.receiptId)).toBe(true);
      expect(await pulls.get('ep_1')).toMatchObject({ head: null, ahead: [], aheadOf: null });
      expect(await pulls.setHead('ep_1', null, first, { msgIds: [], of: 'then' })).toBe(true);
      expect(await pulls.get('ep_1')).toMatchObject({ head: first, ahead: [], aheadOf: null });
    });

    it('advances the cursor only from the cursor it was decided from, and never under a head', async () => {
      expect(await pulls.advance('ep_1', null, 'msg_3')).toBe(true);
      expect(await pulls.advance('ep_1', null, 'msg_4')).toBe(false);
      await pulls.setHead('ep_1', 'msg_3', head('msg_5'));
      expect(await pulls.advance('ep_1', 'msg_3', 'msg_4')).toBe(false);
      expect((await pulls.get('ep_1')).cursor).toBe('msg_3');
    });

    it('takes late arrivals only behind the cursor, serves and confirms them without moving it', async () => {
      expect(await pulls.addLate('ep_1', ['msg_2'])).toBe(false);
      await pulls.advance('ep_1', null, 'msg_5');
      expect(await pulls.addLate('ep_1', ['msg_6'])).toBe(false);
      expect(await pulls.addLate('ep_1', ['msg_4', 'msg_2'])).toBe(true);
      expect(await pulls.addLate('ep_1', ['msg_2'])).toBe(true);
      expect((await pulls.get('ep_1')).late).toEqual(['msg_2', 'msg_4']);
      expect(await pulls.setHead('ep_1', 'msg_5', head('msg_3', true))).toBe(false);
      const late = head('msg_2', true);
      expect(await pulls.setHead('ep_1', 'msg_5', late)).toBe(true);
      expect(await pulls.confirm('ep_1', late)).toBe(true);
      await pulls.dropLate('ep_1', ['msg_4']);
      expect(await pulls.get('ep_1')).toEqual({
        cursor: 'msg_5',
        head: null,
        late: [],
        ahead: [],
        aheadOf: null,
        lastReceiptId: late.receiptId,
        tail: null,
      });
    });

    it("walks an app's messages forward after a key, up to a key, in pages", async () => {
      const app = anApp();
      const start = Date.parse('2026-11-22T10:00:00.000Z');
      const stored: Message[] = [];
      for (let index = 0; index < 7; index += 1) {
        const message = aMessage(app.id, {}, new Date(start + index * 1000));
        await messages.accept(message);
        stored.push(message);
      }
      await messages.accept(aMessage(anApp().id, {}, new Date(start + 2500)));
      const ids = stored.map((message) => message.id);
      const page = await messages.listForward(app.id, { after: 'msg_', through: 'msg_~', limit: 3 });
      expect(page.messages.map((message) => message.id)).toEqual(ids.slice(0, 3));
      expect(page.more).toBe(true);
      const next = await messages.listForward(app.id, {
        after: ids[2] as string,
        through: ids[5] as string,
        limit: 10,
      });
      expect(next.messages.map((message) => message.id)).toEqual(ids.slice(3, 6));
      expect(next.messages[0]).toEqual(stored[3]);
      expect(next.more).toBe(false);
      const none = { messages: [], more: false };
      expect(
        await messages.listForward(app.id, { after: ids[6] as string, through: 'msg_~', limit: 10 }),
      ).toEqual(none);
      expect(
        await messages.listForward(app.id, { after: ids[3] as string, through: ids[3] as string, limit: 10 }),
      ).toEqual(none);
    });

    it('pages through a log of large messages in order, never taking a cut page for its end', async () => {
      const app = anApp();
      const start = Date.parse('2026-11-22T10:00:00.000Z');
      const ids: string[] = [];
      for (let index = 0; index < 14; index += 1) {
        // Random text: stored deflated, a run of one letter would be a few hundred bytes.
        const payload = { blob: randomBytes(100_000).toString('base64') };
        ids.push((await messages.accept(aMessage(app.id, { payload }, new Date(start + index)))).message.id);
      }
      const read: string[] = [];
      let after = 'msg_';
      for (let page = 0; page < 20; page += 1) {
        const { messages: found, more } = await messages.listForward(app.id, {
          after,
          through: 'msg_~',
          limit: 50,
        });
        read.push(...found.map((message) => message.id));
        after = read.at(-1) ?? after;
        if (!more) break;
      }
      expect(read).toEqual(ids);
    });

    it('marks a delivery pulled, creating it when fan-out has not, never undoing what fan-out wrote', async () => {
      const message = aMessage('app_1');
      const delivery = aDelivery(message, 'ep_1', { status: 'succeeded', nextAttemptAt: null });
      await deliveries.markPulled(delivery, '2026-11-22T10:00:05.000Z');
      expect(await deliveries.createIfAbsent(delivery)).toBe(false);
      expect(await deliveries.get(message.id, 'ep_1')).toEqual({
        ...delivery,
        pulledAt: '2026-11-22T10:00:05.000Z',
      });
      const counts = await deliveries.countEndpointDeliveries(
        'ep_1',
        new Date(Date.parse(message.timestamp) - 1000),
        new Date(Date.parse(message.timestamp) + 1000),
        100,
      );
      expect(counts).toEqual({ pending: 0, succeeded: 1, failed: 0, pulled: 1 });
    });
  });

  describe('the service, with fan-out run as the stream runs it', () => {
    let stores: DynamoStores;
    let clock: Clock;

    /**
     * Each runs once, right after one of the reader's reads of the log, in turn: what happens
     * there is what the reader's second read, fan-out's check and the late list exist for.
     */
    let afterReads: (() => Promise<void>)[] = [];
    /** Each runs once, when fan-out is about to drop a reader's `ahead`, in turn. */
    let beforeFanOutDropsAhead: (() => Promise<void>)[] = [];
    /** Fan-out's writes of a poll endpoint's tail since the last setUp. */
    let tailRaises = 0;
    /** Reads of the log (each a Query per shard) since the last setUp. */
    let logReads = 0;

    async function setUp(withClock: Clock = systemClock) {
      const { doc, tables } = await freshTables(engine.endpoint);
      clock = withClock;
      logReads = 0;
      beforeFanOutDropsAhead = [];
      tailRaises = 0;
      stores = createDynamoStores(doc, tables, { retentionDays: 30 });
      const log = stores.messages;
      const messages: MessageStore = {
        accept: (message) => log.accept(message),
        get: (appId, msgId) => log.get(appId, msgId),
        getByEventId: (appId, eventId) => log.getByEventId(appId, eventId),
        list: (appId, filter) => log.list(appId, filter),
        requestAttempts: (request) => log.requestAttempts(request),
        listForward: async (appId, range) => {
          logReads += 1;
          const read = await log.listForward(appId, range);
          await afterReads.shift()?.();
          return read;
        },
      };
      const api = createApiServices(
        { ...stores, messages, clock },
        { urlPolicy: LOCAL_URL_POLICY, requireKnownEventTypes: false, egressIps: [] },
      );
      const fanOut = createFanOutService({
        ...stores,
        // The store itself, but for a count of tail raises and a hook before each drop of a reader's `ahead`.
        pulls: Object.assign(Object.create(stores.pulls) as PullStateStore, {
          raiseTail: async (endpointId: string, msgId: string) => {
            tailRaises += 1;
            await stores.pulls.raiseTail(endpointId, msgId);
          },
          dropAhead: async (endpointId: string) => {
            await beforeFanOutDropsAhead.shift()?.();
            await stores.pulls.dropAhead(endpointId);
          },
        }),
        queue: { send: async () => {} },
        clock,
        metrics: new LoggedMetrics(createJsonLogger('error', () => {})),
      });
      const app = await api.apps.create({ name: 'Pulls' });
      const endpoint = await api.endpoints.create(app.id, { kind: 'poll' });
      return { api, fanOut, app, endpoint };
    }

    /** Receives and deletes until `count` notifications came out or nothing more comes within `waitSeconds`. */
    async function drain(api: ApiServices, endpoint: Endpoint, count: number, waitSeconds = 2) {
      const pulled: string[] = [];
      while (pulled.length < count) {
        const received = await api.pulls.receive(endpoint.appId, endpoint.id, waitSeconds);
        if (received === undefined) break;
        pulled.push(received.message.id);
        await api.pulls.delete(endpoint.appId, endpoint.id, received.receiptId);
      }
      return pulled;
    }

    /**
     * Consumers receiving and deleting side by side, as a consumer and its retries would: the
     * notifications whose delete succeeded (each receipt once: deleting one twice answers 204
     * twice), in the order the deletes succeeded.
     */
    async function drainTogether(api: ApiServices, endpoint: Endpoint, count: number, consumers: number) {
      const confirmed = new Map<string, string>();
      await Promise.all(
        Array.from({ length: consumers }, async () => {
          while (confirmed.size < count) {
            const received = await api.pulls.receive(endpoint.appId, endpoint.id, 2);
            if (received === undefined) return;
            try {
              await api.pulls.delete(endpoint.appId, endpoint.id, received.receiptId);
              if (!confirmed.has(received.receiptId)) confirmed.set(received.receiptId, received.message.id);
            } catch (error) {
              // Another consumer deleted it first, and then the next one too: its receipt is stale.
              if (!(error instanceof NotFoundError)) throw error;
            }
          }
        }),
      );
      return [...confirmed.values()];
    }

    it.each([1, 3])(
      'hands out 1,000 messages from 16 concurrent callers to %i consumers in ascending id order, none missing, none twice, with fan-out in parallel, out of order and twice',
      async (consumers) => {
        const { api, fanOut, app, endpoint } = await setUp();
        const accepted: Message[] = [];
        const toFanOut: Message[] = [];
        let accepting = true;
        const callers = Array.from({ length: 16 }, async (_, caller) => {
          for (let index = 0; index < 1000 / 16; index += 1) {
            if (caller * 63 + index >= 1000) break;
            const { message } = await api.messages.accept(app.id, {
              eventType: 'order.placed',
              payload: { caller, index },
            });
            accepted.push(message);
            toFanOut.push(message);
          }
        });
        // Fan-out as the stream drives it on AWS: batches taken in any order, run in parallel, some twice.
        const fanOuts = (async () => {
          let random = 7;
          const next = () => {
            random = (random * 48271) % 2147483647;
            return random / 2147483647;
          };
          while (accepting || toFanOut.length > 0) {
            const batch = toFanOut.splice(0, toFanOut.length).sort(() => next() - 0.5);
            await Promise.all(
              batch.map(async (message) => {
                await fanOut.fanOut(message);
                if (next() < 0.1) await fanOut.fanOut(message);
              }),
            );
            await new Promise((resolve) => setTimeout(resolve, 5));
          }
        })();
        const consumer = drainTogether(api, endpoint, 1000, consumers);
        await Promise.all(callers);
        accepting = false;
        await fanOuts;
        const pulled = await consumer;

        const ids = accepted.map((message) => message.id).sort();
        expect(ids).toHaveLength(1000);
        expect(new Set(pulled).size, 'none twice').toBe(pulled.length);
        expect(pulled, 'ascending, none missing').toEqual(ids);
        expect(await api.pulls.receive(app.id, endpoint.id, 0)).toBeUndefined();
        const stats = await api.endpoints.stats(app.id, endpoint.id, {});
        expect(stats).toMatchObject({
          succeeded: 1000,
          failed: 0,
          pending: 0,
          pull: { pulled: 1000, pending: 0 },
        });
      },
      120_000,
    );

    it('returns the same notification until it is deleted, then the next; a repeated delete is done, a stale receipt is not', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      const first = await accepted(api, fanOut, app.id, { n: 1 });
      manual.advance(1);
      const second = await accepted(api, fanOut, app.id, { n: 2 });
      manual.advance(PULL_SETTLE_MS);

      const one = await api.pulls.receive(app.id, endpoint.id, 0);
      const again = await api.pulls.receive(app.id, endpoint.id, 0);
      expect(one?.message).toEqual(first);
      expect(again).toEqual(one);
      await api.pulls.delete(app.id, endpoint.id, one?.receiptId as string);
      await api.pulls.delete(app.id, endpoint.id, one?.receiptId as string);
      const two = await api.pulls.receive(app.id, endpoint.id, 0);
      expect(two?.message).toEqual(second);
      await expect(api.pulls.delete(app.id, endpoint.id, 'rcpt_01KAAAAAAAAAAAAAAAAAAAAAAA')).rejects.toThrow(
        NotFoundError,
      );
      await api.pulls.delete(app.id, endpoint.id, two?.receiptId as string);
      expect(await api.pulls.receive(app.id, endpoint.id, 0)).toBeUndefined();
    });

    it('holds back a message younger than the settle time', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      await accepted(api, fanOut, app.id, {});
      manual.advance(PULL_SETTLE_MS - 1);
      expect(await api.pulls.receive(app.id, endpoint.id, 0)).toBeUndefined();
      manual.advance(1);
      expect(await api.pulls.receive(app.id, endpoint.id, 0)).toBeDefined();
    });

    it('serves a message stored behind the reader next, once, when fan-out sees it', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      // Minted now, stored only after the reader has gone past it (a write slower than the settle time).
      const straggler = aMessage(app.id, { eventType: 'order.placed' }, manual.now());
      manual.advance(1);
      const first = await accepted(api, fanOut, app.id, { n: 1 });
      manual.advance(PULL_SETTLE_MS);
      expect(await drain(api, endpoint, 1, 0)).toEqual([first.id]);
      manual.advance(1);
      const second = await accepted(api, fanOut, app.id, { n: 2 });
      await stores.messages.accept(straggler);
      await fanOut.fanOut(straggler);
      await fanOut.fanOut(straggler);
      manual.advance(PULL_SETTLE_MS);
      expect(await drain(api, endpoint, 10, 0)).toEqual([straggler.id, second.id]);
      await fanOut.fanOut(straggler);
      expect(await drain(api, endpoint, 10, 0)).toEqual([]);
    });

    it('gives way to an earlier message that turns up under the head before it is deleted', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      const earlier = aMessage(app.id, { eventType: 'order.placed' }, manual.now());
      manual.advance(1);
      const later = await accepted(api, fanOut, app.id, {});
      manual.advance(PULL_SETTLE_MS);
      const head = await api.pulls.receive(app.id, endpoint.id, 0);
      expect(head?.message.id).toBe(later.id);
      await stores.messages.accept(earlier);
      await fanOut.fanOut(earlier);
      await expect(api.pulls.delete(app.id, endpoint.id, head?.receiptId as string)).rejects.toThrow(
        NotFoundError,
      );
      expect(await drain(api, endpoint, 10, 0)).toEqual([earlier.id, later.id]);
    });

    it('reads below a head it has just chosen: a message stored there while it read comes first', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      const earlier = aMessage(app.id, { eventType: 'order.placed' }, manual.now());
      manual.advance(1);
      const later = await accepted(api, fanOut, app.id, {});
      manual.advance(PULL_SETTLE_MS);
      // Stored and fanned out after the reader's walk, before it writes its head: fan-out finds no head to replace.
      afterReads = [
        async () => {
          await stores.messages.accept(earlier);
          await fanOut.fanOut(earlier);
        },
      ];
      expect(await drain(api, endpoint, 10, 0)).toEqual([earlier.id, later.id]);
    });

    it('reads again what it passed over: a match stored there while it read is served, not lost', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app } = await setUp(manual);
      const endpoint = await api.endpoints.create(app.id, { kind: 'poll', eventTypes: ['invoice.paid'] });
      manual.advance(1000);
      const missed = aMessage(app.id, { eventType: 'invoice.paid' }, manual.now());
      manual.advance(1);
      await accepted(api, fanOut, app.id, {}, 'order.placed');
      manual.advance(PULL_SETTLE_MS);
      afterReads = [
        async () => {
          await stores.messages.accept(missed);
          await fanOut.fanOut(missed);
        },
      ];
      expect(await drain(api, endpoint, 10, 0)).toEqual([missed.id]);
    });

    it('serves the matches read after a head from the state, without reading the log for each', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      const sent: string[] = [];
      for (let n = 0; n < 10; n += 1) {
        sent.push((await accepted(api, fanOut, app.id, { n })).id);
        manual.advance(1);
      }
      manual.advance(PULL_SETTLE_MS);
      expect(await drain(api, endpoint, 10, 0)).toEqual(sent);
      // The head's walk and the read below the last of what came with it; the other nine from the state.
      expect(logReads).toBe(2);
    });

    /**
     * A message stored and fanned out, one minted after it but not stored yet (a slow write),
     * and `later` more stored and fanned out after that one.
     */
    async function aMessageMintedAfterTheFirst(later = 1) {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      const first = await accepted(api, fanOut, app.id, { n: 1 });
      manual.advance(1);
      const between = aMessage(app.id, { eventType: 'order.placed' }, manual.now());
      const after: Message[] = [];
      for (let n = 0; n < later; n += 1) {
        manual.advance(1);
        after.push(await accepted(api, fanOut, app.id, { n: n + 2 }));
      }
      manual.advance(PULL_SETTLE_MS);
      return { api, fanOut, app, endpoint, first, between, after, last: after.at(-1) as Message };
    }

    it("raises a poll endpoint's tail once for a batch of messages, to the newest of them", async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      const batch: Message[] = [];
      for (let n = 0; n < 5; n += 1) {
        batch.push(
          (await api.messages.accept(app.id, { eventType: 'order.placed', payload: { n } })).message,
        );
        manual.advance(1);
      }
      await fanOut.fanOutAll([...batch].reverse());
      expect(tailRaises).toBe(1);
      expect((await stores.pulls.get(endpoint.id)).tail).toBe(batch.at(-1)?.id);
      manual.advance(PULL_SETTLE_MS);
      expect(await drain(api, endpoint, 10, 0)).toEqual(batch.map((message) => message.id));
    });

    it('serves a message that turns up between the head and what was read after it in order, when fan-out sees it', async () => {
      const { api, fanOut, app, endpoint, first, between, last } = await aMessageMintedAfterTheFirst();
      const head = await api.pulls.receive(app.id, endpoint.id, 0);
      expect(head?.message.id).toBe(first.id);
      expect((await stores.pulls.get(endpoint.id)).ahead).toEqual([last.id]);
      await stores.messages.accept(between);
      await fanOut.fanOut(between);
      await api.pulls.delete(app.id, endpoint.id, head?.receiptId as string);
      expect(await drain(api, endpoint, 10, 0)).toEqual([between.id, last.id]);
    });

    it('places a message fan-out finds among what was kept after the head against the state as it is when it dropped them', async () => {
      const { api, fanOut, app, endpoint, first, between, after } = await aMessageMintedAfterTheFirst(2);
      const [second, third] = after as [Message, Message];
      expect(await drain(api, endpoint, 1, 0)).toEqual([first.id]);
      expect((await stores.pulls.get(endpoint.id)).ahead).toEqual([second.id, third.id]);
      // Fan-out decides to drop what was kept; before its write lands, a consumer takes the next one as its head.
      let taken: PullNotification | undefined;
      beforeFanOutDropsAhead = [
        async () => {
          taken = await api.pulls.receive(app.id, endpoint.id, 0);
        },
      ];
      await stores.messages.accept(between);
      await fanOut.fanOut(between);
      expect(taken?.message.id).toBe(second.id);
      // The message that came first replaced that head: its receipt is stale, and nothing is lost.
      await expect(api.pulls.delete(app.id, endpoint.id, taken?.receiptId as string)).rejects.toThrow(
        NotFoundError,
      );
      expect(await drain(api, endpoint, 10, 0)).toEqual([between.id, second.id, third.id]);
    });

    it("keeps what was read after the head when the head's own fan-out comes late", async () => {
      const { api, fanOut, app, endpoint, first } = await aMessageMintedAfterTheFirst();
      const head = await api.pulls.receive(app.id, endpoint.id, 0);
      expect(head?.message.id).toBe(first.id);
      const kept = (await stores.pulls.get(endpoint.id)).ahead;
      expect(kept).toHaveLength(1);
      await fanOut.fanOut(first);
      expect((await stores.pulls.get(endpoint.id)).ahead).toEqual(kept);
    });

    it('reads again up to the last match it keeps after a head: a message stored between them while it read comes in order', async () => {
      const { api, fanOut, endpoint, first, between, last } = await aMessageMintedAfterTheFirst();
      // Stored and fanned out after the reader's walk, before it writes its head and what follows.
      afterReads = [
        async () => {
          await stores.messages.accept(between);
          await fanOut.fanOut(between);
        },
      ];
      expect(await drain(api, endpoint, 10, 0)).toEqual([first.id, between.id, last.id]);
    });

    it('takes each message as its filters were when the message was accepted, after they changed', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app } = await setUp(manual);
      const endpoint = await api.endpoints.create(app.id, { kind: 'poll', eventTypes: ['order.placed'] });
      manual.advance(1000);
      const first = await accepted(api, fanOut, app.id, { n: 1 });
      manual.advance(1);
      const invoice = await accepted(api, fanOut, app.id, { n: 2 }, 'invoice.paid');
      manual.advance(1);
      const last = await accepted(api, fanOut, app.id, { n: 3 });
      manual.advance(PULL_SETTLE_MS);
      const head = await api.pulls.receive(app.id, endpoint.id, 0);
      expect(head?.message.id).toBe(first.id);
      expect((await stores.pulls.get(endpoint.id)).ahead).toEqual([last.id]);
      manual.advance(1);
      await api.endpoints.update(app.id, endpoint.id, {
        eventTypes: ['order.placed', 'invoice.paid'],
      });
      manual.advance(1);
      const later = await accepted(api, fanOut, app.id, { n: 4 }, 'invoice.paid');
      manual.advance(1);
      const narrowed = await api.endpoints.update(app.id, endpoint.id, { eventTypes: ['invoice.paid'] });
      manual.advance(PULL_SETTLE_MS);
      await api.pulls.delete(app.id, endpoint.id, head?.receiptId as string);
      // The invoice came before the filter took invoices; the last order before it stopped taking orders.
      const pulled = await drain(api, narrowed, 10, 0);
      expect(pulled).toEqual([last.id, later.id]);
      expect(pulled).not.toContain(invoice.id);
    });

    it('puts a message found below a head on the late list when another receive handed the head out and it was deleted', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      const earlier = aMessage(app.id, { eventType: 'order.placed' }, manual.now());
      manual.advance(1);
      const later = await accepted(api, fanOut, app.id, {});
      manual.advance(PULL_SETTLE_MS);
      const seenByB: string[] = [];
      afterReads = [
        // After A's walk: the earlier message is stored, and fan-out finds no head yet.
        async () => {
          await stores.messages.accept(earlier);
          await fanOut.fanOut(earlier);
        },
        // After A's second read (which sees it): B receives A's head and deletes it.
        async () => {
          const head = await api.pulls.receive(app.id, endpoint.id, 0);
          seenByB.push(head?.message.id as string);
          await api.pulls.delete(app.id, endpoint.id, head?.receiptId as string);
        },
      ];
      const seenByA = await drain(api, endpoint, 10, 0);
      expect(seenByB).toEqual([later.id]);
      expect(seenByA).toEqual([earlier.id]);
    });

    it('never offers a late message again once it was pulled, whoever puts it back on the list', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      const straggler = aMessage(app.id, { eventType: 'order.placed' }, manual.now());
      manual.advance(1);
      const first = await accepted(api, fanOut, app.id, {});
      manual.advance(PULL_SETTLE_MS);
      expect(await drain(api, endpoint, 10, 0)).toEqual([first.id]);
      await stores.messages.accept(straggler);
      await fanOut.fanOut(straggler);
      expect(await drain(api, endpoint, 10, 0)).toEqual([straggler.id]);
      // A writer that decided before the delete (a second fan-out, a reader's second read) adds it again.
      expect(await stores.pulls.addLate(endpoint.id, [straggler.id])).toBe(true);
      expect(await drain(api, endpoint, 10, 0)).toEqual([]);
      expect((await stores.pulls.get(endpoint.id)).late).toEqual([]);
    });

    it('walks on past a page that DynamoDB ends at 1 MB', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app } = await setUp(manual);
      const endpoint = await api.endpoints.create(app.id, { kind: 'poll', eventTypes: ['invoice.paid'] });
      manual.advance(1000);
      for (let index = 0; index < 14; index += 1) {
        await accepted(
          api,
          fanOut,
          app.id,
          { blob: randomBytes(100_000).toString('base64') },
          'order.placed',
        );
      }
      const taken = await accepted(api, fanOut, app.id, {}, 'invoice.paid');
      manual.advance(PULL_SETTLE_MS);
      expect(await drain(api, endpoint, 10, 0)).toEqual([taken.id]);
    });

    it('keeps filling a disabled poll endpoint: enabled again, its consumer finds what arrived meanwhile', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      await api.endpoints.update(app.id, endpoint.id, { disabled: true });
      const meanwhile = await accepted(api, fanOut, app.id, {});
      // Fan-out counts it in the queue (and would catch it were it late), disabled or not.
      expect(await stores.deliveries.get(meanwhile.id, endpoint.id)).toMatchObject({
        status: 'succeeded',
        pulledAt: null,
      });
      manual.advance(PULL_SETTLE_MS);
      await expect(api.pulls.receive(app.id, endpoint.id, 0)).rejects.toThrow(ConflictError);
      await api.endpoints.update(app.id, endpoint.id, { disabled: false });
      expect(await drain(api, endpoint, 10, 0)).toEqual([meanwhile.id]);
    });

    it('applies the endpoint filters, and never returns what was accepted before the endpoint existed', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app } = await setUp(manual);
      const before = await accepted(api, fanOut, app.id, {}, 'invoice.paid');
      manual.advance(1000);
      const endpoint = await api.endpoints.create(app.id, { kind: 'poll', eventTypes: ['invoice.*'] });
      manual.advance(1);
      const skipped = await Promise.all(
        Array.from({ length: 260 }, (_, index) => accepted(api, fanOut, app.id, { index }, 'order.placed')),
      );
      const taken = await accepted(api, fanOut, app.id, {}, 'invoice.paid');
      manual.advance(PULL_SETTLE_MS);
      expect(skipped).toHaveLength(260);
      // `before` matches the filter too, but was accepted before the endpoint existed.
      expect(await drain(api, endpoint, 10, 0)).toEqual([taken.id]);
      expect(before.eventType).toBe('invoice.paid');
    });

    // Timing of the service, not of the engine: run on one.
    it.runIf(name === 'dynalite')(
      'reads the log while it waits only when fan-out raised the tail, and whatever the tail says every 5 s',
      async () => {
        const { api, fanOut, app, endpoint } = await setUp();
        const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
        // Stored, but its fan-out has not run (late, or failed and waiting for its retry): no tail.
        const waitingFromNoTail = Date.now();
        const unannounced = api.pulls.receive(app.id, endpoint.id, 8);
        await pause(300);
        const { message: first } = await api.messages.accept(app.id, {
          eventType: 'order.placed',
          payload: {},
        });
        expect((await unannounced)?.message.id).toBe(first.id);
        expect(Date.now() - waitingFromNoTail, 'found by the full look 5 s in').toBeGreaterThanOrEqual(4_900);
        // The full look at the start and the one 5 s in (its walk and its second read); the looks between read the state only.
        expect(logReads).toBe(3);
        await api.pulls.delete(
          app.id,
          endpoint.id,
          (await api.pulls.receive(app.id, endpoint.id, 0))?.receiptId ?? '',
        );

        // Announced by fan-out: found at the next look after the settle time.
        const announced = api.pulls.receive(app.id, endpoint.id, 8);
        await pause(300);
        const { message: second } = await api.messages.accept(app.id, {
          eventType: 'order.placed',
          payload: {},
        });
        const acceptedAt = Date.now();
        await fanOut.fanOut(second);
        expect((await announced)?.message.id).toBe(second.id);
        // The next full look would be 4.7 s after the acceptance: found well before it, by the tail.
        expect(Date.now() - acceptedAt, 'found before the next full look').toBeLessThan(2_500);
      },
    );

    it('stops returning notifications a day old (injected clock)', async () => {
      const manual = new ManualClock();
      const { api, fanOut, app, endpoint } = await setUp(manual);
      manual.advance(1000);
      await accepted(api, fanOut, app.id, { n: 1 });
      manual.advance(PULL_SETTLE_MS);
      const head = await api.pulls.receive(app.id, endpoint.id, 0);
      expect(head).toBeDefined();
      manual.advance(PULL_RETENTION_MS / 2);
      const fresh = await accepted(api, fanOut, app.id, { n: 2 });
      manual.advance(PULL_RETENTION_MS / 2);
      expect(await drain(api, endpoint, 10, 0)).toEqual([fresh.id]);
      const stats = await api.endpoints.stats(app.id, endpoint.id, {
        since: new Date(manual.now().getTime() - 2 * PULL_RETENTION_MS).toISOString(),
      });
      expect(stats.pull).toEqual({ pulled: 1, pending: 1 });
    });

    it('refuses receive and delete on a push endpoint, and push-only fields on a poll endpoint', async () => {
      const { api, app, endpoint } = await setUp();
      const push = await api.endpoints.create(app.id, { kind: 'push', url: 'http://127.0.0.1:9/in' });
      await expect(api.pulls.receive(app.id, push.id, 0)).rejects.toThrow(ConflictError);
      await expect(api.pulls.delete(app.id, push.id, 'rcpt_x')).rejects.toThrow(ConflictError);
      await expect(api.endpoints.test(app.id, endpoint.id)).rejects.toThrow(ConflictError);
      await expect(api.endpoints.getSecret(app.id, endpoint.id)).rejects.toThrow(ConflictError);
      for (const field of [{ url: 'http://127.0.0.1:9/in' }, { headers: { 'X-A': '1' } }, { rateLimit: 5 }]) {
        await expect(api.endpoints.create(app.id, { kind: 'poll', ...field })).rejects.toThrow(
          /poll endpoint has no/,
        );
        await expect(api.endpoints.update(app.id, endpoint.id, field)).rejects.toThrow(
          /poll endpoint has no/,
        );
      }
      await expect(api.endpoints.create(app.id, { kind: 'push' })).rejects.toThrow(/needs a url/);
      const other = await api.apps.create({ name: 'Other' });
      await expect(api.pulls.receive(other.id, endpoint.id, 0)).rejects.toThrow(NotFoundError);
    });

    async function accepted(
      api: ApiServices,
      fanOut: FanOutService,
      appId: string,
      payload: Record<string, unknown>,
      eventType = 'order.placed',
    ): Promise<Message> {
      const { message } = await api.messages.accept(appId, { eventType, payload });
      await fanOut.fanOut(message);
      return message;
    }
  });
});
