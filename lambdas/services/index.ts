import type { EndpointUrlPolicy } from '../core/url-guard';
import type {
  AppStore,
  Clock,
  DeliveryQueue,
  DeliveryStore,
  EndpointStore,
  EventTypeStore,
  Logger,
  MessageStore,
  RetryScheduler,
  WebhookSender,
} from '../ports';
import { AppService } from './apps';
import { DeliveryService, type DeliverySettings } from './delivery';
import { EndpointService } from './endpoints';
import { EventTypeService } from './event-types';
import { FanOutService } from './fanout';
import { MessageService } from './messages';
import { OperationalNotifier } from './operational';

/** The adapters a deployment chooses: AWS in Lambda, local ones under `npm start`. */
export interface Adapters {
  readonly apps: AppStore;
  readonly eventTypes: EventTypeStore;
  readonly endpoints: EndpointStore;
  readonly messages: MessageStore;
  readonly deliveries: DeliveryStore;
  readonly queue: DeliveryQueue;
  readonly scheduler: RetryScheduler;
  readonly sender: WebhookSender;
  readonly clock: Clock;
  readonly random: () => number;
  readonly logger: Logger;
}

export interface ServiceSettings extends DeliverySettings {
  readonly urlPolicy: EndpointUrlPolicy;
  readonly requireKnownEventTypes: boolean;
}

export interface Services {
  readonly apps: AppService;
  readonly eventTypes: EventTypeService;
  readonly endpoints: EndpointService;
  readonly messages: MessageService;
  readonly fanOut: FanOutService;
  readonly delivery: DeliveryService;
}

/** Wires the use cases over whichever adapters the caller chose. */
export function createServices(adapters: Adapters, settings: ServiceSettings): Services {
  const { clock, logger } = adapters;
  const apps = new AppService({ apps: adapters.apps, endpoints: adapters.endpoints, clock });
  const eventTypes = new EventTypeService({ eventTypes: adapters.eventTypes, clock });
  const endpoints = new EndpointService({
    apps,
    endpoints: adapters.endpoints,
    clock,
    urlPolicy: settings.urlPolicy,
  });
  const messages = new MessageService({
    apps,
    eventTypes,
    messages: adapters.messages,
    deliveries: adapters.deliveries,
    clock,
    requireKnownEventTypes: settings.requireKnownEventTypes,
  });
  const fanOut = new FanOutService({
    endpoints: adapters.endpoints,
    deliveries: adapters.deliveries,
    queue: adapters.queue,
    logger,
  });
  const delivery = new DeliveryService({
    messages: adapters.messages,
    endpoints: adapters.endpoints,
    deliveries: adapters.deliveries,
    queue: adapters.queue,
    scheduler: adapters.scheduler,
    sender: adapters.sender,
    notifier: new OperationalNotifier(messages),
    clock,
    random: adapters.random,
    logger,
    settings: {
      retry: settings.retry,
      attemptTimeoutMs: settings.attemptTimeoutMs,
      userAgent: settings.userAgent,
    },
  });
  return { apps, eventTypes, endpoints, messages, fanOut, delivery };
}
