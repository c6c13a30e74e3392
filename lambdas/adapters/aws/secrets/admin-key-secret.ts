import { hashKey } from '../../../core/keys';
import type { Clock } from '../../../ports';

/** Reads a secret's text by its id or ARN; `undefined` when it holds no text. */
export interface SecretReader {
  secretString(secretId: string): Promise<string | undefined>;
}

/**
 * The admin key, kept in Secrets Manager. Only its hash stays in memory, and only for
 * `maxAgeMs`: a rotated key is refused by every container within that time (plus API
 * Gateway's cache of the authorizer's answers, see lambdas/contract/auth.ts). A failed read
 * is not remembered, so the next request tries again.
 */
export class AdminKeySecret {
  private cached: { readonly hash: Promise<Buffer>; readonly readAt: number } | undefined;

  constructor(
    private readonly secrets: SecretReader,
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
    const secret = await this.secrets.secretString(this.secretArn);
    if (secret === undefined || secret.length < 16) {
      throw new Error(`The admin key secret ${this.secretArn} holds no usable key.`);
    }
    return hashKey(secret);
  }
}
