import { ConflictError, NotFoundError } from '../core/errors';
import { isId, newId, timeOfId } from '../core/ids';
import { matchedWhenAccepted } from '../core/matching';
import type { Endpoint, Message, PullNotification } from '../core/model';
import { isPullable, pullWindow } from '../core/pull';
import type { Clock, DeliveryStore, MessageStore, PullAhead, PullHead, PullStateStore } from '../ports';
import type { EndpointService } from './endpoints';

/**
 * Pull delivery (README, "Pull delivery"): a poll endpoint's consumer receives the oldest
 * notification it has not deleted, again and again until it deletes it, in ascending
 * message-id order (a message stored late comes next instead, below), none missing, and
 * none again once its delete succeeded.
 *
 * How the order holds on AWS, with parallel fan-out invocations and retried stream batches:
 * the queue is not built by fan-out at all. The app's messages are already stored in id
 * order (messages table: by msgId within each of the app's shards, merged into one order
 * when read, written by one PutItem at acceptance: lambdas/adapters/dynamo/message-store.ts),
 * so a poll endpoint's queue is that log, read forward from the endpoint's cursor through the
 * endpoint's filters (lambdas/adapters/dynamo/pull-state-store.ts keeps the cursor). Fan-out
 * may run in any order, twice, or late: the order comes from the keys, not from it.
 *
 * What can still go wrong is a message that reaches the log after the reader has passed
 * its id: ids are minted by the API just before the write, so one request can store a
 * larger id before another stores a smaller one (and a message with an `eventId` is
 * written after its claim, possibly much later, by whoever completes the claim). The reader
 * therefore stops PULL_SETTLE_MS short of now (lambdas/core/pull.ts), and anything later
 * than that is caught, never lost:
 * - the cursor and the head change only by conditional writes on the cursor and head they
 *   were decided from, so two readers never both move on;
 * - the head comes with the matches its read found after it (`ahead`, up to AHEAD_MAX),
 *   served next from the state without reading the log again;
 * - after choosing a head and its `ahead` (or passing over messages that do not match) the
 *   reader reads that range once more: a message that turned up meanwhile is put where
 *   fan-out would put it (reconcile, below);
 * - fan-out, which runs after a message is stored, looks at each matching poll endpoint's
 *   state: a message behind the cursor and never pulled goes on the late list; one below
 *   the head replaces it; one below the last of `ahead`, and not in it, voids `ahead`.
 * Either the reader's second read sees the message, or fan-out sees the reader's write;
 * both end in the head, the late list or the log ahead of the reader. The late list is served before the log goes on
 * (after a head already handed out): such a message was accepted after what was served.
 * Adding to it is not conditional on the message not having been pulled, so a late
 * message is checked against its delivery's `pulledAt` (written before the cursor or the
 * list moves on) before it is offered: none comes twice.
 */

/** How often a waiting receive looks at the reader's state, and at the log when its tail says there is news. */
export const RECEIVE_LOOK_INTERVAL_MS = 250;
/**
 * How often a waiting receive reads the log whatever the tail says. The tail is raised by
 * fan-out, after a message is stored; a message whose fan-out has not run yet (or failed
 * and waits for its retry) is still found by these reads.
 */
const FULL_LOOK_INTERVAL_MS = 5_000;
/** Messages read per Query when walking the log for one that matches. */
const LOG_PAGE = 50;
/**
 * At most this many pages per walk, after which the reader moves its cursor over what it
 * passed and walks on: a filter that passes over a long run costs reads, never a wrong answer.
 */
const PAGES_PER_WALK = 4;
/**
 * At most this many matches after the head, from the read that chose it, are kept in the
 * reader's state (`ahead`) and served next without reading the log: with 16 shards a read
 * of the log is 16 Queries, and the second read (up to the last of them) another 16, so a
 * consumer draining a backlog reads the log twice per AHEAD_MAX + 1 notifications instead
 * of per notification. 16 message ids of 30 characters are about 500 bytes: with the rest
 * of the state (an event type of usual length, a short late list) the item stays under
 * 1 KB, one write unit a change.
 */
const AHEAD_MAX = 16;
/** Walks per look (each up to PAGES_PER_WALK pages): a look that only passes over messages the endpoint does not take ends there. */
const WALKS_PER_LOOK = 10;
/** How often a look starts again after another writer changed the state under it. */
const MAX_RACES = 8;

export class PullService {
  constructor(
    private readonly deps: {
      readonly endpoints: EndpointService;
      readonly messages: MessageStore;
      readonly deliveries: DeliveryStore;
      readonly pulls: PullStateStore;
      readonly clock: Clock;
      readonly sleep?: (ms: number) => Promise<void>;
    },
  ) {}

