import type { Message } from '../../core/model';

/**
 * How a message is kept in a DynamoDB item (and in an `eventId` claim). The payload is
 * kept as JSON text (`payloadJson`): any JSON object the API accepts is stored as sent,
 * whatever DynamoDB's rules for maps (empty keys, nesting depth, numbers).
 */
export function messageAttributes(message: Message): Record<string, unknown> {
  const { payload, ...rest } = message;
  return { ...rest, payloadJson: JSON.stringify(payload) };
}

export function messageFromItem(item: Record<string, unknown>): Message {
  return {
    id: item.id as string,
    appId: item.appId as string,
    eventType: item.eventType as string,
    eventId: (item.eventId as string | null | undefined) ?? null,
    payload: JSON.parse(item.payloadJson as string) as Message['payload'],
    channels: (item.channels as string[] | null | undefined) ?? null,
    timestamp: item.timestamp as string,
  };
}
