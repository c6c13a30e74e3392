import { marshall, unmarshall } from '@aws-sdk/util-dynamodb';
import type { ApiKey } from '../../../core/model';
import type { ApiKeyStore } from '../../../ports';
import { apiKeyFromItem, apiKeyItemKey } from '../../dynamo/api-key-item';
import type { AwsJsonClient } from './aws-json-client';

/**
 * The authorizer's read of an application key: the GetItem of DynamoApiKeyStore.get
 * (lambdas/adapters/dynamo/api-key-store.ts) without the SDK's client, strongly consistent
 * so that a revoked key is refused at once.
 */
export class DynamoApiKeyReader implements Pick<ApiKeyStore, 'get'> {
  constructor(
    private readonly dynamo: AwsJsonClient,
    private readonly tableName: string,
  ) {}

  async get(keyId: string): Promise<ApiKey | undefined> {
    const { Item } = await this.dynamo.call<{ Item?: Parameters<typeof unmarshall>[0] }>('GetItem', {
      TableName: this.tableName,
      Key: marshall(apiKeyItemKey(keyId)),
      ConsistentRead: true,
    });
    return Item === undefined ? undefined : apiKeyFromItem(unmarshall(Item));
  }
}
