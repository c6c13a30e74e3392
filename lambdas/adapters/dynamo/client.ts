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

/**
 * A record whose keys the caller chose (metadata, custom headers), ready for the
 * marshaller. The marshaller takes a plain object with a key named `constructor` for a class
 * instance and refuses it; a Map it always writes as a DynamoDB map.
 */
export function asMapAttribute(record: Readonly<Record<string, string>>): Map<string, string> {
  return new Map(Object.entries(record));
}
