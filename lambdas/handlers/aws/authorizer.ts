import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AdminKeySecret } from '../../adapters/aws/secrets/admin-key-secret';
import { DynamoApiKeyStore } from '../../adapters/dynamo/api-key-store';
import { createDocumentClient } from '../../adapters/dynamo/client';
import { loadFunctionConfig } from '../../config';
import { ADMIN_KEY_CACHE_SECONDS } from '../../contract/auth';
import { systemClock } from '../../ports';
import { KeyAuthenticator } from '../../services/api-keys';
import { createAuthorizerHandler } from '../authorizer';

/**
 * Lambda entry point of API Gateway's TOKEN authorizer: it reads the admin key's secret
 * (kept for a while) and application keys by id from the catalog table (read every time,
 * so that a revoked key is refused as soon as API Gateway asks again).
 */
const config = loadFunctionConfig('authorizer');
const adminKey = new AdminKeySecret(new SecretsManagerClient({}), config.adminKeySecretArn, {
  maxAgeMs: ADMIN_KEY_CACHE_SECONDS * 1000,
  clock: systemClock,
});
const { doc } = createDocumentClient();

export const handler = createAuthorizerHandler({
  keys: new KeyAuthenticator({
    adminKeyHash: () => adminKey.keyHash(),
    apiKeys: new DynamoApiKeyStore(doc, config.catalogTable),
  }),
});
