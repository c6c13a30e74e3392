import { z } from 'zod';
import { ValidationError } from './errors';
import { isValidSecret } from './signing';

/**
 * The shape of every request body and query, in one module. Handlers parse with
 * `parseInput`, which turns zod's issues into a ValidationError naming each bad field.
 */

export const EVENT_TYPE_NAME = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*$/;
const EVENT_TYPE_FILTER = /^[a-zA-Z0-9_-]+(\.[a-zA-Z0-9_-]+)*(\.\*)?$/;
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const HEADER_VALUE = /^[^\r\n\0]*$/;

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

const text = (max: number) => z.string().max(max);
const metadata = z
  .record(z.string().min(1).max(64), text(512))
  .refine((value) => Object.keys(value).length <= 50, 'At most 50 metadata entries.');

export const eventTypeName = z
  .string()
  .min(1)
  .max(256)
  .regex(EVENT_TYPE_NAME, 'Event type names are dot-separated words of letters, digits, _ and -.');

const eventTypeFilters = z
  .array(z.string().max(258).regex(EVENT_TYPE_FILTER, 'An event type name, optionally ending in .*'))
  .min(1)
  .max(100)
  .nullable();

const customHeaders = z
  .record(
    z
      .string()
      .regex(HEADER_NAME, 'Not a valid header name.')
      .refine(
        (name) =>
          !RESERVED_HEADERS.has(name.toLowerCase()) && !name.toLowerCase().startsWith(RESERVED_HEADER_PREFIX),
        'Hookpost sets this header itself.',
      ),
    text(4096).regex(HEADER_VALUE, 'Header values cannot contain line breaks.'),
  )
  .refine((value) => Object.keys(value).length <= 20, 'At most 20 custom headers.');

/** JSON.parse turns 1e400 into Infinity, which JSON cannot carry back out: refuse it. */
function onlyFiniteNumbers(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (Array.isArray(value)) return value.every(onlyFiniteNumbers);
  if (typeof value === 'object' && value !== null) return Object.values(value).every(onlyFiniteNumbers);
  return true;
}
const jsonObject = z
  .record(z.string(), z.unknown())
  .refine(onlyFiniteNumbers, 'Numbers must be finite (JSON cannot carry Infinity).');

const secret = z.string().refine(isValidSecret, 'A secret is whsec_ followed by base64 of 24 to 64 bytes.');

export const createAppSchema = z.strictObject({
  name: z.string().min(1).max(256),
  uid: z
    .string()
    .min(1)
    .max(256)
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
  description: text(1024).optional(),
  schema: jsonObject.nullish(),
});
export type CreateEventTypeInput = z.infer<typeof createEventTypeSchema>;

export const updateEventTypeSchema = z.strictObject({
  description: text(1024).optional(),
  schema: jsonObject.nullish(),
  archived: z.boolean().optional(),
});
export type UpdateEventTypeInput = z.infer<typeof updateEventTypeSchema>;

const endpointFields = {
  url: z.string().min(1).max(2048),
  description: text(1024).optional(),
  eventTypes: eventTypeFilters.optional(),
  headers: customHeaders.optional(),
  disabled: z.boolean().optional(),
  rateLimit: z.number().int().min(1).max(10_000).nullish(),
  metadata: metadata.optional(),
};

export const createEndpointSchema = z.strictObject({
  kind: z.literal('push').default('push'),
  ...endpointFields,
  secret: secret.optional(),
});
export type CreateEndpointInput = z.infer<typeof createEndpointSchema>;

export const updateEndpointSchema = z.strictObject(endpointFields).partial();
export type UpdateEndpointInput = z.infer<typeof updateEndpointSchema>;

export const rotateSecretSchema = z.strictObject({ key: secret.optional() });
export type RotateSecretInput = z.infer<typeof rotateSecretSchema>;

export const createMessageSchema = z.strictObject({
  eventType: eventTypeName,
  eventId: z.string().min(1).max(256).nullish(),
  payload: jsonObject,
  channels: z.array(z.string().min(1).max(128)).max(10).nullish(),
});
export type CreateMessageInput = z.infer<typeof createMessageSchema>;

const isoTime = z.iso.datetime({ offset: true });

export const pageQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(250).default(50),
  cursor: z.string().min(1).max(2048).optional(),
});
export type PageQuery = z.infer<typeof pageQuerySchema>;

export const messageListQuerySchema = pageQuerySchema.extend({
  eventType: eventTypeName.optional(),
  after: isoTime.optional(),
  before: isoTime.optional(),
});
export type MessageListQuery = z.infer<typeof messageListQuerySchema>;

/** Parses `input`, or throws a ValidationError that names every bad field. */
export function parseInput<Schema extends z.ZodType>(
  schema: Schema,
  input: unknown,
  what: string,
): z.output<Schema> {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => ({
    path: issue.path.map(String).join('.') || '(root)',
    message: issue.message,
  }));
  throw new ValidationError(`The ${what} is not valid.`, problems, { cause: result.error });
}

export const deliveryTaskSchema = z.object({
  appId: z.string().min(1),
  msgId: z.string().min(1),
  endpointId: z.string().min(1),
  attemptNumber: z.number().int().min(1),
  trigger: z.enum(['initial', 'retry', 'manual', 'recover']),
});
