import { loadAwsConfig } from '../../config';
import { createApiHandler, lambdaAuthorizerAuthenticator } from '../api';
import { createAwsRuntime } from './runtime';

/** Lambda entry point of the REST API (API Gateway proxy integration). */
const runtime = createAwsRuntime(loadAwsConfig());

export const handler = createApiHandler({
  services: runtime.services,
  authenticate: lambdaAuthorizerAuthenticator,
  logger: runtime.logger,
});
