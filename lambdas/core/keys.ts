import { createHash, timingSafeEqual } from 'node:crypto';

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
