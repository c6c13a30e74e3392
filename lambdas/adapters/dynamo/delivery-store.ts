import { type ATTEMPT_ATTRIBUTES, INDEX, TABLES, TTL_ATTRIBUTE } from '../../contract/tables';
import { idBoundsAt, timeOfId } from '../../core/ids';
import type { Attempt, AttemptError, Delivery } from '../../core/model';
import type { AttemptRecord, DeliveryCounts, DeliveryStore, Page, PageRequest } from '../../ports';
import type { Documents } from './documents';
import {
  batchGetAll,
  decodeCursor,
  isConditionalCheckFailed,
  prefixRange,
  queryAll,
  queryPage,
  scanPages,
} from './paging';

/**
 * Deliveries and attempts, partitioned by message (a message's whole story in one query).
 * - delivery: pk msgId, sk `D#{endpointId}`; `lastRequestedNumber`, once an attempt was
 *   made on request, the last number such an attempt was given
 * - attempt:  pk msgId, sk `A#{endpointId}#{attemptNumber, 3 digits}`: one record per attempt
 *   number, so an attempt made again after a crash replaces its earlier record; an attempt
 *   made on request, sk `A#{endpointId}#R#{requestId}`: one record per request
 * - failure marker: pk msgId, sk `F#{endpointId}`: written when a delivery fails (before
 *   its state says so) and deleted when it later succeeds (after its state says so), so
 *   that an endpoint's failed deliveries are found without reading all of its deliveries.
 *   A marker may outlive its failure (a crash between the two writes, a retry that then
 *   succeeded): readers keep only markers whose delivery is failed now.
 * All carry the byEndpoint index's keys, for an endpoint's own view: endpointPk is the
 * endpoint id, endpointSk `D#{msgId}`, `A#{attemptId}` or `F#{msgId}` (ids sort by time).
 * The index copies an attempt whole but a delivery's keys only, so recording an attempt's
 * outcome on its delivery writes no index entry (lambdas/contract/tables.ts,
 * ATTEMPT_ATTRIBUTES). A delivery that succeeds at once pays nothing for the markers.
 */
const KEYS = ['pk', 'sk'];
/** The index copies every field of an attempt, and nothing but attempt fields (checked here). */
type UncopiedAttemptField = Exclude<keyof Attempt, (typeof ATTEMPT_ATTRIBUTES)[number]>;
type NonAttemptField = Exclude<(typeof ATTEMPT_ATTRIBUTES)[number], keyof Attempt>;
const _attemptCopiedWhole: [UncopiedAttemptField, NonAttemptField] extends [never, never] ? true : never =
  true;
const deliveryKey = (msgId: string, endpointId: string) => ({ pk: msgId, sk: `D#${endpointId}` });
const ATTEMPT_PREFIX = 'A#';
const DELIVERY_PREFIX = 'D#';
const FAILURE_PREFIX = 'F#';
const failureKey = (msgId: string, endpointId: string) => ({
  pk: msgId,
  sk: `${FAILURE_PREFIX}${endpointId}`,
});
const BY_ENDPOINT = TABLES.deliveries.indexes[INDEX.byEndpoint];
const BY_ENDPOINT_KEYS = [...KEYS, BY_ENDPOINT.partitionKey, BY_ENDPOINT.sortKey];
const byEndpointKey = (endpointId: string, sortValue: string) => ({
  [BY_ENDPOINT.partitionKey]: endpointId,
  [BY_ENDPOINT.sortKey]: sortValue,
});
/** A ladder attempt by its number; a requested one by its request, after the numbers. */
const attemptSk = (attempt: Pick<Attempt, 'endpointId' | 'attemptNumber'>, requestId?: string) =>
  requestId === undefined
    ? `${ATTEMPT_PREFIX}${attempt.endpointId}#${String(attempt.attemptNumber).padStart(3, '0')}`
    : requestedAttemptSk(attempt.endpointId, requestId);
