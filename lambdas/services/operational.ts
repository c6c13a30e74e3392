import { newId } from '../core/ids';
import type { Attempt, Delivery, Endpoint } from '../core/model';
import { OPERATIONAL_APP_ID, OPERATIONAL_EVENT_TYPES } from '../core/operational';
import type { Clock, MessageStore } from '../ports';

/**
 * Sends operational webhooks as ordinary messages of `app_operational`, stored like any
 * accepted message so that they are fanned out the same way. The built-in app and its
 * event types always exist, so no catalogue is read. Each message carries an `eventId`
 * derived from the delivery, so a notification sent again (a retried task) is stored once.
 */
export class OperationalNotifier {
  constructor(private readonly deps: { readonly messages: MessageStore; readonly clock: Clock }) {}

  attemptExhausted(delivery: Delivery, lastAttempt: Attempt): Promise<void> {
    return this.notify(OPERATIONAL_EVENT_TYPES.attemptExhausted, delivery, lastAttempt);
  }

  attemptFailing(delivery: Delivery, lastAttempt: Attempt): Promise<void> {
    return this.notify(OPERATIONAL_EVENT_TYPES.attemptFailing, delivery, lastAttempt);
  }

  /**
   * The endpoint was disabled: it answered 410 Gone, or failed every attempt for the
   * setting's days. One notice per disabling: the eventId names the endpoint's version
   * (`updatedAt`), which every worker that saw the same endpoint shares.
   */
  endpointDisabled(
    endpoint: Endpoint,
    delivery: Delivery,
    lastAttempt: Attempt,
    reason: 'gone' | 'failing',
  ): Promise<void> {
    return this.notify(OPERATIONAL_EVENT_TYPES.endpointDisabled, delivery, lastAttempt, {
      eventId: `${OPERATIONAL_EVENT_TYPES.endpointDisabled}:${endpoint.id}:${endpoint.updatedAt}`,
      extra: { reason, failingSince: endpoint.failingSince },
    });
  }

  private async notify(
    eventType: string,
    delivery: Delivery,
    lastAttempt: Attempt,
    options: { readonly eventId?: string; readonly extra?: Record<string, unknown> } = {},
  ): Promise<void> {
    // Operational messages never cause operational messages: a failing operator endpoint must not feed on itself.
    if (delivery.appId === OPERATIONAL_APP_ID) return;
    const now = this.deps.clock.now();
    await this.deps.messages.accept({
      id: newId('message', now),
      appId: OPERATIONAL_APP_ID,
      eventType,
      eventId: options.eventId ?? `${eventType}:${delivery.msgId}:${delivery.endpointId}`,
      payload: {
        ...options.extra,
        appId: delivery.appId,
        endpointId: delivery.endpointId,
        msgId: delivery.msgId,
        eventType: delivery.eventType,
        lastAttempt: {
          id: lastAttempt.id,
          attemptNumber: lastAttempt.attemptNumber,
          timestamp: lastAttempt.timestamp,
          responseStatus: lastAttempt.responseStatus,
          error: lastAttempt.error,
        },
      },
      channels: null,
      timestamp: now.toISOString(),
    });
  }
}
