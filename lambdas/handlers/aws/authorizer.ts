import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { AdminKeySecret } from '../../adapters/aws/secrets/admin-key-secret';
import { loadFunctionConfig } from '../../config';
import { ADMIN_KEY_CACHE_SECONDS } from '../../contract/auth';
import { systemClock } from '../../ports';
import { createAuthorizerHandler } from '../authorizer';

/** Lambda entry point of API Gateway's TOKEN authorizer: it reads the admin key, and nothing else. */
const config = loadFunctionConfig('authorizer');
const adminKey = new AdminKeySecret(new SecretsManagerClient({}), config.adminKeySecretArn, {
  maxAgeMs: ADMIN_KEY_CACHE_SECONDS * 1000,
  clock: systemClock,
});

export const handler = createAuthorizerHandler({ adminKeyHash: () => adminKey.keyHash() });
