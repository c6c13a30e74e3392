import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { METRIC_DIMENSIONS, METRICS, type MetricId } from '../lambdas/contract/metrics';
import type { HookpostFunction } from './hookpost-function';

export interface ObservabilityProps {
  /** Where the functions emit their metrics (Embedded Metric Format). */
  readonly metricNamespace: string;
  readonly restApi: apigateway.RestApi;
  readonly functions: Readonly<Record<string, HookpostFunction>>;
  readonly deliveryQueue: sqs.IQueue;
  /** Dead-letter queues that must stay empty. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** An alarm fires when the oldest task has waited this long. */
  readonly oldestMessageAgeThreshold: Duration;
  /** Alarms are mailed here when set. */
  readonly alarmEmail?: string;
}

/**
 * What operators look at: one dashboard (ingest, deliveries, latency, retries, queues,
 * functions, API) and alarms on what needs a human (dead letters, a queue falling behind,
 * function errors, API 5xx), sent to an SNS topic with an optional e-mail subscription.
 * The pipeline's metrics are the ones the functions emit themselves (lambdas/contract/metrics.ts).
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly alarmTopic: sns.Topic;
  readonly alarmTopicKey: kms.Key;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    // A key of our own: the AWS-managed SNS key's policy cannot admit CloudWatch, so no alarm could publish.
    this.alarmTopicKey = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Hookpost: encrypts the alarm topic; CloudWatch alarms may use it to publish there.',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    this.alarmTopicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublishToTheAlarmTopic',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        resources: ['*'],
      }),
    );
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Hookpost alarms',
      masterKey: this.alarmTopicKey,
      enforceSSL: true,
    });
    // The topic has a policy of its own (TLS only), so CloudWatch is named in it too, for this account's alarms.
    const stack = Stack.of(this);
    this.alarmTopic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.alarmTopic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': stack.account },
          ArnLike: {
            'aws:SourceArn': stack.formatArn({
              service: 'cloudwatch',
              resource: 'alarm',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    // The functions' own metrics (lambdas/contract/metrics.ts), with the dimension Powertools gives each.
    const metric = (id: MetricId, statistic = 'Sum', label?: string) =>
      new cloudwatch.Metric({
        namespace: props.metricNamespace,
        metricName: METRICS[id].name,
        dimensionsMap: { ...METRIC_DIMENSIONS },
        statistic,
        period: Duration.minutes(1),
        label,
      });
    const percentiles = (id: MetricId) => [metric(id, 'p50', 'p50'), metric(id, 'p99', 'p99')];

    const api = props.restApi;
    const queueAge = props.deliveryQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          graph('Messages accepted / min', [metric('messagesAccepted')]),
          graph('Delivery attempts / min', [
            metric('deliveryAttempts'),
            metric('deliverySucceeded'),
            metric('deliveryFailed'),
          ]),
          graph('Retries scheduled, messages exhausted, endpoints disabled / min', [
            metric('retriesScheduled'),
            metric('messagesExhausted'),
            metric('endpointsDisabled'),
          ]),
        ],
        [
          graph('Attempt duration (ms)', percentiles('attemptDuration')),
          graph('Accepted → delivered (ms)', percentiles('endToEndLatency')),
          graph('Delivery queue: depth, age of oldest task (s)', [
            props.deliveryQueue.metricApproximateNumberOfMessagesVisible(),
            queueAge,
          ]),
        ],
        [
          graph(
            'Dead-letter queues: depth',
            Object.entries(props.deadLetterQueues).map(([name, queue]) =>
              queue.metricApproximateNumberOfMessagesVisible({ label: name }),
            ),
          ),
          graph(
            'Lambda errors and throttles',
            Object.entries(props.functions).flatMap(([name, fn]) => [
              fn.function.metricErrors({ label: `${name} errors` }),
              fn.function.metricThrottles({ label: `${name} throttles` }),
            ]),
          ),
          graph(
            'Lambda duration p99 (ms)',
            Object.entries(props.functions).map(([name, fn]) =>
              fn.function.metricDuration({ statistic: 'p99', label: name }),
            ),
          ),
        ],
        [
          graph('API requests, 4xx, 5xx', [
            api.metricCount(),
            api.metricClientError(),
            api.metricServerError(),
          ]),
          graph('API latency (ms)', [
            api.metricLatency({ statistic: 'p50', label: 'p50' }),
            api.metricLatency({ statistic: 'p99', label: 'p99' }),
          ]),
        ],
      ],
    });

    for (const [name, queue] of Object.entries(props.deadLetterQueues)) {
      this.alarm(
        `${name}NotEmpty`,
        `Tasks are in the ${name}: something failed every retry and needs a look.`,
        {
          metric: queue.metricApproximateNumberOfMessagesVisible({
            period: Duration.minutes(1),
            statistic: 'Maximum',
          }),
          threshold: 0,
        },
      );
    }
    this.alarm(
      'QueueFallingBehind',
      'The oldest delivery task has waited too long: delivery is falling behind.',
      {
        metric: queueAge,
        threshold: props.oldestMessageAgeThreshold.toSeconds(),
        evaluationPeriods: 5,
      },
    );
    for (const [name, fn] of Object.entries(props.functions)) {
      this.alarm(`${name}Errors`, `The ${name} function failed.`, {
        metric: fn.function.metricErrors({ period: Duration.minutes(5) }),
        threshold: 0,
      });
    }
    this.alarm('Api5xx', 'The API answered with server errors: a 5xx is a bug.', {
      metric: api.metricServerError({ period: Duration.minutes(5) }),
      threshold: 0,
    });
  }

  private alarm(
    id: string,
    description: string,
    options: { metric: cloudwatch.IMetric; threshold: number; evaluationPeriods?: number },
  ) {
    const alarm = new cloudwatch.Alarm(this, id, {
      alarmDescription: description,
      metric: options.metric,
      threshold: options.threshold,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      evaluationPeriods: options.evaluationPeriods ?? 1,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });
    alarm.addAlarmAction(new actions.SnsAction(this.alarmTopic));
    this.alarms.push(alarm);
  }
}

function graph(title: string, metrics: cloudwatch.IMetric[]): cloudwatch.GraphWidget {
  return new cloudwatch.GraphWidget({ title, left: metrics, width: 8, height: 6 });
}
