/**
 * The DynamoDB tables both sides must agree on: `lib/storage.ts` deploys them from these
 * definitions, `lambdas/adapters/dynamo/tables.ts` creates them for local mode and tests,
 * and the stores read and write them (their item layouts are documented beside each store).
 * Every key attribute is a string.
 */

export interface IndexDefinition {
  readonly partitionKey: string;
  readonly sortKey: string;
  /** The attributes the index copies besides the keys; every attribute when absent. */
  readonly projection?: readonly string[];
}

export interface TableDefinition {
  readonly partitionKey: string;
  readonly sortKey: string;
  /** Global secondary indexes by name. */
  readonly indexes: Readonly<Record<string, IndexDefinition>>;
  /** The table's change stream, when something consumes it. */
  readonly stream?: 'NEW_IMAGE';
}

export const PARTITION_KEY = 'pk';
export const SORT_KEY = 'sk';

/** Items expire through this attribute (epoch seconds): DynamoDB's TTL on AWS, a sweeper in local mode. */
export const TTL_ATTRIBUTE = 'expiresAt';

export const INDEX = {
  /** catalog: every item of one kind (apps, event types) in id order. */
  byKind: 'byKind',
  /**
   * deliveries: one endpoint's deliveries (by message id), attempts (by attempt id) and
   * failure markers (by message id), in time order.
   */
  byEndpoint: 'byEndpoint',
} as const;

const keyed = { partitionKey: PARTITION_KEY, sortKey: SORT_KEY } as const;

/**
 * The attributes of an attempt record, and all that the byEndpoint index copies of an item:
 * an endpoint's attempts are listed from the index alone. A delivery's state (status,
 * attemptCount, lastAttempt, pulledAt) stays out of it, so the writes that change that
 * state write the table only: were it copied, each of them would write the index too, a
 * second write unit per attempt. Counting an endpoint's deliveries reads their state from
 * the table instead (lambdas/adapters/dynamo/delivery-store.ts).
 */
export const ATTEMPT_ATTRIBUTES = [
  'id',
  'msgId',
  'appId',
  'endpointId',
  'attemptNumber',
  'trigger',
  'timestamp',
  'durationMs',
  'outcome',
  'responseStatus',
  'responseBody',
  'error',
] as const;

export const TABLES = {
  /** Apps, uid claims, event types, endpoints. */
  catalog: { ...keyed, indexes: { [INDEX.byKind]: { partitionKey: 'kindPk', sortKey: 'kindSk' } } },
  /** Messages and `eventId` claims; its stream drives fan-out. */
  messages: { ...keyed, indexes: {}, stream: 'NEW_IMAGE' },
  /** Delivery state and the attempt log, per message. */
  deliveries: {
    ...keyed,
    indexes: {
      [INDEX.byEndpoint]: {
        partitionKey: 'endpointPk',
        sortKey: 'endpointSk',
        projection: ATTEMPT_ATTRIBUTES,
      },
    },
  },
} as const satisfies Record<string, TableDefinition>;

export type TableName = keyof typeof TABLES;
export const TABLE_NAMES = Object.keys(TABLES) as TableName[];

/** Items of the messages table say what they are in this attribute. */
export const ITEM_KIND_ATTRIBUTE = 'kind';
export const ITEM_KIND = {
  /** An accepted message: its INSERT is what fan-out acts on. */
  message: 'message',
  /** The claim that makes an `eventId` unique within its app. */
  eventIdClaim: 'event-id',
  /** A request for attempts outside the ladder (resend, recover, test send): fan-out acts on it too. */
  attemptRequest: 'attempt-request',
} as const;

/**
 * Which records of the messages table's stream reach the fan-out function: new messages
 * and attempt requests only (an EventBridge-style pattern, as Lambda's event filtering
 * reads it). Claims and later changes of an item are not fanned out.
 */
export const FAN_OUT_STREAM_FILTER = {
  eventName: ['INSERT'],
  dynamodb: { NewImage: { [ITEM_KIND_ATTRIBUTE]: { S: [ITEM_KIND.message, ITEM_KIND.attemptRequest] } } },
} as const;
