import type { Endpoint } from '../../../core/model';
import type { Clock, EndpointStore } from '../../../ports';

/**
 * How stale an endpoint the delivery function works from may be: a change made through the
 * API (a new URL, a rotated secret, disabled, deleted, a new rate limit) reaches every
 * delivery within this time (README, "Endpoint changes").
 */
export const ENDPOINT_CHANGE_DEADLINE_SECONDS = 10;

/** More endpoints than one container delivers to at once; past it the cache starts over. */
const MAX_CACHED_ENDPOINTS = 1_000;

/**
 * The delivery function's endpoints, each read at most once per
 * ENDPOINT_CHANGE_DEADLINE_SECONDS per container: a batch of ten deliveries to one
 * endpoint reads it once instead of ten times (a read unit and about 0.4 ms of CPU each,
 * README "Performance and cost"). The function's own writes to an endpoint (a failing
 * run begun or ended, the endpoint disabled) forget it, so it never works from a state
 * older than its own last write. What cannot be taken back is decided on a fresh read
 * (`get` with `fresh`, which also renews the copy): a delivery given up because its
 * endpoint is gone or disabled, an endpoint disabled after failing too long or for a 410
 * from the URL it still has, a test send or resend (lambdas/services/delivery.ts). What a
 * stale copy can still do, for up to the deadline: send to the old URL, headers or secret,
 * at the old rate, or to an endpoint disabled or deleted since; and a success may leave a
 * failing run begun elsewhere in the last few seconds standing, until the next success
 * read on a renewed copy ends it.
 *
 * Local mode does not use this: it is the catalogue's only writer and caches it exactly
 * (lambdas/adapters/local/cached-catalog.ts).
 */
export function freshEndpointStore(
  store: EndpointStore,
  clock: Clock,
  maxAgeMs = ENDPOINT_CHANGE_DEADLINE_SECONDS * 1000,
): EndpointStore {
  const entries = new Map<
    string,
    { readonly readAt: number; readonly endpoint: Promise<Endpoint | undefined> }
  >();
  const keyOf = (appId: string, endpointId: string) => `${appId}/${endpointId}`;
  /** Runs one of the function's own writes to an endpoint, then forgets what was read of it before its end. */
  const writing = async <Result>(appId: string, endpointId: string, write: () => Promise<Result>) => {
    try {
      return await write();
    } finally {
      entries.delete(keyOf(appId, endpointId));
    }
  };
  return {
    get: (appId, endpointId, options) => {
      const key = keyOf(appId, endpointId);
      const now = clock.now().getTime();
      const cached = entries.get(key);
      if (options?.fresh !== true && cached !== undefined && now - cached.readAt < maxAgeMs)
        return cached.endpoint;
      if (entries.size >= MAX_CACHED_ENDPOINTS) entries.clear();
      const endpoint = store.get(appId, endpointId);
      const entry = { readAt: now, endpoint };
      entries.set(key, entry);
      // A failed read is not kept: the next delivery reads again.
      endpoint.catch(() => entries.get(key) === entry && entries.delete(key));
      return endpoint;
    },
    list: (appId, page) => store.list(appId, page),
    listAll: (appId) => store.listAll(appId),
    create: (endpoint) => store.create(endpoint),
    update: (previous, next) => writing(next.appId, next.id, () => store.update(previous, next)),
    markFailing: (appId, endpointId, since) =>
      writing(appId, endpointId, () => store.markFailing(appId, endpointId, since)),
    clearFailing: (appId, endpointId) =>
      writing(appId, endpointId, () => store.clearFailing(appId, endpointId)),
    disable: (appId, endpointId, at) =>
      writing(appId, endpointId, () => store.disable(appId, endpointId, at)),
    delete: (appId, endpointId) => writing(appId, endpointId, () => store.delete(appId, endpointId)),
  };
}
