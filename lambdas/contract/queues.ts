/**
 * How the delivery queue is consumed, on AWS (the SQS event source mapping in
 * `lib/delivery.ts`) and in local mode (`lambdas/local/worker.ts`) alike.
 */

/** A task handed out this often without being deleted goes to the dead-letter queue. */
export const DELIVERY_QUEUE_MAX_RECEIVE_COUNT = 5;

/** Tasks per invocation of the delivery function (SQS allows 10 without a batching window). */
export const DELIVERY_BATCH_SIZE = 10;

/**
 * A first-attempt task carries its message when the message's JSON is at most this long
 * (lambdas/core/model.ts, DeliveryTask.message): ten such tasks, a SendMessageBatch, stay
 * within the 64 KiB that SQS bills as one request.
 */
export const TASK_MESSAGE_MAX_BYTES = 4 * 1024;

/** Stream records per invocation of the fan-out function. */
export const FAN_OUT_BATCH_SIZE = 100;

/** SQS delays stop at 15 minutes; longer waits go to the retry scheduler. */
export const MAX_QUEUE_DELAY_MS = 15 * 60 * 1000;

/** The delivery function may run this much longer than one attempt (reading, recording, scheduling). */
const DELIVERY_FUNCTION_OVERHEAD_MS = 30_000;

export function deliveryFunctionTimeoutMs(attemptTimeoutMs: number): number {
  return attemptTimeoutMs + DELIVERY_FUNCTION_OVERHEAD_MS;
}

/**
 * How long a received task stays invisible: AWS's advice for a Lambda consumer is six
 * times the function's timeout, so that a task is never handed out twice while it runs.
 */
export function deliveryVisibilityTimeoutMs(attemptTimeoutMs: number): number {
  return 6 * deliveryFunctionTimeoutMs(attemptTimeoutMs);
}
