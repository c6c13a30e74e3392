import { AwsJsonClient, SQS } from '../../adapters/aws/json-protocol/aws-json-client';
import { PowertoolsLogger } from '../../adapters/aws/logging/powertools-logger';
import { PowertoolsMetrics } from '../../adapters/aws/metrics/powertools-metrics';
import { SqsDeliveryQueue } from '../../adapters/aws/sqs/sqs-delivery-queue';
import { DynamoDeliveryStore } from '../../adapters/dynamo/delivery-store';
import { createDocuments } from '../../adapters/dynamo/documents';
import { DynamoEndpointStore } from '../../adapters/dynamo/endpoint-store';
import { DynamoMessageStore } from '../../adapters/dynamo/message-store';
import { fanOutWorkFromStreamImage } from '../../adapters/dynamo/message-stream';
import { DynamoPullStateStore } from '../../adapters/dynamo/pull-state-store';
import { loadAwsEnvironment, loadFunctionConfig } from '../../config';
import { systemClock } from '../../ports';
import { createFanOutService } from '../../services/fanout';
import { createFanOutHandler } from '../fanout';
import { flushingMetrics } from '../flushing-metrics';

/** Lambda entry point of the messages table's stream (new messages only, NEW_IMAGE). */
const config = loadFunctionConfig('fanOut');
const environment = loadAwsEnvironment();
const doc = createDocuments({ environment });
const retention = { retentionDays: config.retentionDays };
const logger = new PowertoolsLogger({ level: config.logLevel, service: 'fanOut' });
const metrics = new PowertoolsMetrics({ namespace: config.metricNamespace, logger });

const fanOutHandler = createFanOutHandler({
  fanOut: createFanOutService({
    endpoints: new DynamoEndpointStore(doc, config.catalogTable),
    deliveries: new DynamoDeliveryStore(doc, config.deliveriesTable, retention),
    messages: new DynamoMessageStore(doc, config.messagesTable, retention),
    queue: new SqsDeliveryQueue(new AwsJsonClient(SQS, { environment }), config.deliveryQueueUrl),
    pulls: new DynamoPullStateStore(doc, config.deliveriesTable),
    clock: systemClock,
    metrics,
  }),
  decode: fanOutWorkFromStreamImage,
  logger,
});

export const handler = flushingMetrics(fanOutHandler, metrics);
