import type { APIGatewayProxyEvent, APIGatewayProxyResult } from 'aws-lambda';
import { type Principal, principalFromContext } from '../contract/auth';
import { LIMITS } from '../contract/limits';
import { authorize } from '../core/access';
import {
  MalformedRequestError,
  PayloadTooLargeError,
  UnauthorizedError,
  ValidationError,
} from '../core/errors';
import { jsonBodyProblems } from '../core/json-body';
import type { Logger } from '../ports';
import type { ApiServices } from '../services';
import type { KeyAuthenticator } from '../services/api-keys';
import { errorResponse } from './http/errors';
import { Router } from './http/router';
import { apiRoutes } from './http/routes';
import type { ApiResponse } from './http/types';

/** Who a request to a non-public route acts as; throws UnauthorizedError for no key or an unknown one. */
export type Authenticator = (event: APIGatewayProxyEvent) => Promise<Principal>;

/** Local mode: the handler checks the bearer key itself, at every request (a revoked key stops at once). */
export function bearerKeyAuthenticator(keys: KeyAuthenticator): Authenticator {
  return async (event) => {
    const principal = await keys.principalOf(headerValue(event, 'authorization'));
    if (principal === undefined) throw new UnauthorizedError();
    return principal;
  };
}

/**
 * On AWS the Lambda authorizer has checked the key before the request got here and named
 * its principal in the context; the handler still refuses a request that names none, in
 * case a route is ever deployed without the authorizer.
 */
export const lambdaAuthorizerAuthenticator: Authenticator = async (event) => {
  const principal = principalFromContext(event.requestContext.authorizer);
  if (principal === undefined) throw new UnauthorizedError();
  return principal;
};

export interface ApiHandlerDeps {
  readonly services: ApiServices;
  readonly authenticate: Authenticator;
  readonly logger: Logger;
}

export type ApiHandler = (event: APIGatewayProxyEvent) => Promise<APIGatewayProxyResult>;

/** The REST API: API Gateway proxy event in, proxy result out. */
export function createApiHandler(deps: ApiHandlerDeps): ApiHandler {
  const router = new Router(apiRoutes(deps.services));
  return async (event) => {
    let response: ApiResponse;
    try {
      const { route, params } = router.match(event.httpMethod, event.path);
      if (route.access !== 'public') authorize(route, params, await deps.authenticate(event));
      response = await route.handle({
        params,
        query: event.queryStringParameters ?? {},
        body: route.body === 'none' ? {} : readJsonBody(event),
      });
    } catch (error) {
      response = errorResponse(error, deps.logger);
    }
    return toProxyResult(response);
  };
}

function headerValue(event: APIGatewayProxyEvent, name: string): string | undefined {
  const entry = Object.entries(event.headers ?? {}).find(([key]) => key.toLowerCase() === name);
  return entry?.[1] ?? undefined;
}

/**
 * The body as JSON, whatever the Content-Type says: API Gateway validates a body against
 * the route's model only when it is sent as application/json, so the handler reads every
 * body the same way and lets the schemas judge it.
 */
function readJsonBody(event: APIGatewayProxyEvent): unknown {
  if (event.body === null || event.body === '') return {};
  const raw = event.isBase64Encoded ? Buffer.from(event.body, 'base64') : Buffer.from(event.body, 'utf8');
  if (raw.length > LIMITS.requestBodyBytes) {
    throw new PayloadTooLargeError(
      `The request body is ${raw.length} bytes; at most ${LIMITS.requestBodyBytes} are accepted.`,
    );
  }
  let body: unknown;
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch (cause) {
    throw new MalformedRequestError('The request body is not valid JSON.', { cause });
  }
  const problems = jsonBodyProblems(body);
  if (problems.length > 0) throw new ValidationError('The request body is not valid.', problems);
  return body;
}

function toProxyResult(response: ApiResponse): APIGatewayProxyResult {
  const hasBody = response.body !== undefined;
  return {
    statusCode: response.statusCode,
    headers: { ...(hasBody ? { 'Content-Type': 'application/json' } : {}), ...response.headers },
    body: hasBody ? JSON.stringify(response.body) : '',
  };
}
