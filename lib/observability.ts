import { Duration } from 'aws-cdk-lib';
import type * as apigateway from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as kms from 'aws-cdk-lib/aws-kms';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { HookpostFunction } from './hookpost-function';

export interface ObservabilityProps {
  readonly restApi: apigateway.RestApi;
  readonly functions: Readonly<Record<string, HookpostFunction>>;
  /** The function whose log lines (`attempt made`) give the delivery metrics. */
  readonly deliveryFunction: HookpostFunction;
  readonly fanOutFunction: HookpostFunction;
  readonly deliveryQueue: sqs.IQueue;
  /** Dead-letter queues that must stay empty. */
  readonly deadLetterQueues: Readonly<Record<string, sqs.IQueue>>;
  /** An alarm fires when the oldest task has waited this long. */
  readonly oldestMessageAgeThreshold: Duration;
  /** Alarms are mailed here when set. */
  readonly alarmEmail?: string;
}

const NAMESPACE = 'Hookpost';

/**
 * What operators look at: one dashboard (ingest, deliveries, latency, retries, queues,
 * functions, API) and alarms on what needs a human (dead letters, a queue falling behind,
 * function errors, API 5xx), sent to an SNS topic with an optional e-mail subscription.
 * Delivery metrics come from the delivery function's JSON log lines through metric filters.
 */
export class Observability extends Construct {
  readonly dashboard: cloudwatch.Dashboard;
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly alarmTopic: sns.Topic;

  constructor(scope: Construct, id: string, props: ObservabilityProps) {
    super(scope, id);
    this.alarmTopic = new sns.Topic(this, 'AlarmTopic', {
      displayName: 'Hookpost alarms',
      masterKey: kms.Alias.fromAliasName(this, 'SnsKey', 'alias/aws/sns'),
      enforceSSL: true,
    });
    if (props.alarmEmail !== undefined) {
      this.alarmTopic.addSubscription(new subscriptions.EmailSubscription(props.alarmEmail));
    }

    const deliveryLogs = props.deliveryFunction.logGroup;
    const attemptMetric = (metricName: string, result: string) =>
      this.logMetric(
        deliveryLogs,
        metricName,
        `{ $.message = "attempt made" && $.result = "${result}" }`,
        '1',
      );
    const succeeded = attemptMetric('DeliveriesSucceeded', 'succeeded');
    const retries = attemptMetric('RetriesScheduled', 'retry_scheduled');
    const exhausted = attemptMetric('MessagesExhausted', 'exhausted');
    const failedAttempts = this.logMetric(
      deliveryLogs,
      'AttemptsFailed',
      '{ $.message = "attempt made" && $.outcome = "failed" }',
      '1',
    );
    const attemptLatency = this.logMetric(
      deliveryLogs,
      'AttemptLatency',
      '{ $.message = "attempt made" }',
      '$.durationMs',
    );
    const endToEnd = this.logMetric(
      deliveryLogs,
      'EndToEndLatency',
      '{ $.message = "attempt made" && $.result = "succeeded" }',
      '$.sinceAcceptedMs',
    );
    const ingest = this.logMetric(
      props.fanOutFunction.logGroup,
      'MessagesFannedOut',
      '{ $.message = "fanned out" }',
      '1',
    );

    const api = props.restApi;
    const queueAge = props.deliveryQueue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(1) });
    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      defaultInterval: Duration.hours(3),
      widgets: [
        [
          graph('Messages accepted (fanned out) / min', [ingest]),
          graph('Deliveries / min', [succeeded, failedAttempts, exhausted]),
          graph('Retries scheduled / min', [retries]),
        ],
        [
          graph('Attempt latency (ms)', [
            attemptLatency.with({ statistic: 'p50', label: 'p50' }),
            attemptLatency.with({ statistic: 'p99', label: 'p99' }),
          ]),
          graph('Accepted → delivered (ms)', [
            endToEnd.with({ statistic: 'p50', label: 'p50' }),
            endToEnd.with({ statistic: 'p99', label: 'p99' }),
          ]),
          graph('Delivery queue', [props.deliveryQueue.metricApproximateNumberOfMessagesVisible(), queueAge]),
        ],
        [
          graph(
            'Dead-letter queues',
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

  private logMetric(
    logGroup: logs.ILogGroup,
    metricName: string,
    pattern: string,
    metricValue: string,
  ): cloudwatch.Metric {
    const filter = new logs.MetricFilter(this, metricName, {
      logGroup,
      metricNamespace: NAMESPACE,
      metricName,
      filterPattern: logs.FilterPattern.literal(pattern),
      metricValue,
    });
    return filter.metric({ statistic: 'Sum', period: Duration.minutes(1) });
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
