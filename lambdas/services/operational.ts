import type { Attempt, Delivery } from '../core/model';
import { OPERATIONAL_APP_ID, OPERATIONAL_EVENT_TYPES } from '../core/operational';
import type { MessageService } from './messages';

/**
 * Sends operational webhooks as ordinary messages of `app_operational`. Each carries an
 * `eventId` derived from the delivery, so a retried notification is accepted once.
 */
export class OperationalNotifier {
  constructor(private readonly messages: MessageService) {}

  attemptExhausted(delivery: Delivery, lastAttempt: Attempt): Promise<void> {
    return this.notify(OPERATIONAL_EVENT_TYPES.attemptExhausted, delivery, lastAttempt);
  }

  attemptFailing(delivery: Delivery, lastAttempt: Attempt): Promise<void> {
    return this.notify(OPERATIONAL_EVENT_TYPES.attemptFailing, delivery, lastAttempt);
  }

  private async notify(eventType: string, delivery: Delivery, lastAttempt: Attempt): Promise<void> {
    // Operational messages never cause operational messages: a failing operator endpoint must not feed on itself.
    if (delivery.appId === OPERATIONAL_APP_ID) return;
    await this.messages.accept(OPERATIONAL_APP_ID, {
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
    });
  }
}
