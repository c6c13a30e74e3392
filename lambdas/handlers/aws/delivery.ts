import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SQSClient } from '@aws-sdk/client-sqs';
import { PowertoolsLogger } from '../../adapters/aws/logging/powertools-logger';
import { PowertoolsMetrics } from '../../adapters/aws/metrics/powertools-metrics';
import { SchedulerRetryScheduler } from '../../adapters/aws/scheduler/scheduler-retry-scheduler';
import { SqsDeliveryQueue } from '../../adapters/aws/sqs/sqs-delivery-queue';
import { createDocumentClient } from '../../adapters/dynamo/client';
import { DynamoDeliveryStore } from '../../adapters/dynamo/delivery-store';
import { DynamoEndpointStore } from '../../adapters/dynamo/endpoint-store';
import { DynamoMessageStore } from '../../adapters/dynamo/message-store';
import { DynamoRateLimiter } from '../../adapters/dynamo/rate-limiter';
import { GuardedHttpSender } from '../../adapters/http/guarded-http-sender';
import { loadFunctionConfig, retryPolicyOf, USER_AGENT } from '../../config';
import { DEPLOYED_URL_POLICY } from '../../core/url-guard';
import { systemClock } from '../../ports';
import { createDeliveryService } from '../../services/delivery';
import { createDeliveryHandler } from '../delivery';
import { flushingMetrics } from '../flushing-metrics';

/**
 * Lambda entry point of the delivery queue's event source mapping (SQS batches, partial
 * failures): signs and POSTs, records attempts, schedules retries, accepts operational
 * messages. The only function in the VPC, behind the NAT gateways' Elastic IPs.
 */
const DAY_MS = 86_400_000;
const config = loadFunctionConfig('delivery');
const { doc } = createDocumentClient();
const retention = { retentionDays: config.retentionDays };
const logger = new PowertoolsLogger({ level: config.logLevel, service: 'delivery' });
const metrics = new PowertoolsMetrics({ namespace: config.metricNamespace, logger });

const deliveryHandler = createDeliveryHandler({
  delivery: createDeliveryService(
    {
      messages: new DynamoMessageStore(doc, config.messagesTable, retention),
      endpoints: new DynamoEndpointStore(doc, config.catalogTable),
      deliveries: new DynamoDeliveryStore(doc, config.deliveriesTable, retention),
      rateLimiter: new DynamoRateLimiter(doc, config.deliveriesTable),
      queue: new SqsDeliveryQueue(new SQSClient({}), config.deliveryQueueUrl),
      scheduler: new SchedulerRetryScheduler(new SchedulerClient({}), {
        groupName: config.retryScheduleGroup,
        queueArn: config.deliveryQueueArn,
        roleArn: config.schedulerRoleArn,
        deadLetterQueueArn: config.schedulerDeadLetterQueueArn,
      }),
      sender: new GuardedHttpSender({ allowLoopback: DEPLOYED_URL_POLICY.allowLoopback }),
      clock: systemClock,
      random: Math.random,
      metrics,
      logger,
    },
    {
      retry: retryPolicyOf(config.retryLadderSeconds),
      attemptTimeoutMs: config.attemptTimeoutMs,
      autoDisableAfterMs: config.autoDisableAfterDays * DAY_MS,
      userAgent: USER_AGENT,
    },
  ),
  logger,
});

export const handler = flushingMetrics(deliveryHandler, metrics);
