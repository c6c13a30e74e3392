import { Duration } from 'aws-cdk-lib';
import type { Node } from 'constructs';
import type { LogLevel, WebhookServiceProps } from '../lib/webhook-service';

/**
 * The deployment's settings, read once from CDK context (`cdk deploy -c hookpost:egressAzCount=3`
 * or cdk.json) and validated here. Anything unset keeps the construct's documented default.
 */
export function settingsFromContext(node: Node): WebhookServiceProps {
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

  const logLevel = text('logLevel');
  if (logLevel !== undefined && !['debug', 'info', 'warn', 'error'].includes(logLevel)) {
    throw new Error(`hookpost:logLevel must be debug, info, warn or error, not ${logLevel}`);
  }
  const requireKnown = text('requireKnownEventTypes');
  const ladder = list('retryLadderSeconds');
  const timeout = wholeNumber('attemptTimeoutSeconds');
  const retention = wholeNumber('retentionDays');
  return {
    egressAzCount: wholeNumber('egressAzCount'),
    eipAllocationIds: list('eipAllocationIds'),
    retryLadder: ladder?.map((seconds) => {
      if (!/^\d+$/.test(seconds))
        throw new Error(`hookpost:retryLadderSeconds must list whole seconds, not ${seconds}`);
      return Duration.seconds(Number(seconds));
    }),
    attemptTimeout: timeout === undefined ? undefined : Duration.seconds(timeout),
    retention: retention === undefined ? undefined : Duration.days(retention),
    alarmEmail: text('alarmEmail'),
    logLevel: logLevel as LogLevel | undefined,
    requireKnownEventTypes: requireKnown === undefined ? undefined : requireKnown === 'true',
    maxDeliveryConcurrency: wholeNumber('maxDeliveryConcurrency'),
  };
}
