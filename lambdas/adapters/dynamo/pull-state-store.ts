import { TTL_ATTRIBUTE } from '../../contract/tables';
import type { PullAhead, PullHead, PullState, PullStateStore } from '../../ports';
import type { Documents } from './documents';
import { isConditionalCheckFailed } from './paging';

/**
 * A state item that nobody writes for this long expires: by then every message its cursor
 * or late list speaks of is past the day of retention, and a reader without a state starts
 * a day back, which is exactly right.
 */
const IDLE_EXPIRY_SECONDS = 2 * 86_400;

const EMPTY: PullState = {
  cursor: null,
  head: null,
  late: [],
  ahead: [],
  aheadOf: null,
  lastReceiptId: null,
  tail: null,
};

/**
 * Poll endpoints' reader states in the deliveries table, one item per endpoint (pk and sk
 * `PULL#{endpointId}`): `cursor`, the head (`headMsgId`, `headEventType`, `headReceipt`,
 * `headLate`), `late` (a string set of message ids), `ahead` (a list of message ids) and
 * `aheadOf`, `lastReceiptId` and `tail`. Each change is one UpdateItem whose condition is
 * the state it was decided from. With `ahead` at its longest the item stays under 1 KB,
 * one write unit a change, as long as the event type is of usual length and the late list
 * short (lambdas/services/pull.ts, AHEAD_MAX).
 */
