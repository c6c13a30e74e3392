import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { AwsEnvironment } from '../../config';
import type { AwsTransport } from '../aws/json-protocol/aws-json-client';
import { createDocuments, type Documents } from './documents';

/** The SDK's low-level client, for tables and raw images, and the documents the stores use. */
export interface StoreClients {
  readonly client: DynamoDBClient;
  readonly doc: Documents;
}

/**
 * The environment of a DynamoDB-compatible store on this machine (local mode's embedded
 * store, AWS's DynamoDB Local in the tests): it checks a signature's form, not its key.
 */
export function localStoreEnvironment(endpoint: string): AwsEnvironment {
  return {
    region: 'local',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    endpointOverride: () => endpoint,
  };
}

/**
 * Both clients of a store on this machine, over HTTP: local mode's scripts and the tests
 * (which may send the documents' requests through a transport of their own, to watch
 * them). The Lambda functions use only the documents (lambdas/handlers/aws), and local
 * mode sends both through its in-process transport (lambdas/local/runtime.ts).
 */
export function createLocalStoreClients(
  endpoint: string,
  options: { readonly transport?: AwsTransport } = {},
): StoreClients {
  const environment = localStoreEnvironment(endpoint);
  const { region, credentials } = environment;
  return {
    client: new DynamoDBClient({ endpoint, region, credentials }),
    doc: createDocuments({ environment, ...options }),
  };
}
