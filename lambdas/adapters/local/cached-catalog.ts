import type { App, Endpoint, EventType } from '../../core/model';
import type { AppStore, EndpointStore, EventTypeStore } from '../../ports';

/**
 * Local mode's catalogue (applications, event types, endpoints) read through a cache in
 * the process. Every message reads its application and its event type when accepted and
 * its endpoint when delivered: three of the ten store requests a delivery made.
 *
 * The cache is exact, not merely fresh enough, because local mode is the catalogue's only
 * writer: one process owns the data directory (lambdas/local/data-dir-lock.ts) and every
 * catalogue write in it goes through these stores, which forget what they hold before the
 * write starts and again once it has ended. A read that raced a write keeps its answer
 * out of the cache (the generation moved on), so a value read before a write is never
 * served after it. Nothing here is durable: a crash loses only the cache.
 */
class ReadThroughCache<Value> {
  private readonly entries = new Map<string, Value | undefined>();
  private generation = 0;

  constructor(private readonly maxEntries: number) {}

  async read(key: string, load: () => Promise<Value | undefined>): Promise<Value | undefined> {
    if (this.entries.has(key)) return this.entries.get(key);
    const generation = this.generation;
    const value = await load();
    if (generation === this.generation) {
      if (this.entries.size >= this.maxEntries) this.entries.clear();
      this.entries.set(key, value);
    }
    return value;
  }

  /** Runs a write with everything forgotten before it starts and after it ends, failed or not. */
  async writing<Result>(write: () => Promise<Result>): Promise<Result> {
    this.forget();
    try {
      return await write();
    } finally {
      this.forget();
    }
  }

  private forget(): void {
    this.generation++;
    this.entries.clear();
  }
}

/** Enough for any catalogue run on a laptop; past it the cache starts over rather than grow. */
const MAX_CACHED_ENTRIES = 10_000;

export function cachedAppStore(store: AppStore): AppStore {
  const cache = new ReadThroughCache<App>(MAX_CACHED_ENTRIES);
  return {
    get: (appId) => cache.read(appId, () => store.get(appId)),
    list: (page) => store.list(page),
    create: (app) => cache.writing(() => store.create(app)),
    update: (previous, next) => cache.writing(() => store.update(previous, next)),
    delete: (app) => cache.writing(() => store.delete(app)),
  };
}

export function cachedEventTypeStore(store: EventTypeStore): EventTypeStore {
  const cache = new ReadThroughCache<EventType>(MAX_CACHED_ENTRIES);
  return {
    create: (eventType) => cache.writing(() => store.create(eventType)),
    update: (previous, next) => cache.writing(() => store.update(previous, next)),
    get: (name) => cache.read(name, () => store.get(name)),
    list: (page) => store.list(page),
  };
}

export function cachedEndpointStore(store: EndpointStore): EndpointStore {
  const cache = new ReadThroughCache<Endpoint>(MAX_CACHED_ENTRIES);
  return {
    get: (appId, endpointId) =>
      cache.read(JSON.stringify([appId, endpointId]), () => store.get(appId, endpointId)),
    list: (appId, page) => store.list(appId, page),
    listAll: (appId) => store.listAll(appId),
    create: (endpoint) => cache.writing(() => store.create(endpoint)),
    update: (previous, next) => cache.writing(() => store.update(previous, next)),
    markFailing: (appId, endpointId, since) =>
      cache.writing(() => store.markFailing(appId, endpointId, since)),
    clearFailing: (appId, endpointId) => cache.writing(() => store.clearFailing(appId, endpointId)),
    disable: (appId, endpointId, at) => cache.writing(() => store.disable(appId, endpointId, at)),
    delete: (appId, endpointId) => cache.writing(() => store.delete(appId, endpointId)),
  };
}
