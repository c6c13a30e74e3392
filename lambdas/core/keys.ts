import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { ID_PREFIX } from './ids';

/**
 * API keys are kept only as SHA-256 hashes and compared in constant time. Keys are long
 * random strings, so a fast hash is enough: there is nothing to brute-force.
 */

export function hashKey(key: string): Buffer {
  return createHash('sha256').update(key, 'utf8').digest();
}

export function keyMatches(presented: string, expectedHash: Buffer): boolean {
  const presentedHash = hashKey(presented);
  return presentedHash.length === expectedHash.length && timingSafeEqual(presentedHash, expectedHash);
}

/** The key from an `Authorization: Bearer <key>` header, or undefined. */
export function bearerKey(authorization: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization ?? '');
  return match?.[1];
}

/**
 * Application keys: `hpk_app_` + the key id's ULID + `_` + 32 random bytes in base64url.
 * The prefix tells them from the admin key (which never starts with it); the id inside
 * lets the authenticator read the one record it may match, by key, and compare hashes in
 * constant time instead of searching for the hash.
 */
export const APP_KEY_PREFIX = 'hpk_app_';
const APP_KEY = /^hpk_app_([0-9A-HJKMNP-TV-Z]{26})_[A-Za-z0-9_-]{43}$/;

/** A new application key for the key id `key_<ulid>`: shown once, then kept only as its hash. */
export function newAppKey(keyId: string): string {
  return `${APP_KEY_PREFIX}${keyId.slice(ID_PREFIX.apiKey.length)}_${randomBytes(32).toString('base64url')}`;
}

/** The key id an application key names, or undefined when the key is not one. */
export function appKeyId(key: string): string | undefined {
  const match = APP_KEY.exec(key);
  return match === null ? undefined : `${ID_PREFIX.apiKey}${match[1]}`;
}
