import {
  AwsJsonClient,
  DEFAULT_ATTEMPT_TIMEOUT_MS,
  SECRETS_MANAGER,
} from '../../adapters/aws/json-protocol/aws-json-client';
import { SecretsManagerReader } from '../../adapters/aws/json-protocol/secrets-manager-reader';
import { AdminKeySecret } from '../../adapters/aws/secrets/admin-key-secret';
import { DynamoApiKeyStore } from '../../adapters/dynamo/api-key-store';
import { createDocuments } from '../../adapters/dynamo/documents';
import { loadAwsEnvironment, loadFunctionConfig } from '../../config';
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
const environment = loadAwsEnvironment();
/**
 * A call silent this long is tried again: three attempts and their waits fit the
 * authorizer's 10 s (lib/api.ts). It only reads, so a call given up changes nothing.
 */
const attemptTimeoutMs = DEFAULT_ATTEMPT_TIMEOUT_MS;
const adminKey = new AdminKeySecret(
  new SecretsManagerReader(new AwsJsonClient(SECRETS_MANAGER, { environment, attemptTimeoutMs })),
  config.adminKeySecretArn,
  { maxAgeMs: ADMIN_KEY_CACHE_SECONDS * 1000, clock: systemClock },
);

export const handler = createAuthorizerHandler({
  keys: new KeyAuthenticator({
    adminKeyHash: () => adminKey.keyHash(),
    apiKeys: new DynamoApiKeyStore(createDocuments({ environment, attemptTimeoutMs }), config.catalogTable),
  }),
});
