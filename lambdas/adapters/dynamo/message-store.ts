import { ITEM_KIND, ITEM_KIND_ATTRIBUTE, TTL_ATTRIBUTE } from '../../contract/tables';
import { idBoundsAt } from '../../core/ids';
import type { AttemptRequest, Message } from '../../core/model';
import type { MessageListFilter, MessageStore, Page } from '../../ports';
import type { Documents } from './documents';
import { messageAttributes, messageFromItem } from './message-item';
import { decodeCursor, encodeCursor, ignoringConditionFailure, isConditionalCheckFailed } from './paging';
import { mergeShards, type ShardPage } from './sharded-log';

/**
 * Messages, each application's spread over LOG_SHARDS partition keys and sorted by id
 * within each (ids are time-ordered, so a reverse query lists newest first and
 * `after`/`before` become a key range; sharded-log.ts merges the shards back into one order).
 * - message:         pk `{appId}#{shard of msgId}`, sk msgId, kind `message`
 * - eventId claim:   pk `{appId}#{shard of the claim's sk}`, sk `EVENTID#{eventId}`, kind
 *   `event-id`, holding the message's id and time
 * - attempt request: pk `{appId}#{shard of the request id}`, sk `REQUEST#{id}`, kind
 *   `attempt-request`, holding the request
 * The table's stream (INSERT, NEW_IMAGE) drives fan-out; the stream filter in
 * `lambdas/contract/tables.ts` lets only messages and requests through.
 */

/**
 * Why 16: one partition takes 1,000 write units a second. A 1 KiB message is one unit
 * (deflated, message-item.ts) and its eventId claim another, so one key would hold an
 * application near 500 messages a second, and ids only grow, so every write of a key lands
 * at its end, where DynamoDB's splitting for heat cannot help. Spread by a hash of the id,
 * 16 keys take 3,000 messages a second (6,000 units) at 375 units each, under half of
 * what one allows. The price is on reads in id order: a page of the message list or of a
 * poll endpoint's queue queries all 16 keys (16 strongly consistent read requests, each
 * of at least one unit: 16 units a page or more). Changing it moves every message: it is fixed.
 */
export const LOG_SHARDS = 16;

/** A query of an application's log, as each of its shards is asked (`:pk` is the shard's key). */
interface LogQuery {
  readonly KeyConditionExpression: string;
  readonly ExpressionAttributeValues: Record<string, unknown>;
  readonly FilterExpression?: string;
  readonly ScanIndexForward?: boolean;
}

/** FNV-1a: a fast, well-spread hash of the id; any id lands on a shard computable from it. */
export function shardOf(key: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % LOG_SHARDS;
}

const shardSuffix = (shard: number) => `#${String(shard).padStart(2, '0')}`;
const shardPk = (appId: string, shard: number) => `${appId}${shardSuffix(shard)}`;
/** The key of an item of an application's log, by its sort key. */
export const logKey = (appId: string, sk: string) => ({ pk: shardPk(appId, shardOf(sk)), sk });
/**
 * Whether an item of the messages table is keyed as {@link logKey} keys it. An item written
 * before the log had shards is not: its pk is the app id alone, and an app id never ends
 * in `#` and two digits (lambdas/core/ids.ts). lambdas/local/data-format.ts moves such items.
 */
export const isShardedLogKey = (pk: string, sk: string) => pk.endsWith(shardSuffix(shardOf(sk)));
export const messageKey = (appId: string, msgId: string) => logKey(appId, msgId);
export const claimKey = (appId: string, eventId: string) => logKey(appId, claimSk(eventId));

const KEYS = ['pk', 'sk'];
const REQUEST_PREFIX = 'REQUEST#';
/** A request is acted on within moments; its item is kept a day, for whoever looks into it. */
const REQUEST_EXPIRY_SECONDS = 86_400;

export interface DynamoMessageStoreOptions {
  readonly retentionDays: number;
  /**
   * Attributes written with every new message item, in the same PutItem. Local mode marks
   * new messages for its stream stand-in this way (see adapters/local/local-stream.ts).
   */
  readonly newMessageMarker?: Readonly<Record<string, string>>;
}

