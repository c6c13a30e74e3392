import type {
  ApiKeyStore,
  AppStore,
  DeliveryStore,
  EndpointStore,
  EventTypeStore,
  MessageStore,
  PullStateStore,
  RateLimiter,
} from '../../ports';
import { DynamoApiKeyStore } from './api-key-store';
import { DynamoAppStore } from './app-store';
import { DynamoDeliveryStore } from './delivery-store';
import type { Documents } from './documents';
import { DynamoEndpointStore } from './endpoint-store';
import { DynamoEventTypeStore } from './event-type-store';
import { DynamoMessageStore, type DynamoMessageStoreOptions } from './message-store';
import { DynamoPullStateStore } from './pull-state-store';
import { DynamoRateLimiter } from './rate-limiter';
import type { TableNames } from './tables';

export interface DynamoStores {
  readonly apps: AppStore;
  readonly apiKeys: ApiKeyStore;
  readonly eventTypes: EventTypeStore;
  readonly endpoints: EndpointStore;
  readonly messages: MessageStore;
  readonly deliveries: DeliveryStore;
  readonly rateLimiter: RateLimiter;
  readonly pulls: PullStateStore;
}

/**
 * Every store over one Documents, for a runtime that uses them all (local mode,
 * tests). Each Lambda entry point builds only the stores its function uses.
 */
export function createDynamoStores(
  doc: Documents,
  tables: TableNames,
  options: DynamoMessageStoreOptions,
): DynamoStores {
  return {
    apps: new DynamoAppStore(doc, tables.catalog),
    apiKeys: new DynamoApiKeyStore(doc, tables.catalog),
    eventTypes: new DynamoEventTypeStore(doc, tables.catalog),
    endpoints: new DynamoEndpointStore(doc, tables.catalog),
    messages: new DynamoMessageStore(doc, tables.messages, options),
    deliveries: new DynamoDeliveryStore(doc, tables.deliveries, { retentionDays: options.retentionDays }),
    rateLimiter: new DynamoRateLimiter(doc, tables.deliveries),
    pulls: new DynamoPullStateStore(doc, tables.deliveries),
  };
}
