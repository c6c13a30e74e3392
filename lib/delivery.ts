import { Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq, SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import * as scheduler from 'aws-cdk-lib/aws-scheduler';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  DELIVERY_BATCH_SIZE,
  DELIVERY_QUEUE_MAX_RECEIVE_COUNT,
  deliveryFunctionTimeoutMs,
  deliveryVisibilityTimeoutMs,
  FAN_OUT_BATCH_SIZE,
} from '../lambdas/contract/queues';
import type { LogLevel } from '../lambdas/contract/settings';
import { FAN_OUT_STREAM_FILTER } from '../lambdas/contract/tables';
import { HookpostFunction } from './hookpost-function';
import type { Storage } from './storage';

export interface DeliveryProps {
  readonly storage: Storage;
  readonly vpc: ec2.IVpc;
  /** How long one attempt may take. */
  readonly attemptTimeout: Duration;
  readonly retryLadderSeconds: readonly number[];
  readonly retentionDays: number;
  readonly autoDisableAfterDays: number;
  readonly logLevel: LogLevel;
  /** The CloudWatch namespace the functions emit their metrics in. */
  readonly metricNamespace: string;
  /** Concurrent delivery batches at most (the event source mapping's maximum concurrency). */
  readonly maxConcurrency: number;
  readonly logRetention: logs.RetentionDays;
}

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

  constructor(scope: Construct, id: string, props: DeliveryProps) {
    super(scope, id);
    const attemptTimeoutMs = props.attemptTimeout.toMilliseconds();
    const secureQueue = { encryption: sqs.QueueEncryption.SQS_MANAGED, enforceSSL: true };

    this.deadLetterQueue = new sqs.Queue(this, 'DeadLetterQueue', {
      ...secureQueue,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'Queue', {
      ...secureQueue,
      visibilityTimeout: Duration.millis(deliveryVisibilityTimeoutMs(attemptTimeoutMs)),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetterQueue, maxReceiveCount: DELIVERY_QUEUE_MAX_RECEIVE_COUNT },
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
    // Its name comes from this construct's path, so it is unique to the stack; it goes with the stack,
    // so that a later deploy of the same stack does not collide with a group left behind.
    this.scheduleGroup = new scheduler.ScheduleGroup(this, 'RetrySchedules', {
      removalPolicy: RemovalPolicy.DESTROY,
    });
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

    const { catalogTable, messagesTable, deliveriesTable } = props.storage;

    this.fanOutFunction = new HookpostFunction(this, 'FanOut', {
      entry: 'fanOut',
      description: 'Hookpost: turns each new message into deliveries on the delivery queue.',
      timeout: Duration.minutes(1),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
    });
    const fanOut = this.fanOutFunction.function;
    this.fanOutFunction.useTable('catalogTable', catalogTable, 'read');
    this.fanOutFunction.useTable('deliveriesTable', deliveriesTable, 'readWrite');
    // A recovery too large for one invocation asks for its next page there (lambdas/services/fanout.ts).
    this.fanOutFunction.useTable('messagesTable', messagesTable, 'putItem');
    this.fanOutFunction.sendsTo(this.queue);
    this.fanOutFunction.setting('retentionDays', props.retentionDays);
    this.fanOutFunction.setting('metricNamespace', props.metricNamespace);
    Validations.of(fanOut).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM5[Resource::*]',
      reason: 'dynamodb:ListStreams, granted for the stream event source, has no resource-level permissions.',
    });
    fanOut.addEventSource(
      new DynamoEventSource(messagesTable, {
        startingPosition: lambda.StartingPosition.TRIM_HORIZON,
        batchSize: FAN_OUT_BATCH_SIZE,
        maxBatchingWindow: Duration.seconds(0),
        bisectBatchOnError: true,
        retryAttempts: 20,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.fanOutDeadLetterQueue),
        // Only new messages: eventId claims and later changes are not fanned out.
        filters: [lambda.FilterCriteria.filter(FAN_OUT_STREAM_FILTER)],
      }),
    );

    this.deliveryFunction = new HookpostFunction(this, 'Deliver', {
      entry: 'delivery',
      description: 'Hookpost: signs and POSTs webhooks from the fixed egress IPs, and schedules retries.',
      timeout: Duration.millis(deliveryFunctionTimeoutMs(attemptTimeoutMs)),
      logRetention: props.logRetention,
      logLevel: props.logLevel,
      vpc: props.vpc,
      vpcSubnets: { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS },
    });
    const deliver = this.deliveryFunction.function;
    // Reads endpoints; updates one's run of failures, or disables it (README, "Retries and operational webhooks").
    this.deliveryFunction.useTable('catalogTable', catalogTable, 'readUpdate');
    // Reads a message a task does not carry; accepts operational webhooks (a message and its eventId claim, by key).
    this.deliveryFunction.useTable('messagesTable', messagesTable, 'getPutItem');
    this.deliveryFunction.useTable('deliveriesTable', deliveriesTable, 'readWrite');
    this.deliveryFunction.sendsTo(this.queue);
    this.deliveryFunction.setting('deliveryQueueArn', this.queue.queueArn);
    this.deliveryFunction.setting('retryScheduleGroup', this.scheduleGroup.scheduleGroupName);
    this.deliveryFunction.setting('schedulerRoleArn', this.schedulerRole.roleArn);
    this.deliveryFunction.setting('schedulerDeadLetterQueueArn', this.schedulerDeadLetterQueue.queueArn);
    this.deliveryFunction.setting('retryLadderSeconds', props.retryLadderSeconds);
    this.deliveryFunction.setting('attemptTimeoutMs', attemptTimeoutMs);
    this.deliveryFunction.setting('retentionDays', props.retentionDays);
    this.deliveryFunction.setting('autoDisableAfterDays', props.autoDisableAfterDays);
    this.deliveryFunction.setting('metricNamespace', props.metricNamespace);
    this.scheduleGroup.grantWriteSchedules(deliver);
    Validations.of(deliver).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:scheduler:<AWS::Region>:<AWS::AccountId>:schedule/${Stack.of(this).resolve(this.scheduleGroup.scheduleGroupName)}/*]`,
      reason: 'Each retry is a schedule named after its task; the narrowest scope is the retry group.',
    });
    this.schedulerRole.grantPassRole(deliver.grantPrincipal);
    deliver.addEventSource(
      new SqsEventSource(this.queue, {
        batchSize: DELIVERY_BATCH_SIZE,
        reportBatchItemFailures: true,
        maxConcurrency: props.maxConcurrency,
      }),
    );
  }
}
