import { deflateRawSync, inflateRawSync } from 'node:zlib';
import type { Message } from '../../core/model';

/**
 * A payload's JSON text from this size on is kept deflated when that makes it smaller.
 * DynamoDB bills a write unit per started KiB of item: a typical 1 KiB JSON payload
 * deflates to about half, which keeps its message within one write unit instead of two,
 * and halves what is stored and streamed. Below this size there is little to win.
 */
const DEFLATE_FROM_BYTES = 256;

/**
 * How a message is kept in a DynamoDB item (and in an `eventId` claim). The payload is
 * kept as JSON text (`payloadJson`), or that text deflated (`payloadDeflated`, binary):
 * any JSON object the API accepts is stored as sent, whatever DynamoDB's rules for maps
 * (empty keys, nesting depth, numbers).
 */
export function messageAttributes(message: Message): Record<string, unknown> {
  const { payload, ...rest } = message;
  const json = JSON.stringify(payload);
  if (Buffer.byteLength(json) >= DEFLATE_FROM_BYTES) {
    const deflated = deflateRawSync(json);
    if (deflated.length < Buffer.byteLength(json)) return { ...rest, payloadDeflated: deflated };
  }
  return { ...rest, payloadJson: json };
}

export function messageFromItem(item: Record<string, unknown>): Message {
  return {
    id: item.id as string,
    appId: item.appId as string,
    eventType: item.eventType as string,
    eventId: (item.eventId as string | null | undefined) ?? null,
    payload: JSON.parse(payloadJsonOf(item)) as Message['payload'],
    channels: (item.channels as string[] | null | undefined) ?? null,
    timestamp: item.timestamp as string,
  };
}

/**
 * The payload's JSON text. A binary attribute reads as bytes from Documents, but as base64
 * text from a stream record in a Lambda event (Lambda's events are JSON): both are taken.
 */
function payloadJsonOf(item: Record<string, unknown>): string {
  const deflated = item.payloadDeflated as Uint8Array | string | undefined;
  if (deflated === undefined) return item.payloadJson as string;
  const bytes = typeof deflated === 'string' ? Buffer.from(deflated, 'base64') : deflated;
  return inflateRawSync(bytes).toString('utf8');
}