const requestedAttemptSk = (endpointId: string, requestId: string) =>
  `${ATTEMPT_PREFIX}${endpointId}#R#${requestId}`;

export class DynamoDeliveryStore implements DeliveryStore {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
    private readonly options: { readonly retentionDays: number },
  ) {}

  async createIfAbsent(delivery: Delivery): Promise<boolean> {
    try {
      await this.doc.put({
        TableName: this.tableName,
        Item: {
          ...deliveryKey(delivery.msgId, delivery.endpointId),
          ...byEndpointKey(delivery.endpointId, `${DELIVERY_PREFIX}${delivery.msgId}`),
          ...delivery,
          [TTL_ATTRIBUTE]: this.expiryFrom(delivery.createdAt),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async get(msgId: string, endpointId: string): Promise<Delivery | undefined> {
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: deliveryKey(msgId, endpointId),
      ConsistentRead: true,
    });
    return Item === undefined ? undefined : deliveryFromItem(Item);
  }

  async listForMessage(msgId: string): Promise<readonly Delivery[]> {
    const items = await queryAll(this.doc, this.prefixQuery(msgId, 'D#'));
    return items.map(deliveryFromItem);
  }

  async saveAttempt(attempt: Attempt, requestId?: string): Promise<void> {
    await this.doc.put({
      TableName: this.tableName,
      Item: {
        pk: attempt.msgId,
        sk: attemptSk(attempt, requestId),
        ...byEndpointKey(attempt.endpointId, `${ATTEMPT_PREFIX}${attempt.id}`),
        ...attempt,
        [TTL_ATTRIBUTE]: this.expiryFrom(attempt.timestamp),
      },
    });
  }

  async recordAttempt(
    msgId: string,
    endpointId: string,
    expectedAttemptCount: number,
    record: AttemptRecord,
  ): Promise<boolean> {
    if (record.status === 'failed') await this.markFailure(msgId, endpointId);
    try {
      await this.doc.update({
        TableName: this.tableName,
        Key: deliveryKey(msgId, endpointId),
        UpdateExpression:
          'SET #status = :status, attemptCount = :count, nextAttemptAt = :next, lastAttempt = :last',
        ConditionExpression: 'attemptCount = :expected AND #status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': record.status,
          ':count': record.attemptCount,
          ':next': record.nextAttemptAt,
          ':last': record.lastAttempt,
          ':expected': expectedAttemptCount,
          ':pending': 'pending',
        },
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  async abandon(msgId: string, endpointId: string, reason: AttemptError): Promise<void> {
    await this.markFailure(msgId, endpointId);
    try {
      await this.doc.update({
        TableName: this.tableName,
        Key: deliveryKey(msgId, endpointId),
        UpdateExpression: 'SET #status = :failed, nextAttemptAt = :none, abandonReason = :reason',
        ConditionExpression: '#status = :pending',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':failed': 'failed',
          ':none': null,
          ':reason': reason,
          ':pending': 'pending',
        },
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async listAttempts(msgId: string, page: PageRequest): Promise<Page<Attempt>> {
    return queryPage(
      this.doc,
      this.prefixQuery(msgId, ATTEMPT_PREFIX),
      {
        limit: page.limit,
        startKey: decodeCursor(page.cursor, { pk: msgId }, KEYS, prefixRange('sk', ATTEMPT_PREFIX)),
        keyNames: KEYS,
      },
      attemptFromItem,
    );
  }

  listEndpointAttempts(
    endpointId: string,
    filter: PageRequest & { readonly outcome?: Attempt['outcome'] | undefined },
  ): Promise<Page<Attempt>> {
    const byOutcome =
      filter.outcome === undefined
        ? {}
        : {
            FilterExpression: 'outcome = :outcome',
            ExpressionAttributeValues: { ':outcome': filter.outcome },
          };
    return queryPage(
      this.doc,
      {
        TableName: this.tableName,
        IndexName: INDEX.byEndpoint,
        KeyConditionExpression: '#pk = :endpoint AND begins_with(#sk, :prefix)',
        ExpressionAttributeNames: { '#pk': BY_ENDPOINT.partitionKey, '#sk': BY_ENDPOINT.sortKey },
        ...byOutcome,
        ExpressionAttributeValues: {
          ':endpoint': endpointId,
          ':prefix': ATTEMPT_PREFIX,
          ...byOutcome.ExpressionAttributeValues,
        },
        ScanIndexForward: false,
      },
      {
        limit: filter.limit,
        startKey: decodeCursor(
          filter.cursor,
          { [BY_ENDPOINT.partitionKey]: endpointId },
          BY_ENDPOINT_KEYS,
          prefixRange(BY_ENDPOINT.sortKey, ATTEMPT_PREFIX),
        ),
        keyNames: BY_ENDPOINT_KEYS,
      },
      attemptFromItem,
    );
  }

  /**
   * The deliveries a page of its failure markers names, of those the ones that are failed
   * now: a page of markers may hold fewer failures than markers, or none.
   */
  async listFailedForEndpoint(
    endpointId: string,
    since: Date,
    page: { readonly after?: string | undefined; readonly limit: number },
  ): Promise<{ readonly deliveries: readonly Delivery[]; readonly last?: string }> {
    const { Items = [], LastEvaluatedKey } = await this.doc.query({
      ...this.windowQuery(endpointId, FAILURE_PREFIX, since, undefined),
      Limit: page.limit,
      ...(page.after === undefined
        ? {}
        : {
            ExclusiveStartKey: {
              ...failureKey(page.after, endpointId),
              ...byEndpointKey(endpointId, `${FAILURE_PREFIX}${page.after}`),
            },
          }),
    });
    const keys = Items.map((marker) => deliveryKey(marker.pk as string, endpointId));
    const items = await batchGetAll(this.doc, this.tableName, keys, { consistentRead: true });
    const deliveries = items
      .filter((item) => item.status === 'failed')
      .map(deliveryFromItem)
      .sort((a, b) => (a.msgId < b.msgId ? -1 : 1));
    const last = LastEvaluatedKey === undefined ? undefined : (Items.at(-1)?.pk as string | undefined);
    return last === undefined ? { deliveries } : { deliveries, last };
  }

  /**
   * The highest number among the delivery's attempts, read, then one more taken from a
   * counter on the delivery (`lastRequestedNumber`) that only grows: set past the highest when
   * it is behind (the ladder has moved on), else moved on by one. Two requests at once read
   * the same highest number, but one sets the counter and the other moves it on.
   */
  async takeRequestedAttemptNumber(msgId: string, endpointId: string): Promise<number> {
    const attempts = await queryAll(this.doc, {
      ...this.prefixQuery(msgId, `${ATTEMPT_PREFIX}${endpointId}#`),
      ProjectionExpression: 'attemptNumber',
    });
    const highest = attempts.reduce((most, item) => Math.max(most, item.attemptNumber as number), 0);
    const key = deliveryKey(msgId, endpointId);
    try {
      await this.doc.update({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET lastRequestedNumber = :next',
        // Never on a delivery that is gone (expired meanwhile): an update would make a stub of it.
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(lastRequestedNumber) OR lastRequestedNumber <= :highest)',
        ExpressionAttributeValues: { ':next': highest + 1, ':highest': highest },
      });
      return highest + 1;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
    try {
      const { Attributes } = await this.doc.update({
        TableName: this.tableName,
        Key: key,
        UpdateExpression: 'SET lastRequestedNumber = lastRequestedNumber + :one',
        ConditionExpression: 'attribute_exists(lastRequestedNumber)',
        ExpressionAttributeValues: { ':one': 1 },
        ReturnValues: 'UPDATED_NEW',
      });
      return Attributes?.lastRequestedNumber as number;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return highest + 1;
    }
  }

  async getRequestedAttempt(
    msgId: string,
    endpointId: string,
    requestId: string,
  ): Promise<Attempt | undefined> {
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: { pk: msgId, sk: requestedAttemptSk(endpointId, requestId) },
      ConsistentRead: true,
    });
    return Item === undefined ? undefined : attemptFromItem(Item);
  }

  async markSucceeded(msgId: string, endpointId: string, attempt: Attempt): Promise<void> {
    let previous: Record<string, unknown> | undefined;
    try {
      ({ Attributes: previous } = await this.doc.update({
        TableName: this.tableName,
        Key: deliveryKey(msgId, endpointId),
        UpdateExpression: 'SET #status = :succeeded, nextAttemptAt = :none, lastAttempt = :attempt',
        ConditionExpression: 'attribute_exists(pk) AND #status <> :succeeded',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':succeeded': 'succeeded', ':none': null, ':attempt': attempt },
        ReturnValues: 'UPDATED_OLD',
      }));
    } catch (error) {
      if (isConditionalCheckFailed(error)) return;
      throw error;
    }
    // A failed delivery recovered: its marker goes, now that its state no longer says failed.
    if (previous?.status === 'failed') {
      await this.doc.delete({ TableName: this.tableName, Key: failureKey(msgId, endpointId) });
    }
  }

  /**
   * Reads the state of every delivery of the window and counts them: the keys from the
   * byEndpoint index, the state from the table (the index does not copy it, see
   * ATTEMPT_ATTRIBUTES in lambdas/contract/tables.ts). A window of many deliveries costs
   * reads in proportion, so past `atMost` it stops and counts nothing; an entry whose item
   * is gone (expired between the two reads) is left out.
   */
  async countEndpointDeliveries(
    endpointId: string,
    since: Date,
    until: Date,
    atMost: number,
  ): Promise<DeliveryCounts | 'too_many'> {
    const entries = await queryAll(
      this.doc,
      this.windowQuery(endpointId, DELIVERY_PREFIX, since, until),
      atMost,
    );
    if (entries.length > atMost) return 'too_many';
    const keys = entries.map((entry) => ({ pk: entry.pk, sk: entry.sk }));
    const items = await batchGetAll(this.doc, this.tableName, keys, { projection: ['status', 'pulledAt'] });
    const counts = { pending: 0, succeeded: 0, failed: 0, pulled: 0 };
    for (const item of items) {
      counts[item.status as Delivery['status']] += 1;
      if (typeof item.pulledAt === 'string') counts.pulled += 1;
    }
    return counts;
  }

  /**
   * One UpdateItem: `pulledAt`, and every attribute of the delivery that is not there yet
   * (fan-out, which creates it, may come after the consumer has pulled the message).
   */
  async markPulled(delivery: Delivery, at: string): Promise<void> {
    const attributes: Record<string, unknown> = {
      ...byEndpointKey(delivery.endpointId, `${DELIVERY_PREFIX}${delivery.msgId}`),
      ...delivery,
      [TTL_ATTRIBUTE]: this.expiryFrom(delivery.createdAt),
    };
    delete attributes.pulledAt;
    const names: Record<string, string> = { '#pulledAt': 'pulledAt' };
    const values: Record<string, unknown> = { ':pulledAt': at };
    const sets = ['#pulledAt = :pulledAt'];
    for (const [index, [name, value]] of Object.entries(attributes).entries()) {
      names[`#a${index}`] = name;
      values[`:a${index}`] = value;
      sets.push(`#a${index} = if_not_exists(#a${index}, :a${index})`);
    }
    await this.doc.update({
      TableName: this.tableName,
      Key: deliveryKey(delivery.msgId, delivery.endpointId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
  }

  /**
   * Gives every failed delivery of the table its failure marker: for a table written before
   * markers existed, whose failures a recovery would otherwise not find (local mode's
   * data-format migration, lambdas/local/data-format.ts, and `npm run upgrade:failure-markers`
   * on AWS). A marker put again is the same item, so a run again only repeats work.
   * Answers how many failed deliveries it marked.
   */
  async markPastFailures(): Promise<number> {
    let marked = 0;
    for await (const page of scanPages(this.doc, {
      TableName: this.tableName,
      // Deliveries carry a status; attempts, markers and the table's other items do not.
      FilterExpression: '#status = :failed AND begins_with(sk, :delivery)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':failed': 'failed', ':delivery': DELIVERY_PREFIX },
      ProjectionExpression: 'pk, sk',
      // At most this many markers written at once, however many failures a page holds.
      Limit: 100,
    })) {
      await Promise.all(
        page.map((item) =>
          this.markFailure(item.pk as string, (item.sk as string).slice(DELIVERY_PREFIX.length)),
        ),
      );
      marked += page.length;
    }
    return marked;
  }

  /** Puts the delivery's failure marker (again, if it is there: the same item). */
  private async markFailure(msgId: string, endpointId: string): Promise<void> {
    await this.doc.put({
      TableName: this.tableName,
      Item: {
        ...failureKey(msgId, endpointId),
        ...byEndpointKey(endpointId, `${FAILURE_PREFIX}${msgId}`),
        [TTL_ATTRIBUTE]: this.expiryFrom(timeOfId(msgId).toISOString()),
      },
    });
  }

  /**
   * A query of the table keys of the endpoint's index entries of one kind (`prefix`) about
   * the messages accepted from `since`, until `until` (excluded) or now.
   */
  private windowQuery(endpointId: string, prefix: string, since: Date, until: Date | undefined) {
    return {
      TableName: this.tableName,
      IndexName: INDEX.byEndpoint,
      KeyConditionExpression: '#pk = :endpoint AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': BY_ENDPOINT.partitionKey, '#sk': BY_ENDPOINT.sortKey },
      ExpressionAttributeValues: {
        ':endpoint': endpointId,
        ':from': `${prefix}${idBoundsAt('message', since).lowest}`,
        ':to':
          until === undefined
            ? `${prefix}\uffff`
            : `${prefix}${idBoundsAt('message', new Date(until.getTime() - 1)).highest}`,
      },
      ProjectionExpression: KEYS.join(', '),
    };
  }

  private prefixQuery(msgId: string, prefix: string) {
    return {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': msgId, ':prefix': prefix },
      ConsistentRead: true,
    };
  }

  private expiryFrom(isoTime: string): number {
    return Math.floor(Date.parse(isoTime) / 1000) + this.options.retentionDays * 86_400;
  }
}

function deliveryFromItem(item: Record<string, unknown>): Delivery {
  return {
    msgId: item.msgId as string,
    appId: item.appId as string,
    endpointId: item.endpointId as string,
    eventType: item.eventType as string,
    status: item.status as Delivery['status'],
    attemptCount: item.attemptCount as number,
    nextAttemptAt: (item.nextAttemptAt as string | null | undefined) ?? null,
    lastAttempt: item.lastAttempt ? attemptFromItem(item.lastAttempt as Record<string, unknown>) : null,
    createdAt: item.createdAt as string,
    pulledAt: (item.pulledAt as string | null | undefined) ?? null,
  };
}

function attemptFromItem(item: Record<string, unknown>): Attempt {
  return {
    id: item.id as string,
    msgId: item.msgId as string,
    appId: item.appId as string,
    endpointId: item.endpointId as string,
    attemptNumber: item.attemptNumber as number,
    trigger: item.trigger as Attempt['trigger'],
    timestamp: item.timestamp as string,
    durationMs: item.durationMs as number,
    outcome: item.outcome as Attempt['outcome'],
    responseStatus: (item.responseStatus as number | null | undefined) ?? null,
    responseBody: (item.responseBody as string | null | undefined) ?? null,
    error: (item.error as Attempt['error'] | undefined) ?? null,
  };
}
