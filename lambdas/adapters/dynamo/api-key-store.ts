import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { ApiKey } from '../../core/model';
import type { ApiKeyStore, Page, PageRequest } from '../../ports';
import { apiKeyFromItem as fromItem, apiKeyItemKey as key, apiKeyKindOf as kindOf } from './api-key-item';
import { kindIndexAttributes, listKind } from './kind-index';
import { isConditionalCheckFailed } from './paging';

/** Application keys in the catalog table (their item: api-key-item.ts). */
export class DynamoApiKeyStore implements ApiKeyStore {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    private readonly tableName: string,
  ) {}

  async create(apiKey: ApiKey): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { ...key(apiKey.id), ...kindIndexAttributes(kindOf(apiKey.appId), apiKey.id), ...apiKey },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
  }

  async get(keyId: string): Promise<ApiKey | undefined> {
    const { Item } = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key(keyId), ConsistentRead: true }),
    );
    return Item === undefined ? undefined : fromItem(Item);
  }

  list(appId: string, page: PageRequest): Promise<Page<ApiKey>> {
    return listKind(this.doc, this.tableName, kindOf(appId), page, fromItem);
  }

  async delete(appId: string, keyId: string): Promise<boolean> {
    try {
      await this.doc.send(
        new DeleteCommand({
          TableName: this.tableName,
          Key: key(keyId),
          ConditionExpression: 'appId = :appId',
          ExpressionAttributeValues: { ':appId': appId },
        }),
      );
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}
