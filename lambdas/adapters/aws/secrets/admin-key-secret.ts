import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { hashKey } from '../../../core/keys';

/**
 * The admin key, kept in Secrets Manager and read once per Lambda container. Only its
 * hash stays in memory. A failed read is not remembered, so the next request tries again.
 */
export class AdminKeySecret {
  private hash: Promise<Buffer> | undefined;

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly secretArn: string,
  ) {}

  keyHash(): Promise<Buffer> {
    this.hash ??= this.read().catch((error: unknown) => {
      this.hash = undefined;
      throw error;
    });
    return this.hash;
  }

  private async read(): Promise<Buffer> {
    const { SecretString } = await this.secrets.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
    if (SecretString === undefined || SecretString.length < 16) {
      throw new Error(`The admin key secret ${this.secretArn} holds no usable key.`);
    }
    return hashKey(SecretString);
  }
}
