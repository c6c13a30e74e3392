import * as z from 'zod';

/**
 * What the API answers, as zod schemas: the OpenAPI document (openapi.ts) is generated from
 * them, and the views (views.ts) are typed to return exactly these shapes, so that the
 * document cannot promise a field a view does not produce.
 */

const time = z.iso.datetime({ offset: true });
const stringMap = z.record(z.string(), z.string());

export const appResponse = z.object({
  id: z.string(),
  name: z.string(),
  uid: z.string().nullable(),
  metadata: stringMap,
  createdAt: time,
  updatedAt: time,
});

export const eventTypeResponse = z.object({
  name: z.string(),
  description: z.string(),
  schema: z.record(z.string(), z.unknown()).nullable(),
  archived: z.boolean(),
  createdAt: time,
  updatedAt: time,
});

export const endpointResponse = z.object({
  id: z.string(),
  appId: z.string(),
  kind: z.enum(['push', 'poll']),
  url: z.string().nullable(),
  description: z.string(),
  eventTypes: z.array(z.string()).readonly().nullable(),
  channels: z.array(z.string()).readonly().nullable(),
  headers: stringMap,
  disabled: z.boolean(),
  rateLimit: z.number().int().nullable(),
  metadata: stringMap,
  createdAt: time,
  updatedAt: time,
});

export const messageResponse = z.object({
  id: z.string(),
  appId: z.string(),
  eventType: z.string(),
  eventId: z.string().nullable(),
  payload: z.record(z.string(), z.unknown()),
  channels: z.array(z.string()).readonly().nullable(),
  timestamp: time,
});

export const attemptResponse = z.object({
  id: z.string(),
  msgId: z.string(),
  appId: z.string(),
  endpointId: z.string(),
  attemptNumber: z.number().int(),
  trigger: z.enum(['initial', 'retry', 'manual', 'recover']),
  timestamp: time,
  durationMs: z.number(),
  outcome: z.enum(['succeeded', 'failed']),
  responseStatus: z.number().int().nullable(),
  responseBody: z.string().nullable().describe('The first 4 KiB of the response body.'),
  error: z.string().nullable().describe('Why the attempt failed: timeout, connection_refused, tls, …'),
});

export const deliveryResponse = z.object({
  endpointId: z.string(),
  status: z.enum(['pending', 'succeeded', 'failed']),
  attemptCount: z.number().int(),
  nextAttemptAt: time.nullable(),
  lastAttempt: attemptResponse.nullable(),
});

export const messageWithDeliveriesResponse = messageResponse.extend({
  deliveries: z.array(deliveryResponse),
});

export const apiKeyResponse = z.object({ id: z.string(), appId: z.string(), createdAt: time });

export const createdApiKeyResponse = z.object({
  id: z.string(),
  key: z.string().describe('The application key: shown here once, never again.'),
  createdAt: time,
});

export const errorResponseSchema = z.object({
  error: z.object({
    code: z.string(),
    message: z.string(),
    details: z
      .unknown()
      .describe('For 422, and 400 for a bad query: each bad field, as { path, message }; otherwise null.'),
  }),
});

export const batchResponse = z.object({
  data: z.array(
    z.union([
      z.object({ status: z.union([z.literal(202), z.literal(200)]), message: messageResponse }),
      z.object({ status: z.literal(422), error: errorResponseSchema.shape.error }),
    ]),
  ),
});

export const endpointStatsResponse = z.object({
  since: time,
  until: time,
  succeeded: z.number().int(),
  failed: z.number().int(),
  pending: z.number().int(),
  pull: z.object({ pulled: z.number().int(), pending: z.number().int() }).nullable(),
});

export const notificationResponse = z.object({
  receiptId: z.string(),
  notification: z.object({
    id: z.string(),
    eventType: z.string(),
    timestamp: time,
    payload: z.record(z.string(), z.unknown()),
  }),
});

export const recoverResponse = z.object({ since: time });
export const resendResponse = z.object({ msgId: z.string(), endpointId: z.string() });

export const healthResponse = z.object({ status: z.literal('ok') });
export const egressIpsResponse = z.object({ data: z.array(z.string()) });
export const secretResponse = z.object({ key: z.string().describe('whsec_ and base64 of the secret.') });

/** A page of a list: `nextCursor` is null on the last page. */
export function pageResponse<Item extends z.ZodType>(item: Item) {
  return z.object({ data: z.array(item), nextCursor: z.string().nullable() });
}