  /**
   * The endpoint's oldest notification not yet deleted, waiting up to `waitSeconds` for one
   * to arrive. While it waits, it looks every RECEIVE_LOOK_INTERVAL_MS at the reader's state
   * (one strongly consistent GetItem), and reads the log (one Query per shard of the app's
   * log, lambdas/adapters/dynamo/message-store.ts) when the state's tail is past the cursor
   * (and the retention floor), and every FULL_LOOK_INTERVAL_MS whatever it says. An idle 20 s receive: 80 GetItems and
   * 4 reads of the log, about 150 read request units.
   */
  async receive(
    appId: string,
    endpointId: string,
    waitSeconds: number,
  ): Promise<PullNotification | undefined> {
    const endpoint = await this.pollEndpoint(appId, endpointId);
    const sleep = this.deps.sleep ?? ((ms: number) => new Promise((resolve) => setTimeout(resolve, ms)));
    const deadline = Date.now() + waitSeconds * 1000;
    let fullLookAt = 0;
    for (;;) {
      const full = Date.now() >= fullLookAt;
      if (full) fullLookAt = Date.now() + FULL_LOOK_INTERVAL_MS;
      const found = await this.look(endpoint, full);
      if (found !== undefined) return found;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await sleep(Math.min(RECEIVE_LOOK_INTERVAL_MS, left));
    }
  }

  /** Deletes the notification with this receipt: the next receive returns the one after it. */
  async delete(appId: string, endpointId: string, receiptId: string): Promise<void> {
    const endpoint = await this.pollEndpoint(appId, endpointId);
    const state = await this.deps.pulls.get(endpoint.id);
    if (state.lastReceiptId === receiptId) return;
    const head = state.head;
    if (!isId('receipt', receiptId) || head === null || head.receiptId !== receiptId) {
      throw new NotFoundError('Receipt', receiptId);
    }
    // Pulled before the cursor moves: fan-out, finding the message behind the cursor, knows it was not missed.
    await this.deps.deliveries.markPulled(
      pollDelivery(endpoint, head.msgId, head.eventType),
      this.deps.clock.now().toISOString(),
    );
    if (!(await this.deps.pulls.confirm(endpoint.id, head))) {
      // Deleted by a concurrent call with the same receipt, or replaced by an earlier message.
      if ((await this.deps.pulls.get(endpoint.id)).lastReceiptId !== receiptId) {
        throw new NotFoundError('Receipt', receiptId);
      }
    }
  }

  private async pollEndpoint(appId: string, endpointId: string): Promise<Endpoint> {
    const endpoint = await this.deps.endpoints.ofKind(appId, endpointId, 'poll');
    if (endpoint.disabled) throw new ConflictError(`Endpoint ${endpointId} is disabled: enable it to pull.`);
    return endpoint;
  }

  /**
   * One look for the head: the current one, else the oldest late arrival, else the next
   * match in the log, which a look that is not `full` reads only when the tail says it has news.
   */
  private async look(endpoint: Endpoint, full: boolean): Promise<PullNotification | undefined> {
    const { pulls } = this.deps;
    let walks = 0;
    for (let race = 0; race < MAX_RACES && walks < WALKS_PER_LOOK; race += 1) {
      const state = await pulls.get(endpoint.id);
      const now = this.deps.clock.now();
      if (state.head !== null) {
        const served = await this.serve(endpoint, state.head, now);
        if (served !== undefined) return served;
        continue;
      }
      const expired = state.late.filter((msgId) => !isPullable(msgId, now, endpoint.createdAt));
      await pulls.dropLate(endpoint.id, expired);
      const oldestLate = state.late.find((msgId) => isPullable(msgId, now, endpoint.createdAt));
      if (oldestLate !== undefined) {
        const [message, delivery] = await Promise.all([
          this.deps.messages.get(endpoint.appId, oldestLate),
          this.deps.deliveries.get(oldestLate, endpoint.id),
        ]);
        // Gone, or pulled already (put back on the list by a writer that decided before the delete).
        if (message === undefined || typeof delivery?.pulledAt === 'string') {
          await pulls.dropLate(endpoint.id, [oldestLate]);
        } else {
          await this.offer(endpoint, state.cursor, message, true, now);
        }
        continue;
      }
      if (state.ahead.length > 0) {
        const served = await this.serveAhead(endpoint, state.cursor, state.ahead, state.aheadOf, now);
        if (served !== undefined) return served;
        continue;
      }
      const window = pullWindow({ now, endpointCreatedAt: endpoint.createdAt, cursor: state.cursor });
      // No news: nothing fanned out past the cursor, or only what has left the window
      // (window.after is the cursor or the retention floor, whichever is later).
      if (!full && (state.tail === null || state.tail <= window.after)) {
        return undefined;
      }
      const walked = await this.walk(endpoint, window.after, window.through);
      walks += 1;
      const [match, ...after] = walked.matches;
      if (match !== undefined) {
        const ahead = { msgIds: after.map((message) => message.id), of: endpoint.updatedAt };
        const head = await this.offer(endpoint, state.cursor, match, false, now, ahead);
        if (head === undefined) continue;
        // Read up to the last of them again: a message stored there meanwhile is put where
        // its fan-out would have put it, had fan-out seen this write (reconcile).
        const read = new Set([match.id, ...ahead.msgIds]);
        const missed = (await this.matchesIn(endpoint, window.after, ahead.msgIds.at(-1) ?? match.id)).filter(
          (msgId) => !read.has(msgId),
        );
        for (const msgId of missed) await reconcile(this.deps, endpoint, msgId);
        // One below the head comes first: look again.
        if (missed.some((msgId) => msgId < match.id)) continue;
        return { receiptId: head.receiptId, message: match };
      }
      if (walked.passed === undefined) return undefined;
      if (!(await pulls.advance(endpoint.id, state.cursor, walked.passed))) continue;
      // Read what was passed over again: a match stored there meanwhile is late, not lost.
      const missed = await this.matchesIn(endpoint, window.after, walked.passed);
      await pulls.addLate(endpoint.id, missed);
      if (missed.length === 0 && walked.complete) return undefined;
      // Progress, not a race: walk on from the new cursor.
      race -= 1;
    }
    return undefined;
  }

