import { ConflictError } from '../../core/errors';
import type { EventType } from '../../core/model';
import type { EventTypeStore, Page, PageRequest } from '../../ports';
import type { Documents } from './documents';
import { kindIndexAttributes, listKind } from './kind-index';
import { isConditionalCheckFailed } from './paging';
import { replaceIfUnchanged } from './replace-if-unchanged';

/** Event types in the catalog table: pk `EVT#{name}`, sk `#EVT`; listed by name through byKind. */
const EVT_SK = '#EVT';
const EVT_KIND = 'EVT';
const key = (name: string) => ({ pk: `EVT#${name}`, sk: EVT_SK });

export class DynamoEventTypeStore implements EventTypeStore {
  constructor(
    private readonly doc: Documents,
    private readonly tableName: string,
  ) {}

  async create(eventType: EventType): Promise<void> {
    try {
      await this.doc.put({
        TableName: this.tableName,
        Item: toItem(eventType),
        ConditionExpression: 'attribute_not_exists(pk)',
      });
    } catch (error) {
      if (isConditionalCheckFailed(error))
        throw new ConflictError(`The event type ${eventType.name} exists already.`);
      throw error;
    }
  }

  async get(name: string): Promise<EventType | undefined> {
    const { Item } = await this.doc.get({ TableName: this.tableName, Key: key(name), ConsistentRead: true });
    return Item === undefined ? undefined : fromItem(Item);
  }

  async list(page: PageRequest): Promise<Page<EventType>> {
    return listKind(this.doc, this.tableName, EVT_KIND, page, fromItem);
  }

  async update(previous: EventType, next: EventType): Promise<void> {
    await replaceIfUnchanged(this.doc, {
      tableName: this.tableName,
      key: key(next.name),
      item: toItem(next),
      asRead: { updatedAt: previous.updatedAt },
      resource: 'Event type',
      id: next.name,
    });
  }
}

/** The JSON Schema is kept as JSON text, so that any schema is stored as given. */
function toItem(eventType: EventType): Record<string, unknown> {
  const { schema, ...rest } = eventType;
  return {
    ...key(eventType.name),
    ...kindIndexAttributes(EVT_KIND, eventType.name),
    ...rest,
    schemaJson: schema === null ? null : JSON.stringify(schema),
  };
}

function fromItem(item: Record<string, unknown>): EventType {
  return {
    name: item.name as string,
    description: (item.description as string | undefined) ?? '',
    schema: typeof item.schemaJson === 'string' ? (JSON.parse(item.schemaJson) as EventType['schema']) : null,
    archived: item.archived === true,
    createdAt: item.createdAt as string,
    updatedAt: item.updatedAt as string,
  };
}
