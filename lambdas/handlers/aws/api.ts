import { PowertoolsLogger } from '../../adapters/aws/logging/powertools-logger';
import { DynamoApiKeyStore } from '../../adapters/dynamo/api-key-store';
import { DynamoAppStore } from '../../adapters/dynamo/app-store';
import { DynamoDeliveryStore } from '../../adapters/dynamo/delivery-store';
import { createDocuments } from '../../adapters/dynamo/documents';
import { DynamoEndpointStore } from '../../adapters/dynamo/endpoint-store';
import { DynamoEventTypeStore } from '../../adapters/dynamo/event-type-store';
import { DynamoMessageStore } from '../../adapters/dynamo/message-store';
import { DynamoPullStateStore } from '../../adapters/dynamo/pull-state-store';
import { loadAwsEnvironment, loadFunctionConfig } from '../../config';
import { DEPLOYED_URL_POLICY } from '../../core/url-guard';
import { systemClock } from '../../ports';
import { createApiServices } from '../../services';
import { createApiHandler, lambdaAuthorizerAuthenticator } from '../api';

/** Lambda entry point of the REST API (API Gateway proxy integration, behind the authorizer). */
const config = loadFunctionConfig('api');
const environment = loadAwsEnvironment();
const doc = createDocuments({ environment });
const retention = { retentionDays: config.retentionDays };

export const handler = createApiHandler({
  services: createApiServices(
    {
      apps: new DynamoAppStore(doc, config.catalogTable),
      apiKeys: new DynamoApiKeyStore(doc, config.catalogTable),
      eventTypes: new DynamoEventTypeStore(doc, config.catalogTable),
      endpoints: new DynamoEndpointStore(doc, config.catalogTable),
      messages: new DynamoMessageStore(doc, config.messagesTable, retention),
      deliveries: new DynamoDeliveryStore(doc, config.deliveriesTable, retention),
      pulls: new DynamoPullStateStore(doc, config.deliveriesTable),
      clock: systemClock,
    },
    {
      urlPolicy: DEPLOYED_URL_POLICY,
      requireKnownEventTypes: config.requireKnownEventTypes,
      egressIps: config.egressIps,
    },
  ),
  authenticate: lambdaAuthorizerAuthenticator,
  logger: new PowertoolsLogger({ level: config.logLevel, service: 'api' }),
});
