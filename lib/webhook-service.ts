import { Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import { Construct } from 'constructs';
import { Api } from './api';
import { Delivery } from './delivery';
import { EgressNetwork } from './egress-network';
import { Observability } from './observability';
import { Storage } from './storage';

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface WebhookServiceProps {
  /** Availability zones with a NAT gateway and Elastic IP: the number of egress IPs. @default 2 */
  readonly egressAzCount?: number;
  /** Your own Elastic IP allocation ids, one per egress AZ, so the IPs survive a redeploy. @default new EIPs */
  readonly eipAllocationIds?: readonly string[];
  /** Delays between attempts; after the last one fails the delivery is given up. @default 5 s, 5 min, 30 min, 2 h, 5 h, 10 h */
  readonly retryLadder?: readonly Duration[];
  /** How long one attempt may take, connection and response included. @default Duration.seconds(30) */
  readonly attemptTimeout?: Duration;
  /** How long messages and attempts are kept. @default Duration.days(30) */
  readonly retention?: Duration;
  /** Where alarms are e-mailed. @default no subscription (alarms still go to the topic) */
  readonly alarmEmail?: string;
  /** Log level of the functions. @default 'info' */
  readonly logLevel?: LogLevel;
  /** Refuse messages of types outside the catalogue. @default true */
  readonly requireKnownEventTypes?: boolean;
  /** Delivery batches running at once at most. @default 50 */
  readonly maxDeliveryConcurrency?: number;
  /** Steady requests per second the API accepts. @default 100 */
  readonly apiRateLimit?: number;
  /** Requests the API accepts in a burst. @default 200 */
  readonly apiBurstLimit?: number;
  /** How long function, API and flow logs are kept. @default logs.RetentionDays.ONE_MONTH */
  readonly logRetention?: logs.RetentionDays;
  /** What happens to the tables when the stack is deleted. @default RemovalPolicy.RETAIN */
  readonly tableRemovalPolicy?: RemovalPolicy;
}

export const DEFAULT_RETRY_LADDER: readonly Duration[] = [
  Duration.seconds(5),
  Duration.minutes(5),
  Duration.minutes(30),
  Duration.hours(2),
  Duration.hours(5),
  Duration.hours(10),
];

/**
 * Hookpost as one construct, to deploy on its own (HookpostStack) or inside your own
 * stack. It only wires the parts: storage, egress network, delivery pipeline, API and
 * observability; each is a construct of its own.
 */
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
    const attemptTimeout = props.attemptTimeout ?? Duration.seconds(30);
    if (attemptTimeout.toSeconds() < 1 || attemptTimeout.toSeconds() > 300) {
      throw new Error('attemptTimeout must be between 1 second and 5 minutes');
    }
    const ladder = (props.retryLadder ?? DEFAULT_RETRY_LADDER).map((delay) => delay.toSeconds());
    if (ladder.length === 0 || ladder.some((seconds) => !Number.isInteger(seconds) || seconds < 1)) {
      throw new Error('retryLadder needs at least one delay, each a whole number of seconds');
    }
    const logRetention = props.logRetention ?? logs.RetentionDays.ONE_MONTH;

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

    // What every function reads (lambdas/config.ts documents each).
    const environment: Record<string, string> = {
      HOOKPOST_CATALOG_TABLE: this.storage.catalogTable.tableName,
      HOOKPOST_MESSAGES_TABLE: this.storage.messagesTable.tableName,
      HOOKPOST_DELIVERIES_TABLE: this.storage.deliveriesTable.tableName,
      HOOKPOST_RETRY_LADDER: ladder.join(','),
      HOOKPOST_ATTEMPT_TIMEOUT_MS: String(attemptTimeout.toMilliseconds()),
      HOOKPOST_RETENTION_DAYS: String((props.retention ?? Duration.days(30)).toDays()),
      HOOKPOST_REQUIRE_KNOWN_EVENT_TYPES: String(props.requireKnownEventTypes ?? true),
      HOOKPOST_LOG_LEVEL: props.logLevel ?? 'info',
      HOOKPOST_ADMIN_KEY_SECRET_ARN: this.adminKey.secretArn,
    };
    this.delivery = new Delivery(this, 'Delivery', {
      storage: this.storage,
      vpc: this.network.vpc,
      attemptTimeout,
      maxConcurrency: props.maxDeliveryConcurrency ?? 50,
      logRetention,
      environment,
    });
    this.api = new Api(this, 'Api', {
      storage: this.storage,
      deliveryQueue: this.delivery.queue,
      adminKey: this.adminKey,
      throttlingRateLimit: props.apiRateLimit ?? 100,
      throttlingBurstLimit: props.apiBurstLimit ?? 200,
      logRetention,
      environment: { ...environment, ...this.delivery.environment },
    });
    this.observability = new Observability(this, 'Observability', {
      restApi: this.api.restApi,
      functions: {
        Api: this.api.apiFunction,
        Authorizer: this.api.authorizerFunction,
        FanOut: this.delivery.fanOutFunction,
        Delivery: this.delivery.deliveryFunction,
      },
      deliveryFunction: this.delivery.deliveryFunction,
      fanOutFunction: this.delivery.fanOutFunction,
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
