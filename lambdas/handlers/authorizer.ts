import type { APIGatewayAuthorizerResult, APIGatewayTokenAuthorizerEvent } from 'aws-lambda';
import { ADMIN_PRINCIPAL } from '../contract/auth';
import { bearerKey, keyMatches } from '../core/keys';

export type AuthorizerHandler = (
  event: APIGatewayTokenAuthorizerEvent,
) => Promise<APIGatewayAuthorizerResult>;

/**
 * API Gateway's TOKEN authorizer: a bearer key matching the admin key is allowed on the
 * whole API (one policy for every route, so API Gateway's cache of the result serves
 * them all); anything else is refused with API Gateway's 401 (`Unauthorized`).
 */
export function createAuthorizerHandler(deps: {
  readonly adminKeyHash: () => Promise<Buffer>;
}): AuthorizerHandler {
  return async (event) => {
    const key = bearerKey(event.authorizationToken);
    if (key === undefined || !keyMatches(key, await deps.adminKeyHash())) {
      // The exact message API Gateway turns into a 401 rather than a 500.
      throw new Error('Unauthorized');
    }
    return {
      principalId: ADMIN_PRINCIPAL,
      policyDocument: {
        Version: '2012-10-17',
        Statement: [
          { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: wholeApiArn(event.methodArn) },
        ],
      },
      context: { role: ADMIN_PRINCIPAL },
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
