import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ITEM_KIND, ITEM_KIND_ATTRIBUTE } from '../../contract/tables';
import type { Message } from '../../core/model';
import { messageFromItem } from './message-item';

/** Turns a stream record's image into what it holds, for the fan-out handler. */
export type StreamImageDecoder = (image: Record<string, AttributeValue>) => Message | undefined;

/**
 * The message in a messages-table stream record's NEW_IMAGE, or undefined for other items
 * (`eventId` claims), should one get past the event source mapping's filter.
 */
export const messageFromStreamImage: StreamImageDecoder = (image) => {
  const item = unmarshall(image);
  return item[ITEM_KIND_ATTRIBUTE] === ITEM_KIND.message ? messageFromItem(item) : undefined;
};
