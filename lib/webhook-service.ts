import { Duration, Names, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import {
  ATTEMPT_TIMEOUT_LIMITS_MS,
  AUTO_DISABLE_AFTER_DAYS_LIMITS,
  type LogLevel,
  RETENTION_DAYS_LIMITS,
  retryLadderProblems,
  SETTING_DEFAULTS,
} from '../lambdas/contract/settings';
import { Api } from './api';
import { Delivery } from './delivery';
import { EgressNetwork } from './egress-network';
import { Observability } from './observability';
import { Storage } from './storage';

export type { LogLevel };

export interface WebhookServiceProps {
  /**
   * A name for this deployment, unique in its account and region: the REST API is called
   * so, and the metrics live in the CloudWatch namespace `Hookpost/<name>`.
   * @default derived from the construct's path (HookpostStack passes its stack name)
   */
  readonly name?: string;
  /** Availability zones with a NAT gateway and Elastic IP: the number of egress IPs. @default 2 */
  readonly egressAzCount?: number;
  /** Your own Elastic IP allocation ids, one per egress AZ, so the IPs survive a redeploy. @default new EIPs */
  readonly eipAllocationIds?: readonly string[];
  /** Delays between attempts; after the last one fails the delivery is given up. @default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h */
  readonly retryLadder?: readonly Duration[];
  /** How long one attempt may take, connection and response included. @default Duration.seconds(30) */
  readonly attemptTimeout?: Duration;
  /** How long messages and attempts are kept, 1 to 3650 days. @default Duration.days(30) */
  readonly retention?: Duration;
  /** An endpoint whose every attempt has failed this long is disabled, 1 to 365 days. @default Duration.days(5) */
  readonly autoDisableAfter?: Duration;
  /** Where alarms are e-mailed. @default no subscription (alarms still go to the topic) */
  readonly alarmEmail?: string;
  /** Log level of the functions. @default 'info' */
  readonly logLevel?: LogLevel;
  /** Refuse messages of types outside the catalogue. @default true */
  readonly requireKnownEventTypes?: boolean;
  /** Delivery batches running at once at most, 2 to 1000 (Lambda's bounds). @default 50 */
  readonly maxDeliveryConcurrency?: number;
  /** Steady requests per second the API accepts. @default 100 */
  readonly apiRateLimit?: number;
  /** Requests the API accepts in a burst. @default 200 */
  readonly apiBurstLimit?: number;
  /** How long function, API and flow logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the tables when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
  /**
   * Set API Gateway's CloudWatch logging role for the whole account and region. API
   * Gateway needs one to write this API's access and execution logs, and there is only one
   * per region, shared by every API: turn this on where none is set yet (see README,
   * "Deploying to AWS"). The role is kept after `cdk destroy`, so that other APIs go on
   * logging. @default false: the region's existing role is used
   */
  readonly apiGatewayCloudWatchRole?: boolean;
}

export class WebhookService extends Construct {
  readonly storage: Storage;
  readonly network: EgressNetwork;
  readonly delivery: Delivery;
  readonly api: Api;
  readonly observability: Observability;
  readonly adminKey: secretsmanager.Secret;
  /** The public IPs webhooks are sent from. */
  readonly egressIps: string[];
  /** The API's base URL (ends with `/`; routes start with `v1/`). */
  readonly apiUrl: string;

  constructor(scope: Construct, id: string, props: WebhookServiceProps = {}) {
    super(scope, id);
    const name = props.name ?? Names.uniqueResourceName(this, { maxLength: 64, separator: '-' });
    if (!/^[A-Za-z0-9_.-]{1,128}$/.test(name)) {
      throw new Error(`name must be 1 to 128 letters, digits, '.', '_' or '-', not ${name}`);
    }
    const attemptTimeoutMs = checkedWithin(
      'attemptTimeout',
      props.attemptTimeout?.toMilliseconds() ?? SETTING_DEFAULTS.attemptTimeoutMs,
      ATTEMPT_TIMEOUT_LIMITS_MS,
      'ms',
    );
    const retryLadderSeconds =
      props.retryLadder?.map((delay) => delay.toSeconds()) ?? SETTING_DEFAULTS.retryLadderSeconds;
    const retentionDays = checkedWithin(
      'retention',
      props.retention?.toDays() ?? SETTING_DEFAULTS.retentionDays,
      RETENTION_DAYS_LIMITS,
      'days',
    );
    const autoDisableAfterDays = checkedWithin(
      'autoDisableAfter',
      props.autoDisableAfter?.toDays() ?? SETTING_DEFAULTS.autoDisableAfterDays,
      AUTO_DISABLE_AFTER_DAYS_LIMITS,
      'days',
    );
    // Lambda's own bounds for an SQS event source's maximum concurrency; 0 would mean none at all.
    const maxDeliveryConcurrency = checkedWithin(
      'maxDeliveryConcurrency',
      props.maxDeliveryConcurrency ?? 50,
      { min: 2, max: 1000 },
      'batches',
    );
    const ladderProblems = retryLadderProblems(retryLadderSeconds, retentionDays);
    if (ladderProblems.length > 0) throw new Error(`retryLadder: ${ladderProblems.join('; ')}`);
    const logLevel = props.logLevel ?? SETTING_DEFAULTS.logLevel;
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;
    const metricNamespace = `Hookpost/${name}`;

    this.storage = new Storage(this, 'Storage', { removalPolicy: props.tableRemovalPolicy });
    this.network = new EgressNetwork(this, 'Egress', {
      azCount: props.egressAzCount,
      eipAllocationIds: props.eipAllocationIds,
      logRetention,
    });
    this.adminKey = new secretsmanager.Secret(this, 'AdminKey', {
      description: 'Hookpost admin key: send it as "Authorization: Bearer <key>".',
      generateSecretString: { passwordLength: 48, excludePunctuation: true, includeSpace: false },
    });
    Validations.of(this.adminKey).acknowledge({
      id: 'AwsSolutions::AwsSolutions-SMG4',
      reason:
        'Rotating the admin key would lock out every integrator using it; operators rotate it deliberately.',
    });

    this.delivery = new Delivery(this, 'Delivery', {
      storage: this.storage,
      vpc: this.network.vpc,
      attemptTimeout: Duration.millis(attemptTimeoutMs),
      retryLadderSeconds,
      retentionDays,
      autoDisableAfterDays,
      logLevel,
      metricNamespace,
      maxConcurrency: maxDeliveryConcurrency,
      logRetention,
    });
    this.api = new Api(this, 'Api', {
      name,
      storage: this.storage,
      adminKey: this.adminKey,
      throttlingRateLimit: props.apiRateLimit ?? 100,
      throttlingBurstLimit: props.apiBurstLimit ?? 200,
      logRetention,
      retentionDays,
      requireKnownEventTypes: props.requireKnownEventTypes ?? SETTING_DEFAULTS.requireKnownEventTypes,
      egressIps: this.network.egressIps,
      logLevel,
      manageAccountCloudWatchRole: props.apiGatewayCloudWatchRole ?? false,
    });
    this.observability = new Observability(this, 'Observability', {
      metricNamespace,
      restApi: this.api.restApi,
      functions: {
        Api: this.api.apiFunction,
        Authorizer: this.api.authorizerFunction,
        FanOut: this.delivery.fanOutFunction,
        Delivery: this.delivery.deliveryFunction,
      },
      deliveryQueue: this.delivery.queue,
      deadLetterQueues: {
        DeliveryDlq: this.delivery.deadLetterQueue,
        FanOutDlq: this.delivery.fanOutDeadLetterQueue,
        SchedulerDlq: this.delivery.schedulerDeadLetterQueue,
      },
      oldestMessageAgeThreshold: Duration.minutes(20),
      alarmEmail: props.alarmEmail,
    });
    this.egressIps = this.network.egressIps;
    this.apiUrl = this.api.restApi.url;
  }
}

/** The value, when it is a whole number within the bounds the functions accept; a synth error otherwise. */
function checkedWithin(
  name: string,
  value: number,
  limits: { readonly min: number; readonly max: number },
  unit: string,
): number {
  if (!Number.isInteger(value) || value < limits.min || value > limits.max) {
    throw new Error(`${name} must be ${limits.min} to ${limits.max} ${unit}, not ${value}`);
  }
  return value;
}
