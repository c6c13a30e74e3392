/**
 * The one error hierarchy of Hookpost. Services throw these; exactly one place
 * (`handlers/http/errors.ts`) maps them to HTTP responses, by `instanceof`.
 * Anything that is not a HookpostError is a bug and becomes an opaque 500.
 */

export interface FieldProblem {
  /** Dotted path of the offending field, e.g. `payload` or `eventTypes.2`. */
  readonly path: string;
  readonly message: string;
}

export abstract class HookpostError extends Error {
  /** Stable, machine-readable code for the error envelope. */
  abstract readonly code: string;
  readonly details: unknown;

  constructor(message: string, options?: { cause?: unknown; details?: unknown }) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.details = options?.details;
  }
}

/** The request itself could not be read: malformed JSON, a bad query string. */
export class MalformedRequestError extends HookpostError {
  readonly code = 'bad_request';
}

/** No key, or a key that is not known. */
export class UnauthorizedError extends HookpostError {
  readonly code = 'unauthorized';
  constructor(message = 'A valid bearer key is required.') {
    super(message);
  }
}

/** A valid key that may not use this route: an application key on a route only the admin may use. */
export class ForbiddenError extends HookpostError {
  readonly code = 'forbidden';
}

/** Unknown id, or an id the caller may not see. */
export class NotFoundError extends HookpostError {
  readonly code = 'not_found';
  constructor(
    readonly resource: string,
    readonly id: string,
  ) {
    super(`${resource} ${id} was not found.`);
  }
}

/** The request clashes with existing state (duplicate uid, existing name). */
export class ConflictError extends HookpostError {
  readonly code = 'conflict';
}

/**
 * Another write changed the record between an update's read and its write, which therefore
 * wrote nothing: the update is made again from a new read (lambdas/services/updates.ts),
 * and only a record changed again and again answers 409.
 */
export class ChangedMeanwhileError extends ConflictError {
  constructor(resource: string, id: string) {
    super(`${resource} ${id} was changed by another request at the same time; send yours again.`);
  }
}

export class PayloadTooLargeError extends HookpostError {
  readonly code = 'payload_too_large';
}

/** The request was well-formed but its content is invalid; `details` names each bad field. */
export class ValidationError extends HookpostError {
  readonly code = 'validation_failed';
  declare readonly details: readonly FieldProblem[];

  constructor(message: string, problems: readonly FieldProblem[], options?: { cause?: unknown }) {
    super(message, { ...options, details: problems });
  }

  static forField(path: string, message: string): ValidationError {
    return new ValidationError(message, [{ path, message }]);
  }
}

/** The route exists but not for this method. */
export class MethodNotAllowedError extends HookpostError {
  readonly code = 'method_not_allowed';
}

/**
 * A delivery task arrived before the attempt it follows was recorded. Not a failure of the
 * endpoint: the task is handed back to the queue and tried again after its visibility timeout.
 */
export class DeliveryNotReadyError extends HookpostError {
  readonly code = 'delivery_not_ready';
}
