import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { ITEM_KIND, ITEM_KIND_ATTRIBUTE, TTL_ATTRIBUTE } from '../../contract/tables';
import { idBoundsAt } from '../../core/ids';
import type { AttemptRequest, Message } from '../../core/model';
import type { MessageListFilter, MessageStore, Page } from '../../ports';
import { messageAttributes, messageFromItem } from './message-item';
import { decodeCursor, ignoringConditionFailure, isConditionalCheckFailed, queryPage } from './paging';

/**
 * Messages, partitioned by app and sorted by id (ids are time-ordered, so a reverse query
 * lists newest first and `after`/`before` become a key range).
 * - message:        pk appId, sk msgId, kind `message`
 * - eventId claim:  pk appId, sk `EVENTID#{eventId}`, kind `event-id`, holding the message's id and time
 * - attempt request: pk appId, sk `REQUEST#{id}`, kind `attempt-request`, holding the request
 * The table's stream (INSERT, NEW_IMAGE) drives fan-out; the stream filter in
 * `lambdas/contract/tables.ts` lets only messages through.
 */
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
    private readonly doc: DynamoDBDocumentClient,
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
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: message.appId,
            sk: claimSk(message.eventId),
            [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.eventIdClaim,
            msgId: message.id,
            timestamp: message.timestamp,
            [TTL_ATTRIBUTE]: this.expiryOf(message),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { message: await this.completeClaim(message, message.eventId), created: false };
    }
    if (await this.putMessage(message)) return { message, created: true };
    // A request sent again completed the claim first, with its own content: that is what was stored.
    return { message: (await this.get(message.appId, message.id)) ?? message, created: true };
  }

  async get(appId: string, msgId: string): Promise<Message | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: appId, sk: msgId }, ConsistentRead: true }),
    );
    return Item === undefined ? undefined : messageFromItem(Item);
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
    const startKey = decodeCursor(filter.cursor, { pk: appId }, KEYS, { name: 'sk', lowest, highest });
    return queryPage(
      this.doc,
      {
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :lowest AND :highest',
        ExpressionAttributeValues: {
          ':pk': appId,
          ':lowest': lowest,
          ':highest': highest,
          ...(filter.eventType === undefined ? {} : { ':eventType': filter.eventType }),
        },
        ...(filter.eventType === undefined ? {} : { FilterExpression: 'eventType = :eventType' }),
        ScanIndexForward: false,
        ConsistentRead: true,
      },
      { limit: filter.limit, startKey, keyNames: KEYS },
      messageFromItem,
    );
  }

  /** A key range of the app's partition, ascending from a key that need not exist (ExclusiveStartKey). */
  async listForward(
    appId: string,
    range: { readonly after: string; readonly through: string; readonly limit: number },
  ): Promise<{ readonly messages: readonly Message[]; readonly more: boolean }> {
    if (range.after >= range.through) return { messages: [], more: false };
    const { Items = [], LastEvaluatedKey } = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :after AND :through',
        ExpressionAttributeValues: { ':pk': appId, ':after': range.after, ':through': range.through },
        ExclusiveStartKey: { pk: appId, sk: range.after },
        Limit: range.limit,
        ConsistentRead: true,
      }),
    );
    return { messages: Items.map(messageFromItem), more: LastEvaluatedKey !== undefined };
  }

  /**
   * A request item in the app's partition (sk `REQUEST#{id}`), written with the new-item
   * marker like a message, so that fan-out (the stream on AWS, its stand-in locally) sees
   * it. Written once: a request sent again with the same id changes nothing.
   */
  async requestAttempts(request: AttemptRequest): Promise<void> {
    await ignoringConditionFailure(
      this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: request.appId,
            sk: `${REQUEST_PREFIX}${request.id}`,
            [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.attemptRequest,
            request,
            [TTL_ATTRIBUTE]: Math.floor(Date.parse(request.requestedAt) / 1000) + REQUEST_EXPIRY_SECONDS,
            ...this.options.newMessageMarker,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      ),
    );
  }

  /** Stores the message unless it is stored already; answers whether this call stored it. */
  private async putMessage(message: Message): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: message.appId,
            sk: message.id,
            [ITEM_KIND_ATTRIBUTE]: ITEM_KIND.message,
            ...messageAttributes(message),
            [TTL_ATTRIBUTE]: this.expiryOf(message),
            ...this.options.newMessageMarker,
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (error) {
      // Put first by a concurrent request that found the same claim.
      if (!isConditionalCheckFailed(error)) throw error;
      return false;
    }
  }

  /** The message a claim stands for: stored already, or stored now from `replay`'s content. */
  private async completeClaim(replay: Message, eventId: string): Promise<Message> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: replay.appId, sk: claimSk(eventId) },
        ConsistentRead: true,
      }),
    );
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
