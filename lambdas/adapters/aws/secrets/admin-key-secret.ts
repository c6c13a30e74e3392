import { GetSecretValueCommand, type SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { hashKey } from '../../../core/keys';
import type { Clock } from '../../../ports';

/**
 * The admin key, kept in Secrets Manager. Only its hash stays in memory, and only for
 * `maxAgeMs`: a rotated key is refused by every container within that time (plus API
 * Gateway's cache of the authorizer's answers, see lambdas/contract/auth.ts). A failed read
 * is not remembered, so the next request tries again.
 */
export class AdminKeySecret {
  private cached: { readonly hash: Promise<Buffer>; readonly readAt: number } | undefined;

  constructor(
    private readonly secrets: SecretsManagerClient,
    private readonly secretArn: string,
    private readonly options: { readonly maxAgeMs: number; readonly clock: Clock },
  ) {}

  keyHash(): Promise<Buffer> {
    const now = this.options.clock.now().getTime();
    if (this.cached === undefined || now - this.cached.readAt >= this.options.maxAgeMs) {
      const hash = this.read().catch((error: unknown) => {
        if (this.cached?.hash === hash) this.cached = undefined;
        throw error;
      });
      this.cached = { hash, readAt: now };
    }
    return this.cached.hash;
  }

  private async read(): Promise<Buffer> {
    const { SecretString } = await this.secrets.send(new GetSecretValueCommand({ SecretId: this.secretArn }));
    if (SecretString === undefined || SecretString.length < 16) {
      throw new Error(`The admin key secret ${this.secretArn} holds no usable key.`);
    }
    return hashKey(SecretString);
  }
}
