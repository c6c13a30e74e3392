import { freshEndpointStore } from '../../adapters/aws/cache/fresh-endpoint-store';
import type { AwsClient, AwsJsonClient } from '../../adapters/aws/json-protocol/aws-json-client';
import { PowertoolsLogger } from '../../adapters/aws/logging/powertools-logger';
import { PowertoolsMetrics } from '../../adapters/aws/metrics/powertools-metrics';
import { SchedulerRetryScheduler } from '../../adapters/aws/scheduler/scheduler-retry-scheduler';
import { SqsDeliveryQueue } from '../../adapters/aws/sqs/sqs-delivery-queue';
import { DynamoDeliveryStore } from '../../adapters/dynamo/delivery-store';
import type { Documents } from '../../adapters/dynamo/documents';
import { DynamoEndpointStore } from '../../adapters/dynamo/endpoint-store';
import { DynamoMessageStore } from '../../adapters/dynamo/message-store';
import { DynamoRateLimiter } from '../../adapters/dynamo/rate-limiter';
import { GuardedHttpSender } from '../../adapters/http/guarded-http-sender';
import { retryPolicyOf, USER_AGENT } from '../../config';
import type { SettingsOf } from '../../contract/settings';
import type { AddressPolicy } from '../../core/url-guard';
import { systemClock } from '../../ports';
import { createDeliveryService } from '../../services/delivery';
import { createDeliveryHandler, type DeliveryHandler } from '../delivery';
import { flushingMetrics } from '../flushing-metrics';

/** The clients the delivery function reaches AWS through. */
export interface DeliveryFunctionClients {
  readonly doc: Documents;
  readonly sqs: AwsJsonClient;
  readonly scheduler: AwsClient;
}

const DAY_MS = 86_400_000;

/**
 * The delivery function as deployed, over its settings and clients: its adapters, its
 * Powertools logger and metrics, and a metrics document written after every batch. The
 * entry point (delivery.ts) gives it the Lambda environment's clients and the deployed
 * address policy; bench/delivery-overhead.ts gives it clients of the emulators and a
 * policy that admits its receiver on loopback, so that it measures this wiring and no copy.
 */
export function createDeliveryFunction(
  config: SettingsOf<'delivery'>,
  clients: DeliveryFunctionClients,
  addressPolicy: AddressPolicy,
): DeliveryHandler {
  const { doc } = clients;
  const retention = { retentionDays: config.retentionDays };
  const logger = new PowertoolsLogger({ level: config.logLevel, service: 'delivery' });
  const metrics = new PowertoolsMetrics({ namespace: config.metricNamespace, logger });
  const deliveryHandler = createDeliveryHandler({
    delivery: createDeliveryService(
      {
        messages: new DynamoMessageStore(doc, config.messagesTable, retention),
        endpoints: freshEndpointStore(new DynamoEndpointStore(doc, config.catalogTable), systemClock),
        deliveries: new DynamoDeliveryStore(doc, config.deliveriesTable, retention),
        rateLimiter: new DynamoRateLimiter(doc, config.deliveriesTable),
        queue: new SqsDeliveryQueue(clients.sqs, config.deliveryQueueUrl),
        scheduler: new SchedulerRetryScheduler(clients.scheduler, {
          groupName: config.retryScheduleGroup,
          queueArn: config.deliveryQueueArn,
          roleArn: config.schedulerRoleArn,
          deadLetterQueueArn: config.schedulerDeadLetterQueueArn,
        }),
        sender: new GuardedHttpSender({ allowLoopback: addressPolicy.allowLoopback }),
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
  return flushingMetrics(deliveryHandler, metrics);
}
