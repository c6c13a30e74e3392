import type { Endpoint, SubscriptionChange } from '../../core/model';
import type { EndpointStore, Page, PageRequest } from '../../ports';
import { asMapAttribute, type Documents } from './documents';
import { decodeCursor, isConditionalCheckFailed, prefixRange, queryAll, queryPage } from './paging';
import { replaceIfUnchanged } from './replace-if-unchanged';

/**
 * Endpoints in the catalog table, in their app's partition: pk `APP#{appId}`, sk
 * `EP#{endpointId}`. Fan-out reads them all with one strongly consistent query.
 */
const KEYS = ['pk', 'sk'];
const partition = (appId: string) => `APP#${appId}`;
const ENDPOINT_PREFIX = 'EP#';
const key = (appId: string, endpointId: string) => ({
  pk: partition(appId),
  sk: `${ENDPOINT_PREFIX}${endpointId}`,
});

export class DynamoEndpointStore implements EndpointStore {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
  ) {}

  async create(endpoint: Endpoint): Promise<void> {
    await this.doc.put({
      TableName: this.tableName,
      Item: toItem(endpoint),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  }

  async get(appId: string, endpointId: string): Promise<Endpoint | undefined> {
    const { Item } = await this.doc.get({
      TableName: this.tableName,
      Key: key(appId, endpointId),
      ConsistentRead: true,
    });
    return Item === undefined ? undefined : fromItem(Item);
  }

  async list(appId: string, page: PageRequest): Promise<Page<Endpoint>> {
    return queryPage(
      this.doc,
      this.queryOf(appId),
      {
        limit: page.limit,
        startKey: decodeCursor(
          page.cursor,
          { pk: partition(appId) },
          KEYS,
          prefixRange('sk', ENDPOINT_PREFIX),
        ),
        keyNames: KEYS,
      },
      fromItem,
    );
  }

  async listAll(appId: string): Promise<readonly Endpoint[]> {
    return (await queryAll(this.doc, this.queryOf(appId))).map(fromItem);
  }

  /**
   * Besides the API's own writes (a new `updatedAt` each), the delivery function changes
   * two things in place. It disables an endpoint (and records that among its changes): a
   * write holds only if `disabled` is still as read, or it would undo the disabling. It
   * starts and ends an endpoint's run of failures (`failingSince`), as often as every
   * delivery to an endpoint that fails now and then: a write leaves that as it is, unless
   * it is the API's to change (enabling an endpoint again clears it), or a change of an
   * endpoint that flaps could be refused again and again.
   */
  async update(previous: Endpoint, next: Endpoint): Promise<void> {
    await replaceIfUnchanged(this.doc, {
      tableName: this.tableName,
      key: key(next.appId, next.id),
      item: toItem(next),
      asRead: { updatedAt: previous.updatedAt, disabled: previous.disabled },
      leave: next.failingSince === previous.failingSince ? ['failingSince'] : [],
      resource: 'Endpoint',
      id: next.id,
    });
  }

  async markFailing(appId: string, endpointId: string, since: string): Promise<string | undefined> {
    try {
      const { Attributes } = await this.doc.update({
        TableName: this.tableName,
        Key: key(appId, endpointId),
        // The condition keeps a run that began earlier; null is how an ended run is written.
        UpdateExpression: 'SET failingSince = :since',
        ConditionExpression:
          'attribute_exists(pk) AND (attribute_not_exists(failingSince) OR failingSince = :null)',
        ExpressionAttributeValues: { ':since': since, ':null': null },
        ReturnValues: 'ALL_NEW',
      });
      return Attributes?.failingSince as string | undefined;
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
      return (await this.get(appId, endpointId))?.failingSince ?? undefined;
    }
  }

  async clearFailing(appId: string, endpointId: string): Promise<void> {
    try {
      await this.doc.update({
        TableName: this.tableName,
        Key: key(appId, endpointId),
        UpdateExpression: 'SET failingSince = :null',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':null': null },
      });
    } catch (error) {
      if (!isConditionalCheckFailed(error)) throw error;
    }
  }

  async disable(appId: string, endpointId: string, at: string): Promise<boolean> {
    try {
      await this.doc.update({
        TableName: this.tableName,
        Key: key(appId, endpointId),
        // Recorded as a change of what the endpoint takes, for messages accepted before it
        // and fanned out after it (lambdas/core/matching.ts, subscriptionAt).
        UpdateExpression:
          'SET disabled = :true, failingSince = :null, updatedAt = :at, ' +
          'subscriptionChanges = list_append(if_not_exists(subscriptionChanges, :none), :change)',
        ConditionExpression: 'attribute_exists(pk) AND disabled = :false',
        ExpressionAttributeValues: {
          ':true': true,
          ':false': false,
          ':null': null,
          ':at': at,
          ':none': [],
          ':change': [{ at, previous: { disabled: false } } satisfies SubscriptionChange],
        },
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  /** Conditional, so that deleting an endpoint that does not exist writes nothing. */
  async delete(appId: string, endpointId: string): Promise<boolean> {
    try {
      await this.doc.delete({
        TableName: this.tableName,
        Key: key(appId, endpointId),
        ConditionExpression: 'attribute_exists(pk)',
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }

  private queryOf(appId: string) {
    return {
      TableName: this.tableName,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
      ExpressionAttributeValues: { ':pk': partition(appId), ':prefix': ENDPOINT_PREFIX },
      ConsistentRead: true,
    };
  }
}

function toItem(endpoint: Endpoint): Record<string, unknown> {
  return {
    ...key(endpoint.appId, endpoint.id),
    ...endpoint,
    headers: asMapAttribute(endpoint.headers),
    metadata: asMapAttribute(endpoint.metadata),
  };
}

function fromItem(item: Record<string, unknown>): Endpoint {
  return {
    id: item.id as string,
    appId: item.appId as string,
    kind: item.kind as Endpoint['kind'],
    url: (item.url as string | null | undefined) ?? null,
    description: (item.description as string | undefined) ?? '',
    eventTypes: (item.eventTypes as string[] | null | undefined) ?? null,
    channels: (item.channels as string[] | null | undefined) ?? null,
    failingSince: (item.failingSince as string | null | undefined) ?? null,
    subscriptionChanges: (item.subscriptionChanges as Endpoint['subscriptionChanges'] | undefined) ?? [],
    headers: (item.headers as Endpoint['headers'] | undefined) ?? {},
    disabled: item.disabled === true,
    rateLimit: (item.rateLimit as number | null | undefined) ?? null,
    metadata: (item.metadata as Endpoint['metadata'] | undefined) ?? {},
    secrets: secretsFromItem(item.secrets as StoredSecrets),
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}

/** Secrets as stored: now, or as written before an endpoint kept more than one rotated out. */
type StoredSecrets =
  | Endpoint['secrets']
  | { readonly current: string; readonly previous: string | null; readonly previousExpiresAt: string | null };

function secretsFromItem(stored: StoredSecrets): Endpoint['secrets'] {
  if ('retired' in stored) return stored;
  const { current, previous, previousExpiresAt } = stored;
  return {
    current,
    retired:
      previous === null || previousExpiresAt === null ? [] : [{ secret: previous, until: previousExpiresAt }],
  };
}
