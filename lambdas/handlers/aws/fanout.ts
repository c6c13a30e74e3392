import { SQSClient } from '@aws-sdk/client-sqs';
import { EmfMetrics } from '../../adapters/aws/metrics/emf-metrics';
import { SqsDeliveryQueue } from '../../adapters/aws/sqs/sqs-delivery-queue';
import { createDocumentClient } from '../../adapters/dynamo/client';
import { DynamoDeliveryStore } from '../../adapters/dynamo/delivery-store';
import { DynamoEndpointStore } from '../../adapters/dynamo/endpoint-store';
import { fanOutWorkFromStreamImage } from '../../adapters/dynamo/message-stream';
import { DynamoPullStateStore } from '../../adapters/dynamo/pull-state-store';
import { loadFunctionConfig } from '../../config';
import { createJsonLogger } from '../../logger';
import { systemClock } from '../../ports';
import { createFanOutService } from '../../services';
import { createFanOutHandler } from '../fanout';
import { flushingMetrics } from '../flushing-metrics';

/** Lambda entry point of the messages table's stream (new messages only, NEW_IMAGE). */
const config = loadFunctionConfig('fanOut');
const { doc } = createDocumentClient();
const metrics = new EmfMetrics({ namespace: config.metricNamespace, clock: systemClock });

const fanOutHandler = createFanOutHandler({
  fanOut: createFanOutService({
    endpoints: new DynamoEndpointStore(doc, config.catalogTable),
    deliveries: new DynamoDeliveryStore(doc, config.deliveriesTable, { retentionDays: config.retentionDays }),
    queue: new SqsDeliveryQueue(new SQSClient({}), config.deliveryQueueUrl),
    pulls: new DynamoPullStateStore(doc, config.deliveriesTable),
    clock: systemClock,
    metrics,
  }),
  decode: fanOutWorkFromStreamImage,
  logger: createJsonLogger(config.logLevel),
});

export const handler = flushingMetrics(fanOutHandler, metrics);
