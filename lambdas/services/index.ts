import type { EndpointUrlPolicy } from '../core/url-guard';
import type {
  ApiKeyStore,
  AppStore,
  Clock,
  DeliveryStore,
  EndpointStore,
  EventTypeStore,
  MessageStore,
  PullStateStore,
} from '../ports';
import { ApiKeyService } from './api-keys';
import { AppService } from './apps';
import { EndpointService } from './endpoints';
import { EventTypeService } from './event-types';
import { MessageService } from './messages';
import { PullService } from './pull';

/**
 * One factory per function, each taking only the adapters that function uses: the API
 * function never touches the queue, fan-out never sends a webhook. Local mode calls all
 * three over the same adapters. The fan-out and delivery factories live beside their
 * services, so that those functions' entry points import them without the API's services
 * (and their dependencies, such as Ajv) reaching their bundles.
 */

export interface ApiServices {
  /** The addresses webhooks leave from: the stack's Elastic IPs, or loopback in local mode. */
  readonly egressIps: readonly string[];
  readonly apps: AppService;
  readonly apiKeys: ApiKeyService;
  readonly eventTypes: EventTypeService;
  readonly endpoints: EndpointService;
  readonly messages: MessageService;
  readonly pulls: PullService;
}

export function createApiServices(
  adapters: {
    readonly apps: AppStore;
    readonly apiKeys: ApiKeyStore;
    readonly eventTypes: EventTypeStore;
    readonly endpoints: EndpointStore;
    readonly messages: MessageStore;
    readonly deliveries: DeliveryStore;
    readonly pulls: PullStateStore;
    readonly clock: Clock;
  },
  settings: {
    readonly urlPolicy: EndpointUrlPolicy;
    readonly requireKnownEventTypes: boolean;
    readonly egressIps: readonly string[];
  },
): ApiServices {
  const { clock } = adapters;
  const apps = new AppService({
    apps: adapters.apps,
    apiKeys: adapters.apiKeys,
    endpoints: adapters.endpoints,
    clock,
  });
  const eventTypes = new EventTypeService({ eventTypes: adapters.eventTypes, clock });
  const endpoints = new EndpointService({
    apps,
    endpoints: adapters.endpoints,
    deliveries: adapters.deliveries,
    messages: adapters.messages,
    clock,
    urlPolicy: settings.urlPolicy,
  });
  return {
    egressIps: settings.egressIps,
    apps,
    apiKeys: new ApiKeyService({ apps, apiKeys: adapters.apiKeys, clock }),
    eventTypes,
    endpoints,
    messages: new MessageService({
      apps,
      eventTypes,
      messages: adapters.messages,
      deliveries: adapters.deliveries,
      endpoints: adapters.endpoints,
      clock,
      requireKnownEventTypes: settings.requireKnownEventTypes,
    }),
    pulls: new PullService({
      endpoints,
      messages: adapters.messages,
      deliveries: adapters.deliveries,
      pulls: adapters.pulls,
      clock,
    }),
  };
}

export { createDeliveryService } from './delivery';
export { createFanOutService } from './fanout';
