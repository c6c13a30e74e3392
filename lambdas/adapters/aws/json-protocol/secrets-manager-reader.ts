import type { SecretReader } from '../secrets/admin-key-secret';
import type { AwsJsonClient } from './aws-json-client';

/** Secrets Manager's GetSecretValue, for a secret kept as text. */
export class SecretsManagerReader implements SecretReader {
  constructor(private readonly secretsManager: AwsJsonClient) {}

  async secretString(secretId: string): Promise<string | undefined> {
    const { SecretString } = await this.secretsManager.call<{ SecretString?: string }>('GetSecretValue', {
      SecretId: secretId,
    });
    return SecretString;
  }
}
