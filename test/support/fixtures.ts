import { newId } from '../../lambdas/core/ids';
import type {
  App,
  Attempt,
  Delivery,
  DeliveryTask,
  Endpoint,
  EventType,
  Message,
} from '../../lambdas/core/model';
import { generateSecret } from '../../lambdas/core/signing';
import { freshSecrets } from '../../lambdas/core/webhook';

/** Builders of valid resources; each test overrides what it is about. */

const iso = (date = new Date()) => date.toISOString();

export function anApp(overrides: Partial<App> = {}): App {
  const now = new Date();
  return {
    id: newId('app', now),
    name: 'Acme',
    uid: null,
    metadata: {},
    createdAt: iso(now),
    updatedAt: iso(now),
    ...overrides,
  };
}

export function anEventType(overrides: Partial<EventType> = {}): EventType {
  return {
    name: 'invoice.paid',
    description: 'An invoice was paid.',
    schema: null,
    archived: false,
    createdAt: iso(),
    updatedAt: iso(),
    ...overrides,
  };
}

export function anEndpoint(appId: string, overrides: Partial<Endpoint> = {}): Endpoint {
  const now = new Date();
  return {
    id: newId('endpoint', now),
    appId,
    kind: 'push',
    url: 'https://hooks.example.com/in',
    description: '',
    eventTypes: null,
    channels: null,
    failingSince: null,
    subscriptionChanges: [],
    headers: {},
    disabled: false,
    rateLimit: null,
    metadata: {},
    secrets: freshSecrets(generateSecret()),
    createdAt: iso(now),
    updatedAt: iso(now),
    ...overrides,
  };
}

export function aMessage(appId: string, overrides: Partial<Message> = {}, at = new Date()): Message {
  return {
    id: newId('message', at),
    appId,
    eventType: 'invoice.paid',
    eventId: null,
    payload: { invoiceId: 'inv_1' },
    channels: null,
    timestamp: iso(at),
    ...overrides,
  };
}

export function aDelivery(message: Message, endpointId: string, overrides: Partial<Delivery> = {}): Delivery {
  return {
    msgId: message.id,
    appId: message.appId,
    endpointId,
    eventType: message.eventType,
    status: 'pending',
    attemptCount: 0,
    nextAttemptAt: message.timestamp,
    lastAttempt: null,
    createdAt: message.timestamp,
    pulledAt: null,
    ...overrides,
  };
}

export function anAttempt(
  delivery: Delivery,
  attemptNumber: number,
  overrides: Partial<Attempt> = {},
): Attempt {
  const now = new Date();
  return {
    id: newId('attempt', now),
    msgId: delivery.msgId,
    appId: delivery.appId,
    endpointId: delivery.endpointId,
    attemptNumber,
    trigger: attemptNumber === 1 ? 'initial' : 'retry',
    timestamp: iso(now),
    durationMs: 12,
    outcome: 'failed',
    responseStatus: 500,
    responseBody: 'oops',
    error: 'http_status',
    ...overrides,
  };
}

export function aTask(attemptNumber: number, endpointId = 'ep_1'): DeliveryTask {
  return {
    appId: 'app_1',
    msgId: 'msg_1',
    endpointId,
    attemptNumber,
    trigger: attemptNumber === 1 ? 'initial' : 'retry',
  };
}

/** A clock the test moves by hand. */
export class ManualClock {
  constructor(private current = new Date('2026-11-22T10:00:00.000Z')) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/**
 * An invoice of about 1 KiB of JSON, as a billing system would send it: ids that differ from
 * one invoice to the next, names, an address, line items. `n` varies it.
 */
export function anInvoicePayload(n: number): Message['payload'] {
  const ref = (prefix: string, part: number) =>
    `${prefix}_${newId('message', new Date(1_763_900_000_000 + n * 997 + part)).slice(-20)}`;
  const products = ['Pro plan (monthly)', 'Extra seats', 'Webhook add-on', 'Priority support', 'Data export'];
  const lines = products.map((description, index) => ({
    id: ref('li', index),
    description,
    quantity: ((n + index) % 7) + 1,
    unitAmount: 1200 + ((n * 31 + index * 350) % 4000),
    taxRate: 0.2,
  }));
  const subtotal = lines.reduce((sum, line) => sum + line.quantity * line.unitAmount, 0);
  return {
    id: ref('in', 10),
    object: 'invoice',
    status: 'paid',
    currency: 'eur',
    description: `Invoice ${n} for November 2026`,
    created: 1_763_900_000 + n,
    customer: {
      id: ref('cus', 11),
      email: `customer-${n}@example.com`,
      name: 'Ada Lovelace',
      address: { line1: '12 Analytical Engine Street', city: 'London', postalCode: 'NW1 6XE', country: 'GB' },
    },
    lines,
    subtotal,
    tax: Math.round(subtotal * 0.2),
    total: Math.round(subtotal * 1.2),
    paymentIntent: ref('pi', 12),
    metadata: { orderRef: `ORD-2026-${100_000 + n}` },
  };
}