  /** The head as a notification; undefined (and the head gone) when it expired or its message did. */
  private async serve(endpoint: Endpoint, head: PullHead, now: Date): Promise<PullNotification | undefined> {
    const message = isPullable(head.msgId, now, endpoint.createdAt)
      ? await this.deps.messages.get(endpoint.appId, head.msgId)
      : undefined;
    if (message !== undefined) return { receiptId: head.receiptId, message };
    // Out of reach: the queue moves on past it, as after a delete, without counting it pulled.
    await this.deps.pulls.confirm(endpoint.id, head);
    return undefined;
  }

  /**
   * The first message of `ahead` as the head, unless the endpoint changed since it was read
   * or the message is out of reach or no longer taken: then `ahead` is dropped, and the
   * next look reads the log.
   */
  private async serveAhead(
    endpoint: Endpoint,
    cursor: string | null,
    ahead: readonly string[],
    aheadOf: string | null,
    now: Date,
  ): Promise<PullNotification | undefined> {
    const [first] = ahead;
    const message =
      first !== undefined && aheadOf === endpoint.updatedAt && isPullable(first, now, endpoint.createdAt)
        ? await this.deps.messages.get(endpoint.appId, first)
        : undefined;
    if (message === undefined || !takes(endpoint, message)) {
      await this.deps.pulls.dropAhead(endpoint.id);
      return undefined;
    }
    const head = headOf(message, false, now);
    if (!(await this.deps.pulls.takeAhead(endpoint.id, cursor, head))) return undefined;
    return { receiptId: head.receiptId, message };
  }

  private async offer(
    endpoint: Endpoint,
    cursor: string | null,
    message: Message,
    late: boolean,
    now: Date,
    ahead?: PullAhead,
  ): Promise<PullHead | undefined> {
    const head = headOf(message, late, now);
    return (await this.deps.pulls.setHead(endpoint.id, cursor, head, ahead)) ? head : undefined;
  }

  /**
   * Walks the log after `after` up to `through` for the first message the endpoint takes,
   * for at most PAGES_PER_WALK pages: `matches` are that one and the ones after it on the
   * same page (at most AHEAD_MAX of them, with nothing skipped between); when there is none,
   * `passed` is the last message walked over and `complete` says the walk reached `through`.
   */
  private async walk(
    endpoint: Endpoint,
    after: string,
    through: string,
  ): Promise<{ readonly matches: readonly Message[]; readonly passed?: string; readonly complete: boolean }> {
    let passed: string | undefined;
    const walked = (complete: boolean) =>
      passed === undefined ? { matches: [], complete } : { matches: [], passed, complete };
    let pages = 0;
    for await (const { messages, more } of this.logPages(endpoint.appId, after, through)) {
      const first = messages.findIndex((message) => takes(endpoint, message));
      if (first >= 0) {
        const matches = messages.slice(first).filter((message) => takes(endpoint, message));
        return { matches: matches.slice(0, AHEAD_MAX + 1), complete: false };
      }
      passed = messages.at(-1)?.id ?? passed;
      if (!more) break;
      pages += 1;
      if (pages === PAGES_PER_WALK) return walked(false);
    }
    return walked(true);
  }

  /** Every message the endpoint takes after `after` up to `through`. */
  private async matchesIn(endpoint: Endpoint, after: string, through: string): Promise<string[]> {
    const ids: string[] = [];
    for await (const { messages } of this.logPages(endpoint.appId, after, through)) {
      ids.push(...messages.filter((message) => takes(endpoint, message)).map((message) => message.id));
    }
    return ids;
  }

