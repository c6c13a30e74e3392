import * as z from 'zod/mini';
import type { DeliveryTask } from './model';

/**
 * The delivery queue's task as the delivery function reads it (lambdas/core/model.ts,
 * DeliveryTask): written by fan-out, by the delivery function itself and by the retry
 * scheduler, never by a caller; checked all the same, so that a malformed task fails alone.
 */

const nonEmpty = () => z.string().check(z.minLength(1));

/** A stored message as a task carries it. */
const carriedMessageSchema = z.object({
  id: nonEmpty(),
  appId: nonEmpty(),
  eventType: nonEmpty(),
  eventId: z.nullable(z.string()),
  payload: z.record(z.string(), z.unknown()),
  channels: z.nullable(z.array(z.string())),
  timestamp: z.iso.datetime(),
});

export const deliveryTaskSchema = z.object({
  appId: nonEmpty(),
  msgId: nonEmpty(),
  endpointId: nonEmpty(),
  attemptNumber: z.int().check(z.minimum(0)),
  trigger: z.enum(['initial', 'retry', 'manual', 'recover']),
  notBefore: z.optional(z.iso.datetime()),
  requestId: z.optional(nonEmpty()),
  test: z.optional(z.boolean()),
  message: z.optional(carriedMessageSchema),
});

/**
 * What names one delivery's attempt in a log line or a metrics report: ids only, never the
 * message a first attempt's task carries (a payload is the caller's data).
 */
export function taskIds(task: DeliveryTask) {
  return {
    appId: task.appId,
    msgId: task.msgId,
    endpointId: task.endpointId,
    attemptNumber: task.attemptNumber,
    trigger: task.trigger,
  };
}
