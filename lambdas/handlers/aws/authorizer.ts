import { loadAwsConfig } from '../../config';
import { createAuthorizerHandler } from '../authorizer';
import { createAwsRuntime } from './runtime';

/** Lambda entry point of API Gateway's TOKEN authorizer. */
const runtime = createAwsRuntime(loadAwsConfig());

export const handler = createAuthorizerHandler({ adminKeyHash: () => runtime.adminKey.keyHash() });
