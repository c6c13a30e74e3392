import { ConflictError, NotFoundError, ValidationError } from '../core/errors';
import { newId } from '../core/ids';
import type { Attempt, Delivery, EventType, Message } from '../core/model';
import { validatePayload } from '../core/payload-schema';
import {
  type CreateMessageInput,
  createMessageSchema,
  type MessageListQuery,
  parseInput,
} from '../core/schemas';
import type { Clock, DeliveryStore, EndpointStore, MessageStore, Page, PageRequest } from '../ports';
import type { AppService } from './apps';
import { requireKind } from './endpoints';
import type { EventTypeService } from './event-types';

export interface AcceptedMessage {
  readonly message: Message;
  /** False when the `eventId` was seen before and this is the first message, replayed. */
  readonly created: boolean;
}

/** One message of a batch: accepted (or replayed), or refused with the reason. */
export type BatchItemResult = { readonly accepted: AcceptedMessage } | { readonly refused: ValidationError };

/** Messages of a batch accepted at once: enough to keep a batch quick, few enough to spare the table. */
const BATCH_CONCURRENCY = 10;

export interface MessageWithDeliveries extends Message {
  readonly deliveries: readonly Delivery[];
}

export class MessageService {
  constructor(
    private readonly deps: {
      readonly apps: AppService;
      readonly eventTypes: EventTypeService;
      readonly messages: MessageStore;
      readonly deliveries: DeliveryStore;
      readonly endpoints: EndpointStore;
      readonly clock: Clock;
      /** When false, messages of types outside the catalogue are accepted too. */
      readonly requireKnownEventTypes: boolean;
    },
  ) {}

  /**
   * Accepts a message with one conditional write; fan-out follows from the store's change
   * stream, so nothing between this call and the deliveries can be lost by a crash here.
   */
  async accept(appId: string, input: CreateMessageInput): Promise<AcceptedMessage> {
    await this.deps.apps.get(appId);
    return this.acceptValid(appId, input, (name) => this.checkEventType(name));
  }

  private async acceptValid(
    appId: string,
    input: CreateMessageInput,
    checkEventType: (name: string) => Promise<EventType | undefined>,
  ): Promise<AcceptedMessage> {
    try {
      const eventType = await checkEventType(input.eventType);
      if (eventType?.schema != null) await validatePayload(eventType.schema, input.payload);
    } catch (error) {
      // A request sent again is answered with its first message, even if the event type
      // has since been archived or given a schema that the payload no longer meets.
      const first =
        error instanceof ValidationError && input.eventId != null
          ? await this.deps.messages.getByEventId(appId, input.eventId)
          : undefined;
      if (first === undefined) throw error;
      return { message: first, created: false };
    }
    const now = this.deps.clock.now();
    return this.deps.messages.accept({
      id: newId('message', now),
      appId,
      eventType: input.eventType,
      eventId: input.eventId ?? null,
      payload: input.payload,
      channels: input.channels ?? null,
      timestamp: now.toISOString(),
    });
  }

  /**
   * Accepts up to LIMITS.batchMessages messages, each on its own: a message that is not
   * valid is refused alone (422 in its result) and the others are accepted; each is
   * idempotent on its `eventId` exactly as a single send. A failure of the store fails the
   * call; the messages accepted before it stay accepted, and sending the batch again with
   * the same eventIds accepts the rest without doubling any.
   */
  async acceptBatch(appId: string, items: readonly unknown[]): Promise<BatchItemResult[]> {
    await this.deps.apps.get(appId);
    const eventTypes = new Map<string, Promise<EventType | undefined>>();
    const checkEventType = (name: string) => {
      const known = eventTypes.get(name) ?? this.checkEventType(name);
      eventTypes.set(name, known);
      return known;
    };
    const results: BatchItemResult[] = [];
    for (let start = 0; start < items.length; start += BATCH_CONCURRENCY) {
      const slice = items.slice(start, start + BATCH_CONCURRENCY);
      results.push(
        ...(await Promise.all(
          slice.map(async (item, offset): Promise<BatchItemResult> => {
            try {
              const input = parseInput(createMessageSchema, item, `message ${start + offset}`);
              return { accepted: await this.acceptValid(appId, input, checkEventType) };
            } catch (error) {
              if (error instanceof ValidationError) return { refused: error };
              throw error;
            }
          }),
        )),
      );
    }
    return results;
  }

  async get(appId: string, msgId: string): Promise<MessageWithDeliveries> {
    const message = await this.find(appId, msgId);
    const deliveries = await this.deps.deliveries.listForMessage(msgId);
    return { ...message, deliveries };
  }

  async list(appId: string, query: MessageListQuery): Promise<Page<Message>> {
    await this.deps.apps.get(appId);
    return this.deps.messages.list(appId, {
      limit: query.limit,
      cursor: query.cursor,
      eventType: query.eventType,
      after: query.after === undefined ? undefined : new Date(query.after),
      before: query.before === undefined ? undefined : new Date(query.before),
    });
  }

  /**
   * Sends the message to the endpoint again now, as a manual attempt outside the ladder
   * (the ladder is not restarted), from the delivery function like every POST.
   */
  async resend(
    appId: string,
    msgId: string,
    endpointId: string,
  ): Promise<{ msgId: string; endpointId: string }> {
    await this.find(appId, msgId);
    const [delivery, endpoint] = await Promise.all([
      this.deps.deliveries.get(msgId, endpointId),
      this.deps.endpoints.get(appId, endpointId),
    ]);
    if (endpoint === undefined) throw new NotFoundError('Endpoint', endpointId);
    if (delivery === undefined) throw new NotFoundError('Delivery of that message to', endpointId);
    requireKind(endpoint, 'push');
    if (endpoint.disabled) throw new ConflictError('The endpoint is disabled: enable it to resend to it.');
    const now = this.deps.clock.now();
    await this.deps.messages.requestAttempts({
      id: newId('message', now),
      appId,
      endpointId,
      kind: 'resend',
      msgId,
      requestedAt: now.toISOString(),
    });
    return { msgId, endpointId };
  }

  async listAttempts(appId: string, msgId: string, page: PageRequest): Promise<Page<Attempt>> {
    await this.find(appId, msgId);
    return this.deps.deliveries.listAttempts(msgId, page);
  }

  private async find(appId: string, msgId: string): Promise<Message> {
    await this.deps.apps.get(appId);
    const message = await this.deps.messages.get(appId, msgId);
    if (message === undefined) throw new NotFoundError('Message', msgId);
    return message;
  }

  /** The message's catalogue entry (undefined when the deployment accepts unknown types). */
  private async checkEventType(name: string): Promise<EventType | undefined> {
    const eventType = await this.deps.eventTypes.find(name);
    if (eventType === undefined && this.deps.requireKnownEventTypes) {
      throw ValidationError.forField('eventType', `The event type ${name} is not in the catalogue.`);
    }
    if (eventType?.archived) {
      throw ValidationError.forField('eventType', `The event type ${name} is archived.`);
    }
    return eventType;
  }
}
