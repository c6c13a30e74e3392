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
