import type { ApiKey, App, Attempt, Delivery, Endpoint, EventType, Message } from '../../core/model';
import type { Page } from '../../ports';
import type { MessageWithDeliveries } from '../../services/messages';

/** What the API shows of each resource. Endpoint secrets appear only on their own route. */

export function endpointView(endpoint: Endpoint) {
  const { secrets: _secrets, failingSince: _failingSince, ...visible } = endpoint;
  return visible;
}

export function deliveryView(delivery: Delivery) {
  return {
    endpointId: delivery.endpointId,
    status: delivery.status,
    attemptCount: delivery.attemptCount,
    nextAttemptAt: delivery.nextAttemptAt,
    lastAttempt: delivery.lastAttempt,
  };
}

export function messageView(message: Message) {
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

export function messageWithDeliveriesView(message: MessageWithDeliveries) {
  return { ...messageView(message), deliveries: message.deliveries.map(deliveryView) };
}

export const appView = (app: App) => app;
/** A key's hash never leaves the store; the key itself is shown only by the create route. */
export const apiKeyView = (key: ApiKey) => ({ id: key.id, appId: key.appId, createdAt: key.createdAt });
export const eventTypeView = (eventType: EventType) => eventType;
export const attemptView = (attempt: Attempt) => attempt;

export function pageView<T, V>(page: Page<T>, view: (item: T) => V) {
  return { data: page.data.map(view), nextCursor: page.nextCursor };
}