export class DynamoMessageStore implements MessageStore {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
    private readonly options: DynamoMessageStoreOptions,
  ) {}

  /**
   * Without an eventId: one conditional put. With one: the claim is written first and
   * decides which message wins; the message follows. The claim holds the winner's id and
   * time, not its payload (a small item: one write unit, whatever the payload's size). A
   * claim whose message is missing (a create that died in between, or one still under way)
   * is completed by whoever finds it, with its own content under the claimed id and time: a
   * request sent again with the same eventId is the same request.
   */
  async accept(message: Message): Promise<{ message: Message; created: boolean }> {
    if (message.eventId === null) {
      await this.putMessage(message);
      return { message, created: true };
    }
    try {
      await this.doc.put({
        TableName: this.tableName,
        Item: {
          ...claimKey(message.appId, message.eventId),
          [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.eventIdClaim,
          msgId: message.id,
          timestamp: message.timestamp,
          [TTL_ATTRIBUTE]: this.expiryOf(message),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { message: await this.completeClaim(message, message.eventId), created: false };
    }
    if (await this.putMessage(message)) return { message, created: true };
    // A request sent again completed the claim first, with its own content: that is what was stored.
    return { message: (await this.get(message.appId, message.id)) ?? message, created: true };
  }

  async get(appId: string, msgId: string): Promise<Message | undefined> {
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: messageKey(appId, msgId),
      ConsistentRead: true,
    });
    return Item === undefined ? undefined : messageFromItem(Item);
  }

  async getByEventId(appId: string, eventId: string): Promise<Message | undefined> {
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: claimKey(appId, eventId),
      ConsistentRead: true,
    });
    if (Item === undefined) return undefined;
    // Claims written before they stopped holding the message still do (they expire with it).
    if (Item.message !== undefined) return messageFromItem(Item.message as Record<string, unknown>);
    return this.get(appId, Item.msgId as string);
  }

  async list(appId: string, filter: MessageListFilter): Promise<Page<Message>> {
    const lowest =
      filter.after === undefined
        ? 'msg_'
        : idBoundsAt('message', new Date(filter.after.getTime() + 1)).lowest;
    const highest =
      filter.before === undefined
        ? 'msg_~'
        : idBoundsAt('message', new Date(filter.before.getTime() - 1)).highest;
    // An empty window (after ≥ before) is an empty list; DynamoDB would refuse the inverted range.
    if (lowest > highest) return { data: [], nextCursor: null };
    const cursor = decodeCursor(filter.cursor, { pk: appId }, KEYS, { name: 'sk', lowest, highest });
    const { items, more, resumeAfter } = await this.readLog(
      appId,
      cursor?.sk as string | undefined,
      filter.limit,
      {
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lowest AND :highest',
        ExpressionAttributeValues: {
          ':lowest': lowest,
          ':highest': highest,
          ...(filter.eventType === undefined ? {} : { ':eventType': filter.eventType }),
        },
        ...(filter.eventType === undefined ? {} : { FilterExpression: 'eventType = :eventType' }),
        ScanIndexForward: false,
      },
    );
    // The cursor names the last id listed (every shard goes on from there), or, on a page
    // that a sparse eventType filter left empty, how far every shard was read.
    const goOnAfter = (items.at(-1)?.sk as string | undefined) ?? resumeAfter;
    return {
      data: items.map(messageFromItem),
      nextCursor: more && goOnAfter !== undefined ? encodeCursor({ pk: appId, sk: goOnAfter }) : null,
    };
  }

  /** A key range of the app's log, ascending from a key that need not exist. */
  async listForward(
    appId: string,
    range: { readonly after: string; readonly through: string; readonly limit: number },
  ): Promise<{ readonly messages: readonly Message[]; readonly more: boolean }> {
    if (range.after >= range.through) return { messages: [], more: false };
    const { items, more } = await this.readLog(appId, range.after, range.limit, {
      KeyConditionExpression: 'pk = :pk AND sk BETWEEN :after AND :through',
      ExpressionAttributeValues: { ':after': range.after, ':through': range.through },
    });
    return { messages: items.map(messageFromItem), more };
  }

  /** Up to `limit` items of a query of the app's log, merged from its shards, from after `start`. */
  private readLog(appId: string, start: string | undefined, limit: number, query: LogQuery) {
    return mergeShards<Record<string, unknown>>({
      shards: LOG_SHARDS,
      start,
      limit,
      descending: query.ScanIndexForward === false,
      sortKeyOf: (item) => item.sk as string,
      readPage: (shard, after, pageLimit) => this.readShard(shardPk(appId, shard), after, pageLimit, query),
    });
  }

  /** One page of one shard's part of a query, from after `after` (a key that need not exist). */
  private async readShard(
    pk: string,
    after: string | undefined,
    limit: number,
    query: LogQuery,
  ): Promise<ShardPage<Record<string, unknown>>> {
    const { Items = [], LastEvaluatedKey } = await this.doc.query({
      TableName: this.tableName,
      ...query,
      ExpressionAttributeValues: { ...query.ExpressionAttributeValues, ':pk': pk },
      ...(after === undefined ? {} : { ExclusiveStartKey: { pk, sk: after } }),
      Limit: limit,
      ConsistentRead: true,
    });
    return { items: Items, lastSortKey: LastEvaluatedKey?.sk as string | undefined };
  }

  /**
   * A request item in the app's log (sk `REQUEST#{id}`), written with the new-item
   * marker like a message, so that fan-out (the stream on AWS, its stand-in locally) sees
   * it. Written once: a request sent again with the same id changes nothing.
   */
  async requestAttempts(request: AttemptRequest): Promise<void> {
    await ignoringConditionFailure(
      this.doc.put({
        TableName: this.tableName,
        Item: {
          ...logKey(request.appId, `${REQUEST_PREFIX}${request.id}`),
          [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.attemptRequest,
          request,
          [TTL_ATTRIBUTE]: Math.floor(Date.parse(request.requestedAt) / 1000) + REQUEST_EXPIRY_SECONDS,
          ...this.options.newMessageMarker,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  /** Stores the message unless it is stored already; answers whether this call stored it. */
  private async putMessage(message: Message): Promise<boolean> {
    try {
      await this.doc.put({
        TableName: this.tableName,
        Item: {
          ...messageKey(message.appId, message.id),
          [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.message,
          ...messageAttributes(message),
          [TTL_ATTRIBUTE]: this.expiryOf(message),
          ...this.options.newMessageMarker,
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      return true;
    } catch (error) {
      // Put first by a concurrent request that found the same claim.
      if (!isConditionalCheckFailed(error)) throw error;
      return false;
    }
  }

  /** The message a claim stands for: stored already, or stored now from `replay`'s content. */
  private async completeClaim(replay: Message, eventId: string): Promise<Message> {
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: claimKey(replay.appId, eventId),
      ConsistentRead: true,
    });
    if (Item === undefined) throw new Error(`The claim for eventId ${eventId} vanished while it was read.`);
    // Claims written before they stopped holding the message still do (they expire with it).
    const claimed =
      Item.message === undefined
        ? { ...replay, id: Item.msgId as string, timestamp: Item.timestamp as string }
        : messageFromItem(Item.message as Record<string, unknown>);
    const stored = await this.get(replay.appId, claimed.id);
    if (stored !== undefined) return stored;
    await this.putMessage(claimed);
    // A concurrent completion (or the first request, late) may have stored it first: its content wins.
    return (await this.get(replay.appId, claimed.id)) ?? claimed;
  }

  private expiryOf(message: Message): number {
    return Math.floor(Date.parse(message.timestamp) / 1000) + this.options.retentionDays * 86_400;
  }
}

function claimSk(eventId: string): string {
  return `EVENTID#${eventId}`;
}
