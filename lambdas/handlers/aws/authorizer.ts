import { AwsJsonClient, DYNAMODB, SECRETS_MANAGER } from '../../adapters/aws/json-protocol/aws-json-client';
import { DynamoApiKeyReader } from '../../adapters/aws/json-protocol/dynamo-api-key-reader';
import { SecretsManagerReader } from '../../adapters/aws/json-protocol/secrets-manager-reader';
import { AdminKeySecret } from '../../adapters/aws/secrets/admin-key-secret';
import { loadAwsEnvironment, loadFunctionConfig } from '../../config';
import { ADMIN_KEY_CACHE_SECONDS } from '../../contract/auth';
import { systemClock } from '../../ports';
import { KeyAuthenticator } from '../../services/api-keys';
import { createAuthorizerHandler } from '../authorizer';

/**
 * Lambda entry point of API Gateway's TOKEN authorizer: it reads the admin key's secret
 * (kept for a while) and application keys by id from the catalog table (read every time,
 * so that a revoked key is refused as soon as API Gateway asks again). Its two calls go
 * through the small JSON-protocol client rather than the SDK's clients, which would be
 * most of its bundle and its cold start (aws-json-client.ts says why).
 */
const config = loadFunctionConfig('authorizer');
const environment = loadAwsEnvironment();
const adminKey = new AdminKeySecret(
  new SecretsManagerReader(new AwsJsonClient(SECRETS_MANAGER, { environment })),
  config.adminKeySecretArn,
  { maxAgeMs: ADMIN_KEY_CACHE_SECONDS * 1000, clock: systemClock },
);

export const handler = createAuthorizerHandler({
  keys: new KeyAuthenticator({
    adminKeyHash: () => adminKey.keyHash(),
    apiKeys: new DynamoApiKeyReader(new AwsJsonClient(DYNAMODB, { environment }), config.catalogTable),
  }),
});
