import { createHmac, randomBytes } from 'node:crypto';

/**
 * Standard Webhooks signing (https://www.standardwebhooks.com): the signed content is
 * `{webhook-id}.{webhook-timestamp}.{body}`, the key is the base64-decoded part of the
 * `whsec_` secret, and the header value is `v1,<base64 HMAC-SHA256>`. Several secrets
 * (during a rotation) give several signatures separated by spaces.
 */

export const SECRET_PREFIX = 'whsec_';
export const SECRET_MIN_BYTES = 24;
export const SECRET_MAX_BYTES = 64;
const GENERATED_SECRET_BYTES = 32;

export function generateSecret(bytes: Buffer = randomBytes(GENERATED_SECRET_BYTES)): string {
  return SECRET_PREFIX + bytes.toString('base64');
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

export function isValidSecret(secret: string): boolean {
  if (!secret.startsWith(SECRET_PREFIX)) return false;
  const encoded = secret.slice(SECRET_PREFIX.length);
  if (!BASE64.test(encoded) || encoded.length % 4 !== 0) return false;
  const length = Buffer.from(encoded, 'base64').length;
  return length >= SECRET_MIN_BYTES && length <= SECRET_MAX_BYTES;
}

export interface SignedContent {
  readonly msgId: string;
  /** Unix seconds of this attempt, as sent in `webhook-timestamp`. */
  readonly timestampSeconds: number;
  readonly body: string;
}

export function sign(secret: string, content: SignedContent): string {
  const key = Buffer.from(secret.slice(SECRET_PREFIX.length), 'base64');
  const digest = createHmac('sha256', key)
    .update(`${content.msgId}.${content.timestampSeconds}.${content.body}`)
    .digest('base64');
  return `v1,${digest}`;
}

/** The `webhook-signature` header value: one signature per active secret, newest first. */
export function signatureHeader(secrets: readonly string[], content: SignedContent): string {
  return secrets.map((secret) => sign(secret, content)).join(' ');
}
