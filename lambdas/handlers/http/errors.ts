import {
  ConflictError,
  ForbiddenError,
  HookpostError,
  MalformedRequestError,
  MethodNotAllowedError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  ValidationError,
} from '../../core/errors';
import { describeError } from '../../logger';
import type { Logger } from '../../ports';
import type { ApiResponse } from './types';

/** The one place where errors become HTTP responses, in the error envelope (README, "API at a glance"). */
const STATUS_BY_ERROR: readonly (readonly [abstract new (...args: never[]) => HookpostError, number])[] = [
  [MalformedRequestError, 400],
  [UnauthorizedError, 401],
  [ForbiddenError, 403],
  [NotFoundError, 404],
  [MethodNotAllowedError, 405],
  [ConflictError, 409],
  [PayloadTooLargeError, 413],
  [ValidationError, 422],
];

/**
 * The error envelope, `{ error: { code, message, details } }`, of every refusal the API
 * makes: `details` is always there, null when there is nothing more to say.
 */
export function envelope(code: string, message: string, details: unknown = null) {
  return { error: { code, message, details } };
}

export function errorEnvelope(error: HookpostError) {
  return envelope(error.code, error.message, error.details ?? null);
}

export function errorResponse(error: unknown, logger: Logger): ApiResponse {
  if (error instanceof HookpostError) {
    const status = STATUS_BY_ERROR.find(([type]) => error instanceof type)?.[1];
    if (status !== undefined) return { statusCode: status, body: errorEnvelope(error) };
  }
  // A bug: log what happened, tell the caller nothing of the internals.
  logger.error('unhandled error in API handler', describeError(error));
  return {
    statusCode: 500,
    body: envelope('internal_error', 'Something went wrong on our side. It has been logged.'),
  };
}
