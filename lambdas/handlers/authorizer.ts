import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { type Principal, principalContext } from '../contract/auth';
import type { KeyAuthenticator } from '../services/api-keys';

export type AuthorizerHandler = (
  event: APIGatewayTokenAuthorizerEvent,
) => Promise<APIGatewayAuthorizerResult>;

/**
 * API Gateway's TOKEN authorizer: a known key (the admin key, or an application key) is
 * allowed on the whole API, with its principal in the context; the API function decides
 * what that principal may do on each route (lambdas/core/access.ts), so that a key of one
 * application gets the same 404 as an unknown id on another's, never API Gateway's 403.
 * One policy for every route also lets API Gateway's cache of the decision serve them all.
 *
 * Any other key is denied on the whole API too, an answer rather than an error: API
 * Gateway then sends its ACCESS_DENIED response, which the stack makes the same 401 as a
 * missing key (lib/api.ts). Throwing `Unauthorized` would also give a 401, but it counts as
 * an error of the function, so every mistyped or revoked key would set off the alarm on the
 * function's errors; errors stay for faults, such as a store that cannot be read.
 */
export function createAuthorizerHandler(deps: { readonly keys: KeyAuthenticator }): AuthorizerHandler {
  return async (event) => {
    const principal = await deps.keys.principalOf(event.authorizationToken);
    const effect = principal === undefined ? 'Deny' : 'Allow';
    return {
      principalId: principal === undefined ? UNKNOWN_PRINCIPAL : principalIdOf(principal),
      policyDocument: {
        Version: '2012-10-17',
        Statement: [{ Action: 'execute-api:Invoke', Effect: effect, Resource: wholeApiArn(event.methodArn) }],
      },
      ...(principal === undefined ? {} : { context: principalContext(principal) }),
    };
  };
}

/** Who a denied request was: API Gateway needs a principal with every policy. */
export const UNKNOWN_PRINCIPAL = 'unknown';

const principalIdOf = (principal: Principal) =>
  principal.role === 'admin' ? principal.role : principal.keyId;

/** `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{method}/{path}` → the same up to the stage, then `/*`. */
export function wholeApiArn(methodArn: string): string {
  const [prefix = '', api = '', stage = ''] = [
    methodArn.slice(0, methodArn.lastIndexOf(':') + 1),
    ...methodArn.slice(methodArn.lastIndexOf(':') + 1).split('/'),
  ];
  return `${prefix}${api}/${stage}/*`;
}