export class DynamoPullStateStore implements PullStateStore {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
  ) {}

  async get(endpointId: string): Promise<PullState> {
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: stateKey(endpointId),
      ConsistentRead: true,
    });
    if (Item === undefined) return EMPTY;
    return {
      cursor: (Item.cursor as string | undefined) ?? null,
      head:
        typeof Item.headReceipt === 'string'
          ? {
              msgId: Item.headMsgId as string,
              eventType: Item.headEventType as string,
              receiptId: Item.headReceipt,
              late: Item.headLate === true,
            }
          : null,
      late: Item.late instanceof Set ? [...(Item.late as Set<string>)].sort() : [],
      ahead: Array.isArray(Item.ahead) ? (Item.ahead as string[]) : [],
      aheadOf: (Item.aheadOf as string | undefined) ?? null,
      lastReceiptId: (Item.lastReceiptId as string | undefined) ?? null,
      tail: (Item.tail as string | undefined) ?? null,
    };
  }

  setHead(endpointId: string, cursor: string | null, head: PullHead, ahead?: PullAhead): Promise<boolean> {
    const withAhead = ahead !== undefined && ahead.msgIds.length > 0;
    return this.update(endpointId, {
      set: { ...headAttributes(head), ...(withAhead ? { ahead: [...ahead.msgIds], aheadOf: ahead.of } : {}) },
      ...(ahead !== undefined && !withAhead ? { remove: AHEAD_ATTRIBUTES } : {}),
      condition: [
        'attribute_not_exists(#headReceipt)',
        cursorIs(cursor),
        ...(head.late ? ['contains(#late, :headMsgId)'] : []),
      ].join(' AND '),
      values: cursor === null ? {} : { ':expectedCursor': cursor },
    });
  }

  takeAhead(endpointId: string, cursor: string | null, head: PullHead): Promise<boolean> {
    return this.update(endpointId, {
      set: headAttributes(head),
      remove: ['#ahead[0]'],
      condition: `attribute_not_exists(#headReceipt) AND ${cursorIs(cursor)} AND #ahead[0] = :headMsgId`,
      values: cursor === null ? {} : { ':expectedCursor': cursor },
    });
  }

  async dropAhead(endpointId: string): Promise<void> {
    await this.update(endpointId, { remove: AHEAD_ATTRIBUTES });
  }

  dropHead(endpointId: string, receiptId: string): Promise<boolean> {
    return this.update(endpointId, {
      remove: [...HEAD_ATTRIBUTES, ...AHEAD_ATTRIBUTES],
      condition: '#headReceipt = :receipt',
      values: { ':receipt': receiptId },
    });
  }

  confirm(endpointId: string, head: PullHead): Promise<boolean> {
    return this.update(endpointId, {
      set: { lastReceiptId: head.receiptId, ...(head.late ? {} : { cursor: head.msgId }) },
      remove: HEAD_ATTRIBUTES,
      ...(head.late ? { deleteFromLate: [head.msgId] } : {}),
      condition: '#headReceipt = :receipt',
      values: { ':receipt': head.receiptId },
    });
  }

  advance(endpointId: string, cursor: string | null, to: string): Promise<boolean> {
    return this.update(endpointId, {
      set: { cursor: to },
      condition: `attribute_not_exists(#headReceipt) AND ${cursorIs(cursor)}`,
      values: cursor === null ? {} : { ':expectedCursor': cursor },
    });
  }

  addLate(endpointId: string, msgIds: readonly string[]): Promise<boolean> {
    if (msgIds.length === 0) return Promise.resolve(true);
    return this.update(endpointId, {
      addToLate: msgIds,
      condition: '#cursor >= :newest',
      values: { ':newest': [...msgIds].sort().at(-1) as string },
    });
  }

  async dropLate(endpointId: string, msgIds: readonly string[]): Promise<void> {
    if (msgIds.length > 0) await this.update(endpointId, { deleteFromLate: msgIds });
  }

  async raiseTail(endpointId: string, msgId: string): Promise<void> {
    await this.update(endpointId, {
      set: { tail: msgId },
      condition: 'attribute_not_exists(#tail) OR #tail < :tail',
    });
  }

  /** One UpdateItem; answers false when its condition does not hold. */
  private async update(
    endpointId: string,
    change: {
      readonly set?: Readonly<Record<string, string | boolean | readonly string[]>>;
      readonly remove?: readonly string[];
      readonly addToLate?: readonly string[];
      readonly deleteFromLate?: readonly string[];
      readonly condition?: string;
      readonly values?: Readonly<Record<string, string>>;
    },
  ): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':expires': Math.floor(Date.now() / 1000) + IDLE_EXPIRY_SECONDS,
      ...change.values,
    };
    const sets = ['#expires = :expires'];
    for (const [name, value] of Object.entries(change.set ?? {})) {
      values[`:${name}`] = value;
      sets.push(`#${name} = :${name}`);
    }
    const clauses = [`SET ${sets.join(', ')}`];
    if (change.remove !== undefined) clauses.push(`REMOVE ${change.remove.join(', ')}`);
    if (change.addToLate !== undefined) {
      values[':added'] = new Set(change.addToLate);
      clauses.push('ADD #late :added');
    }
    if (change.deleteFromLate !== undefined) {
      values[':deleted'] = new Set(change.deleteFromLate);
      clauses.push('DELETE #late :deleted');
    }
    const expression = clauses.join(' ');
    // DynamoDB refuses a name that no expression uses: name exactly those that appear.
    const used = `${expression} ${change.condition ?? ''}`.match(/#\w+/g) ?? [];
    const names = Object.fromEntries(
      [...new Set(used)].map((token) => [token, token === '#expires' ? TTL_ATTRIBUTE : token.slice(1)]),
    );
    try {
      await this.doc.update({
        TableName: this.tableName,
        Key: stateKey(endpointId),
        UpdateExpression: expression,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ...(change.condition === undefined ? {} : { ConditionExpression: change.condition }),
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

const HEAD_ATTRIBUTES = ['#headMsgId', '#headEventType', '#headReceipt', '#headLate'];
const AHEAD_ATTRIBUTES = ['#ahead', '#aheadOf'];

const headAttributes = (head: PullHead) => ({
  headMsgId: head.msgId,
  headEventType: head.eventType,
  headReceipt: head.receiptId,
  headLate: head.late,
});

const stateKey = (endpointId: string) => ({ pk: `PULL#${endpointId}`, sk: `PULL#${endpointId}` });

/** The condition that the cursor is still the one a decision was made from. */
const cursorIs = (cursor: string | null) =>
  cursor === null ? 'attribute_not_exists(#cursor)' : '#cursor = :expectedCursor';
