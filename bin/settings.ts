import { Duration } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import { LOG_LEVELS, type LogLevel } from '../lambdas/contract/settings';
import type { WebhookServiceProps } from '../lib/webhook-service';

export interface DeploymentSettings {
  /** The stack's name: a second deployment in the same account and region needs another one. */
  readonly stackName: string;
  readonly service: WebhookServiceProps;
}

const DEFAULT_STACK_NAME = 'Hookpost';

/**
 * The deployment's settings, read once from CDK context (`cdk deploy -c hookpost:egressAzCount=3`
 * or cdk.json) and validated here. Anything unset keeps the construct's documented default.
 */
export function settingsFromContext(node: Node): DeploymentSettings {
  const read = (key: string): unknown => node.tryGetContext(`hookpost:${key}`);
  const text = (key: string): string | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
      throw new Error(`hookpost:${key} must be a single value`);
    }
    return String(value);
  };
  const wholeNumber = (key: string): number | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (!/^\d+$/.test(value)) throw new Error(`hookpost:${key} must be a whole number, not ${value}`);
    return Number(value);
  };
  const list = (key: string): string[] | undefined => {
    const value = read(key);
    if (value === undefined) return undefined;
    const items = Array.isArray(value) ? value.map(String) : String(value).split(',');
    return items.map((item) => item.trim()).filter((item) => item !== '');
  };

  const flag = (key: string): boolean | undefined => {
    const value = text(key);
    if (value === undefined) return undefined;
    if (value !== 'true' && value !== 'false')
      throw new Error(`hookpost:${key} must be true or false, not ${value}`);
    return value === 'true';
  };

  const stackName = text('stackName') ?? DEFAULT_STACK_NAME;
  if (!/^[A-Za-z][A-Za-z0-9-]{0,127}$/.test(stackName)) {
    throw new Error(
      `hookpost:stackName must be a CloudFormation stack name (a letter, then letters, digits, -), not ${stackName}`,
    );
  }
  const logLevel = text('logLevel');
  if (logLevel !== undefined && !(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new Error(`hookpost:logLevel must be debug, info, warn or error, not ${logLevel}`);
  }
  const ladder = list('retryLadderSeconds');
  const timeout = wholeNumber('attemptTimeoutSeconds');
  const retention = wholeNumber('retentionDays');
  const autoDisable = wholeNumber('autoDisableAfterDays');
  const service: WebhookServiceProps = {
    egressAzCount: wholeNumber('egressAzCount'),
    eipAllocationIds: list('eipAllocationIds'),
    retryLadder: ladder?.map((seconds) => {
      if (!/^\d+$/.test(seconds))
        throw new Error(`hookpost:retryLadderSeconds must list whole seconds, not ${seconds}`);
      return Duration.seconds(Number(seconds));
    }),
    attemptTimeout: timeout === undefined ? undefined : Duration.seconds(timeout),
    retention: retention === undefined ? undefined : Duration.days(retention),
    autoDisableAfter: autoDisable === undefined ? undefined : Duration.days(autoDisable),
    alarmEmail: text('alarmEmail'),
    logLevel: logLevel as LogLevel | undefined,
    requireKnownEventTypes: flag('requireKnownEventTypes'),
    maxDeliveryConcurrency: wholeNumber('maxDeliveryConcurrency'),
    apiGatewayCloudWatchRole: flag('apiGatewayCloudWatchRole'),
  };
  return { stackName, service };
}
