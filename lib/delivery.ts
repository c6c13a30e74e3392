import { Duration, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { HookpostFunction } from './hookpost-function';
import type { Storage } from './storage';

export interface DeliveryProps {
  readonly storage: Storage;
  readonly vpc: ec2.IVpc;
  /** How long one attempt may take. */
  readonly attemptTimeout: Duration;
  /** Concurrent delivery batches at most (the event source mapping's maximum concurrency). */
  readonly maxConcurrency: number;
  readonly logRetention: logs.RetentionDays;
  /** Settings every function reads (see lambdas/config.ts). */
  readonly environment: Readonly<Record<string, string>>;
}

/** How often SQS hands a task out before it goes to the dead-letter queue. */
const MAX_RECEIVE_COUNT = 5;

/**
 * The delivery pipeline: the SQS delivery queue and its dead-letter queue, the
 * EventBridge Scheduler group and role that carry long retries back to the queue, the
 * fan-out function on the messages table's stream, and the delivery function, alone in
 * the VPC's private subnets so that it sends from the fixed egress IPs.
 */
export class Delivery extends Construct {
  readonly queue: sqs.Queue;
  readonly deadLetterQueue: sqs.Queue;
  readonly fanOutDeadLetterQueue: sqs.Queue;
  readonly scheduleGroup: scheduler.ScheduleGroup;
  readonly schedulerRole: iam.Role;
  readonly schedulerDeadLetterQueue: sqs.Queue;
  readonly fanOutFunction: HookpostFunction;
  readonly deliveryFunction: HookpostFunction;
  /** The settings the functions need to reach the queue and the scheduler. */
  readonly environment: Readonly<Record<string, string>>;

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const functionTimeout = props.attemptTimeout.plus(Duration.seconds(30));
    const secureQueue = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true };

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...secureQueue,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...secureQueue,
      // AWS's advice for Lambda consumers: six times the function timeout.
      visibilityTimeout: Duration.seconds(functionTimeout.toSeconds() * 6),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: MAX_RECEIVE_COUNT },
    });
    this.fanOutDeadLetterQueue = new sqs.Queue(this, 'FanOutDeadLetterQueue', {
      ...secureQueue,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.fanOutDeadLetterQueue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: "It is a dead-letter queue: the stream event source mapping's on-failure destination.",
    });

    this.schedulerDeadLetterQueue = new sqs.Queue(this, 'SchedulerDeadLetterQueue', {
      ...secureQueue,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.schedulerDeadLetterQueue).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SQS3',
      reason: 'It is a dead-letter queue: where EventBridge Scheduler puts retries it could not deliver.',
    });
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'RetrySchedules');
    this.schedulerRole = new iam.Role(this, 'SchedulerRole', {
      description: 'Lets EventBridge Scheduler put due retries on the delivery queue, and nothing else.',
      assumedBy: new iam.ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Stack.of(this).account } },
      }),
    });
    // Exactly SendMessage (grantSendMessages would add GetQueueAttributes and GetQueueUrl).
    this.schedulerRole.addToPolicy(
      new iam.PolicyStatement({
        actions: ['sqs:SendMessage'],
        resources: [this.queue.queueArn, this.schedulerDeadLetterQueue.queueArn],
      }),
    );

    this.environment = {
      HOOKPOST_DELIVERY_QUEUE_URL: this.queue.queueUrl,
      HOOKPOST_DELIVERY_QUEUE_ARN: this.queue.queueArn,
      HOOKPOST_SCHEDULE_GROUP: this.scheduleGroup.scheduleGroupName,
      HOOKPOST_SCHEDULER_ROLE_ARN: this.schedulerRole.roleArn,
      HOOKPOST_SCHEDULER_DLQ_ARN: this.schedulerDeadLetterQueue.queueArn,
    };
    const environment = { ...props.environment, ...this.environment };
    const { catalogTable, messagesTable, deliveriesTable } = props.storage;

    this.fanOutFunction = new HookpostFunction(this, 'FanOut', {
      entry: 'fanout',
      description: 'Hookpost: turns each new message into deliveries on the delivery queue.',
      environment,
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
    });
    const fanOut = this.fanOutFunction.function;
    this.fanOutFunction.grantTable(catalogTable, 'read');
    this.fanOutFunction.grantTable(deliveriesTable, 'readWrite');
    this.queue.grantSendMessages(fanOut);
    Validations.of(fanOut).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, granted for the stream event source, has no resource-level permissions.',
    });
    fanOut.addEventSource(
      new DynamoEventSource(messagesTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: 100,
        maxBatchingWindow: Duration.seconds(0),
        bisectBatchOnError: true,
        retryAttempts: 20,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.fanOutDeadLetterQueue),
        // Only new messages: eventId claims and later changes are not fanned out.
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: { NewImage: { kind: { S: lambda.FilterRule.isEqual('message') } } },
          }),
        ],
      }),
    );

    this.deliveryFunction = new HookpostFunction(this, 'Deliver', {
      entry: 'delivery',
      description: 'Hookpost: signs and POSTs webhooks from the fixed egress IPs, and schedules retries.',
      environment,
      timeout: functionTimeout,
      logRetention: props.logRetention,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    const deliver = this.deliveryFunction.function;
    this.deliveryFunction.grantTable(catalogTable, 'read');
    // Operational webhooks are messages the delivery function accepts itself.
    this.deliveryFunction.grantTable(messagesTable, 'readWrite');
    this.deliveryFunction.grantTable(deliveriesTable, 'readWrite');
    this.queue.grantSendMessages(deliver);
    this.scheduleGroup.grantWriteSchedules(deliver);
    Validations.of(deliver).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${Stack.of(this).resolve(this.scheduleGroup.scheduleGroupName)}/*]`,
      reason: 'Each retry is a schedule named after its task; the narrowest scope is the retry group.',
    });
    this.schedulerRole.grantPassRole(deliver.grantPrincipal);
    deliver.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: 10,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}
