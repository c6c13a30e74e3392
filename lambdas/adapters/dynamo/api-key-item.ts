import type { ApiKey } from '../../core/model';

/**
 * An application key's item in the catalog table: a partition of its own (pk and sk
 * `KEY#{keyId}`), so that the authorizer reads one by its id with a single GetItem; the
 * byKind index lists an app's keys (kind `KEYS#{appId}`, in id order). Only the key's
 * hash is stored. Written by api-key-store.ts, read by it and by the authorizer's reader
 * (lambdas/adapters/aws/json-protocol/dynamo-api-key-reader.ts).
 */
export const apiKeyItemKey = (keyId: string) => ({ pk: `KEY#${keyId}`, sk: `KEY#${keyId}` });

export const apiKeyKindOf = (appId: string) => `KEYS#${appId}`;

export function apiKeyFromItem(item: Record<string, unknown>): ApiKey {
  return {
    id: item.id as string,
    appId: item.appId as string,
    keyHash: item.keyHash as string,
    createdAt: item.createdAt as string,
  };
}
