import { newId } from '../core/ids';
import type { Attempt, Delivery } from '../core/model';
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

  private async notify(eventType: string, delivery: Delivery, lastAttempt: Attempt): Promise<void> {
    // Operational messages never cause operational messages: a failing operator endpoint must not feed on itself.
    if (delivery.appId === OPERATIONAL_APP_ID) return;
    const now = this.deps.clock.now();
    await this.deps.messages.accept({
      id: newId('message', now),
      appId: OPERATIONAL_APP_ID,
      eventType,
      eventId: `${eventType}:${delivery.msgId}:${delivery.endpointId}`,
      payload: {
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
