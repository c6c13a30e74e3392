/**
 * What the authorizer and the API function agree on through API Gateway, and how long a
 * key decision may be remembered.
 */

/** The principal an accepted admin key acts as; the API function trusts it from the authorizer's context. */
export const ADMIN_PRINCIPAL = 'admin';

/** API Gateway keeps an authorizer's decision for a token this long. */
export const AUTHORIZER_CACHE_SECONDS = 30;

/** The authorizer function keeps the admin key (its hash) this long before reading the secret again. */
export const ADMIN_KEY_CACHE_SECONDS = 30;

/** A rotated admin key is refused everywhere within this time: the product promises 60 s at most. */
export const KEY_CHANGE_DEADLINE_SECONDS = AUTHORIZER_CACHE_SECONDS + ADMIN_KEY_CACHE_SECONDS;

/** Who a request acts as: the admin, or one application through one of its keys. */
export type Principal =
  | { readonly role: typeof ADMIN_PRINCIPAL }
  | { readonly role: 'app'; readonly appId: string; readonly keyId: string };

/**
 * An application key is looked up on every authorizer call (no cache of its own), so a
 * revoked key is refused once API Gateway's cached decision runs out.
 */
export const APP_KEY_REVOCATION_SECONDS = AUTHORIZER_CACHE_SECONDS;

/** The authorizer's context for a principal: API Gateway passes string values only. */
export function principalContext(principal: Principal): Record<string, string> {
  return principal.role === ADMIN_PRINCIPAL
    ? { role: ADMIN_PRINCIPAL }
    : { role: 'app', appId: principal.appId, keyId: principal.keyId };
}

/** The principal an authorizer's context names, or undefined when it names none. */
export function principalFromContext(context: unknown): Principal | undefined {
  if (typeof context !== 'object' || context === null) return undefined;
  const { role, appId, keyId } = context as Record<string, unknown>;
  if (role === ADMIN_PRINCIPAL) return { role };
  if (role === 'app' && typeof appId === 'string' && typeof keyId === 'string') return { role, appId, keyId };
  return undefined;
}
