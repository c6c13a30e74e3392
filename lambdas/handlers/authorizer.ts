import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { principalContext } from '../contract/auth';
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
 * Anything else is refused with API Gateway's 401 (`Unauthorized`).
 */
export function createAuthorizerHandler(deps: { readonly keys: KeyAuthenticator }): AuthorizerHandler {
  return async (event) => {
    const principal = await deps.keys.principalOf(event.authorizationToken);
    // The exact message API Gateway turns into a 401 rather than a 500.
    if (principal === undefined) throw new Error('Unauthorized');
    return {
      principalId: principal.role === 'admin' ? principal.role : principal.keyId,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(event.methodArn) },
        ],
      },
      context: principalContext(principal),
    };
  };
}

/** `arn:aws:execute-api:{region}:{account}:{api}/{stage}/{method}/{path}` → the same up to the stage, then `/*`. */
export function wholeApiArn(methodArn: string): string {
  const [prefix = '', api = '', stage = ''] = [
    methodArn.slice(0, methodArn.lastIndexOf(':') + 1),
    ...methodArn.slice(methodArn.lastIndexOf(':') + 1).split('/'),
  ];
  return `${prefix}${api}/${stage}/*`;
}
