import * as z from 'zod';
import { LIMITS } from '../contract/limits';
import { isValidSecret } from './signing';

/**
 * The shape of every request body and query, in one module, within the limits of
 * lambdas/contract/limits.ts. Handlers parse with `parseInput`, which turns zod's issues
 * into a ValidationError naming each bad field. What holds for every string and number of a
 * body (well-formed Unicode, finite numbers, no `__proto__` keys, bounded nesting) is
 * checked once before any schema runs (lambdas/core/json-body.ts).
 */

export const EVENT_TYPE_NAME = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;
const EVENT_TYPE_FILTER = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*(\.\*)?$/;
/** An HTTP token (RFC 9110). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
/** Visible ASCII, space and tab: what every HTTP stack sends and reads back the same. */
const HEADER_VALUE = /^[\t\x20-\x7e]*$/;
const CHANNEL = /^[a-zA-Z0-9_.:-]+$/;
/** No control characters (C0, DEL, C1): names, keys and ids are one line of text. */
const SINGLE_LINE = /^\P{Cc}*$/u;
/** Descriptions may break lines and use tabs, and hold no other control character. */
const PROSE = /^(?:[\t\n\r]|\P{Cc})*$/u;

/** Headers Hookpost sets itself; an endpoint's custom headers cannot replace them. */
export const RESERVED_HEADERS: ReadonlySet<string> = new Set([
  'content-type',
  'content-length',
  'host',
  'user-agent',
  'connection',
  'transfer-encoding',
]);
const RESERVED_HEADER_PREFIX = 'webhook-';

const singleLine = (max: number) =>
  z.string().max(max).regex(SINGLE_LINE, 'Control characters are not allowed.');
const prose = (max: number) =>
  z.string().max(max).regex(PROSE, 'Control characters other than tab and line breaks are not allowed.');

const metadata = z
  .record(singleLine(LIMITS.metadataKeyLength).min(1), prose(LIMITS.metadataValueLength))
  .refine(
    (value) => Object.keys(value).length <= LIMITS.metadataEntries,
    `At most ${LIMITS.metadataEntries} metadata entries.`,
  );

export const eventTypeName = z
  .string()
  .min(1)
  .max(LIMITS.nameLength)
  .regex(EVENT_TYPE_NAME, 'Event type names are dot-separated words of letters, digits, _ and -.');

const eventTypeFilters = z
  .array(
    z
      .string()
      .max(LIMITS.nameLength + '.*'.length)
      .regex(EVENT_TYPE_FILTER, 'An event type name, optionally ending in .*'),
  )
  .min(1)
  .max(LIMITS.eventTypeFilters)
  .nullable();

const customHeaders = z
  .record(
    z
      .string()
      .max(LIMITS.headerNameLength)
      .regex(HEADER_NAME, 'Not a valid header name.')
      .refine(
        (name) =>
          !RESERVED_HEADERS.has(name.toLowerCase()) && !name.toLowerCase().startsWith(RESERVED_HEADER_PREFIX),
        'Hookpost sets this header itself.',
      ),
    z
      .string()
      .max(LIMITS.headerValueLength)
      .regex(HEADER_VALUE, 'Header values are visible ASCII characters, spaces and tabs.'),
  )
  .refine(
    (value) => Object.keys(value).length <= LIMITS.customHeaders,
    `At most ${LIMITS.customHeaders} custom headers.`,
  );

/** A JSON object, as sent (json-body.ts has checked its strings, numbers and depth). */
const jsonObject = z.record(z.string(), z.unknown());

const secret = z.string().refine(isValidSecret, 'A secret is whsec_ followed by base64 of 24 to 64 bytes.');

export const createAppSchema = z.strictObject({
  name: singleLine(LIMITS.nameLength).min(1),
  uid: z
    .string()
    .min(1)
    .max(LIMITS.uidLength)
    .regex(/^[a-zA-Z0-9_.-]+$/, 'Letters, digits, _, . and - only.')
    .refine((uid) => !uid.startsWith('app_'), 'A uid cannot look like an app id.')
    .nullish(),
  metadata: metadata.optional(),
});
export type CreateAppInput = z.infer<typeof createAppSchema>;

export const updateAppSchema = createAppSchema.partial();
export type UpdateAppInput = z.infer<typeof updateAppSchema>;

