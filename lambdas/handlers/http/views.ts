import type { z } from 'zod';
import type {
  ApiKey,
  App,
  Attempt,
  Delivery,
  Endpoint,
  EventType,
  Message,
  PullNotification,
} from '../../core/model';
import type { Page } from '../../ports';
import type { MessageWithDeliveries } from '../../services/messages';
import type {
  apiKeyResponse,
  appResponse,
  attemptResponse,
  deliveryResponse,
  endpointResponse,
  eventTypeResponse,
  messageResponse,
  messageWithDeliveriesResponse,
  notificationResponse,
} from './response-schemas';

/**
 * What the API shows of each resource, in the shapes of response-schemas.ts (which the
 * OpenAPI document is made of). Endpoint secrets appear only on their own route.
 */

type Shown<Schema extends z.ZodType> = z.input<Schema>;

export function endpointView(endpoint: Endpoint): Shown<typeof endpointResponse> {
  const {
    secrets: _secrets,
    failingSince: _failingSince,
    subscriptionChanges: _changes,
    ...visible
  } = endpoint;
  return visible;
}

export function deliveryView(delivery: Delivery): Shown<typeof deliveryResponse> {
  return {
    endpointId: delivery.endpointId,
    status: delivery.status,
    attemptCount: delivery.attemptCount,
    nextAttemptAt: delivery.nextAttemptAt,
    lastAttempt: delivery.lastAttempt,
  };
}

export function messageView(message: Message): Shown<typeof messageResponse> {
  return {
    id: message.id,
    appId: message.appId,
    eventType: message.eventType,
    eventId: message.eventId,
    payload: message.payload,
    channels: message.channels,
    timestamp: message.timestamp,
  };
}

export function messageWithDeliveriesView(
  message: MessageWithDeliveries,
): Shown<typeof messageWithDeliveriesResponse> {
  return { ...messageView(message), deliveries: message.deliveries.map(deliveryView) };
}

/** A pulled notification: what a pushed webhook's body carries, under the names docs/api.md gives. */
export function notificationView(received: PullNotification): Shown<typeof notificationResponse> {
  const { message } = received;
  return {
    receiptId: received.receiptId,
    notification: {
      id: message.id,
      eventType: message.eventType,
      timestamp: message.timestamp,
      payload: message.payload,
    },
  };
}

export const appView = (app: App): Shown<typeof appResponse> => app;
/** A key's hash never leaves the store; the key itself is shown only by the create route. */
export const apiKeyView = (key: ApiKey): Shown<typeof apiKeyResponse> => ({
  id: key.id,
  appId: key.appId,
  createdAt: key.createdAt,
});
export const eventTypeView = (eventType: EventType): Shown<typeof eventTypeResponse> => eventType;
export const attemptView = (attempt: Attempt): Shown<typeof attemptResponse> => attempt;

export function pageView<T, V>(page: Page<T>, view: (item: T) => V) {
  return { data: page.data.map(view), nextCursor: page.nextCursor };
}
