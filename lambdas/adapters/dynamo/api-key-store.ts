import type { ApiKey } from '../../core/model';
import type { ApiKeyStore, Page, PageRequest } from '../../ports';
import type { Documents } from './documents';
import { kindIndexAttributes, listKind } from './kind-index';
import { isConditionalCheckFailed } from './paging';

/**
 * An application key's item in the catalog table: a partition of its own (pk and sk
 * `KEY#{keyId}`), so that the authorizer reads one by its id with a single GetItem; the
 * byKind index lists an app's keys (kind `KEYS#{appId}`, in id order). Only the key's
 * hash is stored.
 */
const key = (keyId: string) => ({ pk: `KEY#${keyId}`, sk: `KEY#${keyId}` });

const kindOf = (appId: string) => `KEYS#${appId}`;

function fromItem(item: Record<string, unknown>): ApiKey {
  return {
    id: item.id as string,
    appId: item.appId as string,
    keyHash: item.keyHash as string,
    createdAt: item.createdAt as string,
  };
}

/** Application keys in the catalog table. */
export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
  ) {}

  async create(apiKey: ApiKey): Promise<void> {
    await this.doc.put({
      TableName: this.tableName,
      Item: { ...key(apiKey.id), ...kindIndexAttributes(kindOf(apiKey.appId), apiKey.id), ...apiKey },
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  }

  async get(keyId: string): Promise<ApiKey | undefined> {
    const { Item } = await this.doc.get({ TableName: this.tableName, Key: key(keyId), ConsistentRead: true });
    return Item === undefined ? undefined : fromItem(Item);
  }

  list(appId: string, page: PageRequest): Promise<Page<ApiKey>> {
    return listKind(this.doc, this.tableName, kindOf(appId), page, fromItem);
  }

  async delete(appId: string, keyId: string): Promise<boolean> {
    try {
      await this.doc.delete({
        TableName: this.tableName,
        Key: key(keyId),
        ConditionExpression: 'appId = :appId',
        ExpressionAttributeValues: { ':appId': appId },
      });
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
