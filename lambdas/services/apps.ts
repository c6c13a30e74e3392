import { ConflictError, NotFoundError } from '../core/errors';
import { newId } from '../core/ids';
import type { App } from '../core/model';
import { OPERATIONAL_APP, OPERATIONAL_APP_ID } from '../core/operational';
import type { CreateAppInput, UpdateAppInput } from '../core/schemas';
import type { ApiKeyStore, AppStore, Clock, EndpointStore, Page, PageRequest } from '../ports';
import { nextUpdatedAt, updateFromLatest } from './updates';

export class AppService {
  constructor(
    private readonly deps: {
      readonly apps: AppStore;
      readonly apiKeys: ApiKeyStore;
      readonly endpoints: EndpointStore;
      readonly clock: Clock;
    },
  ) {}

  async create(input: CreateAppInput): Promise<App> {
    const now = this.deps.clock.now();
    const app: App = {
      id: newId('app', now),
      name: input.name,
      uid: input.uid ?? null,
      metadata: input.metadata ?? {},
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
    };
    await this.deps.apps.create(app);
    return app;
  }

  /** The app, or NotFoundError. `app_operational` always exists. */
  async get(appId: string): Promise<App> {
    if (appId === OPERATIONAL_APP_ID) return OPERATIONAL_APP;
    const app = await this.deps.apps.get(appId);
    if (app === undefined) throw new NotFoundError('Application', appId);
    return app;
  }

  list(page: PageRequest): Promise<Page<App>> {
    return this.deps.apps.list(page);
  }

  async update(appId: string, input: UpdateAppInput): Promise<App> {
    return updateFromLatest(
      () => this.getOwn(appId),
      async (previous) => {
        const next: App = {
          ...previous,
          name: input.name ?? previous.name,
          uid: input.uid === undefined ? previous.uid : input.uid,
          metadata: input.metadata ?? previous.metadata,
          updatedAt: nextUpdatedAt(previous.updatedAt, this.deps.clock.now()),
        };
        await this.deps.apps.update(previous, next);
        return next;
      },
    );
  }

  /**
   * Deletes the app, its keys and its endpoints; deliveries still queued for them are
   * abandoned when they come up. The keys go first: a key of a deleted app would only meet 404s,
   * but it should not outlive its app at all.
   */
  async delete(appId: string): Promise<void> {
    const app = await this.getOwn(appId);
    for (;;) {
      const keys = await this.deps.apiKeys.list(appId, { limit: 100 });
      for (const key of keys.data) await this.deps.apiKeys.delete(appId, key.id);
      if (keys.nextCursor === null) break;
    }
    for (const endpoint of await this.deps.endpoints.listAll(appId)) {
      await this.deps.endpoints.delete(appId, endpoint.id);
    }
    await this.deps.apps.delete(app);
  }

  /** An app the caller may change: the built-in one is read-only. */
  private async getOwn(appId: string): Promise<App> {
    if (appId === OPERATIONAL_APP_ID) {
      throw new ConflictError(`${OPERATIONAL_APP_ID} is built in and cannot be changed or deleted.`);
    }
    return this.get(appId);
  }
}
