import { DynamoDBClient, type DynamoDBClientConfig } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/** The document client every store shares; `undefined` optional fields are simply left out. */
export function createDocumentClient(config: DynamoDBClientConfig = {}): {
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
} {
  const client = new DynamoDBClient(config);
  const doc = DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
  return { client, doc };
}
