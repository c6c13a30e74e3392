import { SchedulerClient } from '@aws-sdk/client-scheduler';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SQSClient } from '@aws-sdk/client-sqs';
import { createDocumentClient } from '../../adapters/aws/dynamo/client';
import { createDynamoStores } from '../../adapters/aws/dynamo/stores';
import { SchedulerRetryScheduler } from '../../adapters/aws/scheduler/scheduler-retry-scheduler';
import { AdminKeySecret } from '../../adapters/aws/secrets/admin-key-secret';
import { SqsDeliveryQueue } from '../../adapters/aws/sqs/sqs-delivery-queue';
import { GuardedHttpSender } from '../../adapters/http/guarded-http-sender';
import type { AwsConfig } from '../../config';
import { createJsonLogger } from '../../logger';
import { type Logger, systemClock } from '../../ports';
import { createServices, type Services } from '../../services';

export interface AwsRuntime {
  readonly services: Services;
  readonly adminKey: AdminKeySecret;
  readonly logger: Logger;
}

/**
 * The AWS choice of adapters, made once per Lambda container at module scope: DynamoDB
 * stores, the SQS delivery queue, EventBridge Scheduler for long retries, and the guarded
 * sender that refuses every non-public address.
 */
export function createAwsRuntime(config: AwsConfig): AwsRuntime {
  const logger = createJsonLogger(config.logLevel);
  const { doc } = createDocumentClient();
  const queue = new SqsDeliveryQueue(new SQSClient({}), config.deliveryQueue.url);
  const services = createServices(
    {
      ...createDynamoStores(doc, config.tables, {
        retentionDays: config.retentionDays,
        emulateStream: false,
      }),
      queue,
      scheduler: new SchedulerRetryScheduler(new SchedulerClient({}), {
        groupName: config.retrySchedules.groupName,
        queueArn: config.deliveryQueue.arn,
        roleArn: config.retrySchedules.roleArn,
        deadLetterQueueArn: config.retrySchedules.deadLetterQueueArn,
      }),
      sender: new GuardedHttpSender({ allowLoopback: false }),
      clock: systemClock,
      random: Math.random,
      logger,
    },
    {
      urlPolicy: { allowHttp: false, allowLoopback: false },
      requireKnownEventTypes: config.requireKnownEventTypes,
      retry: config.retry,
      attemptTimeoutMs: config.attemptTimeoutMs,
      userAgent: config.userAgent,
    },
  );
  return {
    services,
    adminKey: new AdminKeySecret(new SecretsManagerClient({}), config.adminKeySecretArn),
    logger,
  };
}
