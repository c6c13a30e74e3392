import type { Principal } from '../contract/auth';
import { NotFoundError } from '../core/errors';
import { newId } from '../core/ids';
import { appKeyId, bearerKey, hashKey, keyMatches, newAppKey } from '../core/keys';
import type { ApiKey } from '../core/model';
import type { ApiKeyStore, Clock, Page, PageRequest } from '../ports';
import type { AppService } from './apps';

/** A key as created: the only time the key itself is shown. */
export interface CreatedApiKey {
  readonly id: string;
  readonly key: string;
  readonly createdAt: string;
}

/** Application keys: made by the admin, one application each, stored as hashes only. */
export class ApiKeyService {
  constructor(
    private readonly deps: {
      readonly apps: AppService;
      readonly apiKeys: ApiKeyStore;
      readonly clock: Clock;
    },
  ) {}

  async create(appId: string): Promise<CreatedApiKey> {
    await this.deps.apps.get(appId);
    const now = this.deps.clock.now();
    const id = newId('apiKey', now);
    const key = newAppKey(id);
    const createdAt = now.toISOString();
    await this.deps.apiKeys.create({ id, appId, keyHash: hashKey(key).toString('base64'), createdAt });
    return { id, key, createdAt };
  }

  async list(appId: string, page: PageRequest): Promise<Page<ApiKey>> {
    await this.deps.apps.get(appId);
    return this.deps.apiKeys.list(appId, page);
  }

  /** Revoked keys stop working at once in local mode, and on AWS within the authorizer's cache time. */
  async revoke(appId: string, keyId: string): Promise<void> {
    await this.deps.apps.get(appId);
    if (!(await this.deps.apiKeys.delete(appId, keyId))) throw new NotFoundError('Key', keyId);
  }
}

/**
 * Who a bearer key is: the one implementation behind the AWS authorizer and local mode. An
 * application key names its record (`hpk_app_<id>_…`), which is read and its hash compared
 * in constant time; any other key can only be the admin key, compared the same way.
 */
export class KeyAuthenticator {
  constructor(
    private readonly deps: {
      /** The admin key's SHA-256 (read from Secrets Manager on AWS, from the config locally). */
      readonly adminKeyHash: () => Promise<Buffer>;
      readonly apiKeys: Pick<ApiKeyStore, 'get'>;
    },
  ) {}

  /** The principal of an `Authorization` header's value, or undefined for no key or an unknown one. */
  async principalOf(authorization: string | undefined): Promise<Principal | undefined> {
    const key = bearerKey(authorization);
    if (key === undefined) return undefined;
    const keyId = appKeyId(key);
    if (keyId === undefined) {
      return keyMatches(key, await this.deps.adminKeyHash()) ? { role: 'admin' } : undefined;
    }
    const record = await this.deps.apiKeys.get(keyId);
    if (record === undefined || !keyMatches(key, Buffer.from(record.keyHash, 'base64'))) return undefined;
    return { role: 'app', appId: record.appId, keyId };
  }
}