  /** The app's log after `after` up to `through`, a page at a time, for as long as the caller reads on. */
  private async *logPages(
    appId: string,
    after: string,
    through: string,
  ): AsyncGenerator<{ readonly messages: readonly Message[]; readonly more: boolean }> {
    let from = after;
    for (;;) {
      const page = await this.deps.messages.listForward(appId, { after: from, through, limit: LOG_PAGE });
      yield page;
      const last = page.messages.at(-1);
      if (!page.more || last === undefined) return;
      from = last.id;
    }
  }
}

/**
 * Fan-out's part for a poll endpoint and the new messages of a batch it matches: for each,
 * the delivery, succeeded (enqueueing is delivering), and the check that the endpoint's
 * reader has not passed the message by (see the top of this file); then the tail, once.
 * Safe to run twice, and in any order with the reader.
 */
export async function enqueueForPoll(
  deps: { readonly deliveries: DeliveryStore; readonly pulls: PullStateStore; readonly clock: Clock },
  endpoint: Endpoint,
  messages: readonly Message[],
): Promise<void> {
  const pullable = await Promise.all(
    messages.map(async (message) => {
      await deps.deliveries.createIfAbsent(pollDelivery(endpoint, message.id, message.eventType));
      if (!isPullable(message.id, deps.clock.now(), endpoint.createdAt)) return undefined;
      await reconcile(deps, endpoint, message.id);
      return message.id;
    }),
  );
  // The hint for waiting readers, raised once for all of them: it only says that the log
  // holds something up to there.
  const tail = pullable.reduce<string | undefined>(
    (newest, msgId) => (msgId !== undefined && (newest === undefined || msgId > newest) ? msgId : newest),
    undefined,
  );
  if (tail !== undefined) await deps.pulls.raiseTail(endpoint.id, tail);
}

/**
 * Puts a message the endpoint takes where its reader will serve it, given where the reader
 * stands now: behind the cursor and never pulled, on the late list; below the head (from
 * the log), in place of the head; between the entries of `ahead`, by dropping `ahead`; else
 * where it is, in the log ahead of the reader. Fan-out runs it for every message it
 * enqueues; the reader, for a message its second read found.
 */
async function reconcile(
  deps: { readonly deliveries: DeliveryStore; readonly pulls: PullStateStore },
  endpoint: Endpoint,
  msgId: string,
): Promise<void> {
  for (let race = 0; race < MAX_RACES; race += 1) {
    const state = await deps.pulls.get(endpoint.id);
    const lastAhead = state.ahead.at(-1);
    if (state.cursor !== null && msgId <= state.cursor) {
      const delivery = await deps.deliveries.get(msgId, endpoint.id);
      if (typeof delivery?.pulledAt === 'string' || state.late.includes(msgId)) return;
      if (await deps.pulls.addLate(endpoint.id, [msgId])) return;
    } else if (state.head !== null && !state.head.late && msgId < state.head.msgId) {
      if (await deps.pulls.dropHead(endpoint.id, state.head.receiptId)) return;
    } else if (
      lastAhead !== undefined &&
      msgId < lastAhead &&
      msgId !== state.head?.msgId &&
      !state.ahead.includes(msgId)
    ) {
      // Unconditional, so the state may have moved on meanwhile (a consumer took the first
      // of `ahead` as its head): look again, and place the message against what is there now.
      await deps.pulls.dropAhead(endpoint.id);
    } else {
      return;
    }
  }
  throw new Error(`The pull state of ${endpoint.id} kept changing while ${msgId} was placed.`);
}

function headOf(message: Message, late: boolean, now: Date): PullHead {
  return { msgId: message.id, eventType: message.eventType, receiptId: newId('receipt', now), late };
}

/**
 * Whether a poll endpoint takes the message: its filters as they were when the message was
 * accepted (lambdas/core/matching.ts). Disabling a poll endpoint pauses
 * its consumer (receive answers 409) and leaves its queue as it is, so `disabled` is not
 * one of them.
 */
export function takes(endpoint: Endpoint, message: Message): boolean {
  return matchedWhenAccepted(endpoint, message, { ignoringDisabled: true });
}

function pollDelivery(endpoint: Endpoint, msgId: string, eventType: string) {
  const acceptedAt = timeOfId(msgId).toISOString();
  return {
    msgId,
    appId: endpoint.appId,
    endpointId: endpoint.id,
    eventType,
    status: 'succeeded' as const,
    attemptCount: 0,
    nextAttemptAt: null,
    lastAttempt: null,
    createdAt: acceptedAt,
    pulledAt: null,
  };
}
