import { ConflictError, NotFoundError } from '../core/errors';
import type { EventType } from '../core/model';
import { isOperationalEventType, OPERATIONAL_EVENT_TYPE_ENTRIES } from '../core/operational';
import { checkPayloadSchema } from '../core/payload-schema';
import type { CreateEventTypeInput, UpdateEventTypeInput } from '../core/schemas';
import type { Clock, EventTypeStore, Page, PageRequest } from '../ports';
import { nextUpdatedAt, updateFromLatest } from './updates';

export class EventTypeService {
  constructor(private readonly deps: { readonly eventTypes: EventTypeStore; readonly clock: Clock }) {}

  async create(input: CreateEventTypeInput): Promise<EventType> {
    if (isOperationalEventType(input.name)) {
      throw new ConflictError(`${input.name} is a built-in operational event type.`);
    }
    if (input.schema != null) await checkPayloadSchema(input.schema);
    const now = this.deps.clock.now().toISOString();
    const eventType: EventType = {
      name: input.name,
      description: input.description ?? '',
      schema: input.schema ?? null,
      archived: false,
      createdAt: now,
      updatedAt: now,
    };
    await this.deps.eventTypes.create(eventType);
    return eventType;
  }

  /** The catalogue entry, built-in operational types included, or undefined. */
  async find(name: string): Promise<EventType | undefined> {
    return (
      OPERATIONAL_EVENT_TYPE_ENTRIES.find((entry) => entry.name === name) ?? this.deps.eventTypes.get(name)
    );
  }

  async get(name: string): Promise<EventType> {
    const eventType = await this.find(name);
    if (eventType === undefined) throw new NotFoundError('Event type', name);
    return eventType;
  }

  list(page: PageRequest): Promise<Page<EventType>> {
    return this.deps.eventTypes.list(page);
  }

  async update(name: string, input: UpdateEventTypeInput): Promise<EventType> {
    if (input.schema != null) await checkPayloadSchema(input.schema);
    return updateFromLatest(
      () => this.getOwn(name),
      async (previous) => {
        const next: EventType = {
          ...previous,
          description: input.description ?? previous.description,
          schema: input.schema === undefined ? previous.schema : input.schema,
          archived: input.archived ?? previous.archived,
          updatedAt: nextUpdatedAt(previous.updatedAt, this.deps.clock.now()),
        };
        await this.deps.eventTypes.update(previous, next);
        return next;
      },
    );
  }

  /** DELETE archives: messages of an archived type are refused, history stays readable. */
  async archive(name: string): Promise<void> {
    await this.update(name, { archived: true });
  }

  private async getOwn(name: string): Promise<EventType> {
    if (isOperationalEventType(name)) throw new ConflictError(`${name} is built in and cannot be changed.`);
    return this.get(name);
  }
}