export const createEventTypeSchema = z.strictObject({
  name: eventTypeName,
  description: prose(LIMITS.descriptionLength).optional(),
  schema: jsonObject.nullish(),
});
export type CreateEventTypeInput = z.infer<typeof createEventTypeSchema>;

export const updateEventTypeSchema = z.strictObject({
  description: prose(LIMITS.descriptionLength).optional(),
  schema: jsonObject.nullish(),
  archived: z.boolean().optional(),
});
export type UpdateEventTypeInput = z.infer<typeof updateEventTypeSchema>;

const channelNames = z
  .array(
    z
      .string()
      .min(1)
      .max(LIMITS.channelLength)
      .regex(CHANNEL, 'Channel names are letters, digits, _, ., : and -.'),
  )
  .max(LIMITS.channels);

const endpointFields = {
  /** A push endpoint's; a poll endpoint has none. */
  url: z.string().min(1).max(LIMITS.urlLength),
  description: prose(LIMITS.descriptionLength).optional(),
  eventTypes: eventTypeFilters.optional(),
  /** `null` takes every message; a list takes the messages that name one of its channels. */
  channels: channelNames.min(1).nullable().optional(),
  headers: customHeaders.optional(),
  disabled: z.boolean().optional(),
  rateLimit: z.number().int().min(1).max(LIMITS.rateLimitPerSecond).nullish(),
  metadata: metadata.optional(),
};

/**
 * `push` (the default) takes a `url`; `poll` takes none, nor `headers`, `rateLimit` or
 * `secret`, which only mean something for a POST (the service refuses them, naming the field).
 */
export const createEndpointSchema = z.strictObject({
  kind: z.enum(['push', 'poll']).default('push'),
  ...endpointFields,
  url: endpointFields.url.optional(),
  secret: secret.optional(),
});
export type CreateEndpointInput = z.infer<typeof createEndpointSchema>;

export const updateEndpointSchema = z.strictObject(endpointFields).partial();
export type UpdateEndpointInput = z.infer<typeof updateEndpointSchema>;

export const rotateSecretSchema = z.strictObject({ key: secret.optional() });
export type RotateSecretInput = z.infer<typeof rotateSecretSchema>;

export const createMessageSchema = z.strictObject({
  eventType: eventTypeName,
  eventId: singleLine(LIMITS.eventIdLength).min(1).nullish(),
  payload: jsonObject,
  channels: channelNames.nullish(),
});
export type CreateMessageInput = z.infer<typeof createMessageSchema>;

/** The batch's envelope; each message in it is parsed on its own, so that one bad item fails alone. */
export const messageBatchSchema = z.strictObject({
  messages: z.array(z.unknown()).min(1).max(LIMITS.batchMessages),
});

const isoTime = z.iso.datetime({ offset: true });

/**
 * Queries are strict, as bodies are: a parameter a list does not take (a misspelt filter,
 * say) is refused, not ignored, so that a caller never reads an unfiltered list for a
 * filtered one.
 */
export const pageQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(LIMITS.pageSize).default(50),
  cursor: z.string().min(1).max(LIMITS.cursorLength).optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

export const endpointAttemptsQuerySchema = pageQuerySchema.extend({
  outcome: z.enum(['succeeded', 'failed']).optional(),
});
export type EndpointAttemptsQuery = z.infer<typeof endpointAttemptsQuerySchema>;

/** How long a receive waits for a notification, in whole seconds (0, the default, answers at once). */
export const receiveQuerySchema = z.strictObject({
  wait: z.coerce.number().int().min(0).max(LIMITS.receiveWaitSeconds).default(0),
});
export type ReceiveQuery = z.infer<typeof receiveQuerySchema>;

export const recoverSchema = z.strictObject({ since: isoTime });
export type RecoverInput = z.infer<typeof recoverSchema>;

/** A window of acceptance times; the service fills in what is missing from its clock. */
export const statsQuerySchema = z.strictObject({ since: isoTime.optional(), until: isoTime.optional() });
export type StatsQuery = z.infer<typeof statsQuerySchema>;

export const messageListQuerySchema = pageQuerySchema.extend({
  eventType: eventTypeName.optional(),
  after: isoTime.optional(),
  before: isoTime.optional(),
});
export type MessageListQuery = z.infer<typeof messageListQuerySchema>;

export { parseInput } from './parse-input';
