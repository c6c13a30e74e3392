import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { idBoundsAt } from '../../../core/ids';
import type { Message } from '../../../core/model';
import type { MessageListFilter, MessageStore, Page } from '../../../ports';
import { decodeCursor, isConditionalCheckFailed, queryPage } from './paging';

/**
 * Messages, partitioned by app and sorted by id (ids are time-ordered, so a reverse query
 * lists newest first and `after`/`before` become a key range).
 * - message:        pk appId, sk msgId, kind `message`
 * - eventId claim:  pk appId, sk `EVENTID#{eventId}`, kind `event-id`, holding the message
 * The payload is kept as JSON text (`payloadJson`): any JSON object the API accepts is
 * stored as sent, whatever DynamoDB's rules for maps (empty keys, nesting depth, numbers).
 * The table's stream (INSERT, NEW_IMAGE) drives fan-out; claims are filtered out there.
 */
const KIND_MESSAGE = 'message';
const KIND_EVENT_ID = 'event-id';
const KEYS = ['pk', 'sk'];

/**
 * Local mode has no DynamoDB Streams: a message item written with this attribute shows up
 * in the sparse `pendingStream` index until the local stream poller has handed it to
 * fan-out. It is part of the same single write, so no accepted message can miss fan-out.
 */
export const STREAM_PENDING_ATTRIBUTE = 'streamPending';
export const STREAM_PENDING_VALUE = 'pending';

export interface DynamoMessageStoreOptions {
  readonly retentionDays: number;
  /** Mark new messages for the local stream poller (local mode only). */
  readonly emulateStream: boolean;
}

export class DynamoMessageStore implements MessageStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
    private readonly options: DynamoMessageStoreOptions,
  ) {}

  /**
   * Without an eventId: one conditional put. With one: the claim is written first and
   * decides which message wins; the message follows. A claim whose message is missing
   * (a create that died in between, or one still under way) is completed by whoever finds it.
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
            kind: KIND_EVENT_ID,
            message: messageAttributes(message),
            expiresAt: this.expiryOf(message),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return { message: await this.completeClaim(message.appId, message.eventId), created: false };
    }
    await this.putMessage(message);
    return { message, created: true };
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

  private async putMessage(message: Message): Promise<void> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: message.appId,
            sk: message.id,
            kind: KIND_MESSAGE,
            ...messageAttributes(message),
            expiresAt: this.expiryOf(message),
            ...(this.options.emulateStream ? { [STREAM_PENDING_ATTRIBUTE]: STREAM_PENDING_VALUE } : {}),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
    } catch (error) {
      // The same message, put by a concurrent request that found the same claim: already done.
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  private async completeClaim(appId: string, eventId: string): Promise<Message> {
    const { Item } = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: appId, sk: claimSk(eventId) },
        ConsistentRead: true,
      }),
    );
    if (Item === undefined) throw new Error(`The claim for eventId ${eventId} vanished while it was read.`);
    const first = messageFromItem(Item.message as Record<string, unknown>);
    if ((await this.get(appId, first.id)) === undefined) await this.putMessage(first);
    return first;
  }

  private expiryOf(message: Message): number {
    return Math.floor(Date.parse(message.timestamp) / 1000) + this.options.retentionDays * 86_400;
  }
}

function claimSk(eventId: string): string {
  return `EVENTID#${eventId}`;
}

/** The attributes of a message in its item (and in an eventId claim). */
export function messageAttributes(message: Message): Record<string, unknown> {
  const { payload, ...rest } = message;
  return { ...rest, payloadJson: JSON.stringify(payload) };
}

export function messageFromItem(item: Record<string, unknown>): Message {
  return {
    id: item.id as string,
    appId: item.appId as string,
    eventType: item.eventType as string,
    eventId: (item.eventId as string | null | undefined) ?? null,
    payload: JSON.parse(item.payloadJson as string) as Message['payload'],
    channels: (item.channels as string[] | null | undefined) ?? null,
    timestamp: item.timestamp as string,
  };
}

/** The message in a stream record's NEW_IMAGE, or undefined for other items (eventId claims). */
export function messageFromStreamImage(image: Record<string, AttributeValue>): Message | undefined {
  const item = unmarshall(image);
  return item.kind === KIND_MESSAGE ? messageFromItem(item) : undefined;
}
