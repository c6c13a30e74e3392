import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ITEM_KIND, ITEM_KIND_ATTRIBUTE } from '../../contract/tables';
import type { AttemptRequest, Message } from '../../core/model';
import { messageFromItem } from './message-item';

/** What a new item of the messages table asks of fan-out: a message to fan out, or a request for attempts. */
export type FanOutWork = { readonly message: Message } | { readonly request: AttemptRequest };

/** Turns a stream record's image into what it holds, for the fan-out handler. */
export type StreamImageDecoder = (image: Record<string, AttributeValue>) => FanOutWork | undefined;

/**
 * The work in a messages-table stream record's NEW_IMAGE, or undefined for other items
 * (`eventId` claims), should one get past the event source mapping's filter.
 */
export const fanOutWorkFromStreamImage: StreamImageDecoder = (image) => {
  const item = unmarshall(image);
  if (item[ITEM_KIND_ATTRIBUTE] === ITEM_KIND.message) return { message: messageFromItem(item) };
  if (item[ITEM_KIND_ATTRIBUTE] === ITEM_KIND.attemptRequest)
    return { request: item.request as AttemptRequest };
  return undefined;
};
