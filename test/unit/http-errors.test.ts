import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  MalformedRequestError,
  NotFoundError,
  PayloadTooLargeError,
  UnauthorizedError,
  ValidationError,
} from '../../lambdas/core/errors';
import { errorResponse } from '../../lambdas/handlers/http/errors';
import { createJsonLogger } from '../../lambdas/logger';

describe('error envelope', () => {
  const lines: string[] = [];
  const logger = createJsonLogger('error', (line) => lines.push(line));

  it.each([
    [new MalformedRequestError('bad json'), 400, 'bad_request'],
    [new UnauthorizedError(), 401, 'unauthorized'],
    [new NotFoundError('Application', 'app_x'), 404, 'not_found'],
    [new ConflictError('taken'), 409, 'conflict'],
    [new PayloadTooLargeError('big'), 413, 'payload_too_large'],
    [ValidationError.forField('url', 'nope'), 422, 'validation_failed'],
  ])('maps %s to %i', (error, status, code) => {
    const response = errorResponse(error, logger);
    expect(response.statusCode).toBe(status);
    expect(response.body).toMatchObject({ error: { code, message: error.message } });
    expect(Object.keys((response.body as { error: object }).error)).toEqual(['code', 'message', 'details']);
  });

  it('says null in details when there is nothing more to say', () => {
    expect(errorResponse(new NotFoundError('Application', 'app_x'), logger).body).toEqual({
      error: { code: 'not_found', message: 'Application app_x was not found.', details: null },
    });
  });

  it('names each bad field in a 422', () => {
    expect(errorResponse(ValidationError.forField('url', 'nope'), logger).body).toEqual({
      error: { code: 'validation_failed', message: 'nope', details: [{ path: 'url', message: 'nope' }] },
    });
  });

  it('answers anything else with an opaque 500 and logs it', () => {
    const response = errorResponse(new TypeError('secret internals at line 42'), logger);
    expect(response.statusCode).toBe(500);
    expect(JSON.stringify(response.body)).not.toContain('internals');
    expect(response.body).toMatchObject({ error: { code: 'internal_error', details: null } });
    expect(lines.at(-1)).toContain('secret internals');
  });
});
