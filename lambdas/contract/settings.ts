/**
 * The settings the stack hands to the functions, declared once: each one's environment
 * variable, the functions that read it, and how its value is written. `lib/` sets a
 * function's environment from this table (and nothing else), `lambdas/config.ts` reads and
 * validates it, so that a function gets exactly the settings it uses.
 */

export const FUNCTION_NAMES = ['api', 'authorizer', 'fanOut', 'delivery'] as const;
export type FunctionName = (typeof FUNCTION_NAMES)[number];

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';
export const LOG_LEVELS: readonly LogLevel[] = ['debug', 'info', 'warn', 'error'];

interface SettingSpec<Value, Readers extends readonly FunctionName[]> {
  readonly env: string;
  readonly readBy: Readers;
  readonly description: string;
  /** How the stack writes the value into the environment; `lambdas/config.ts` reads it back. */
  readonly encode: (value: Value) => string;
}

function setting<Value, const Readers extends readonly FunctionName[]>(
  spec: SettingSpec<Value, Readers>,
): SettingSpec<Value, Readers> {
  return spec;
}

const asText = (value: string) => value;

export const SETTINGS = {
  catalogTable: setting({
    env: 'HOOKPOST_CATALOG_TABLE',
    readBy: ['api', 'authorizer', 'fanOut', 'delivery'],
    description: 'The catalog table: apps, event types, endpoints.',
    encode: asText,
  }),
  messagesTable: setting({
    env: 'HOOKPOST_MESSAGES_TABLE',
    readBy: ['api', 'fanOut', 'delivery'],
    description: 'The messages table, whose stream drives fan-out.',
    encode: asText,
  }),
  deliveriesTable: setting({
    env: 'HOOKPOST_DELIVERIES_TABLE',
    readBy: ['api', 'fanOut', 'delivery'],
    description: 'The deliveries table: delivery state and the attempt log.',
    encode: asText,
  }),
  deliveryQueueUrl: setting({
    env: 'HOOKPOST_DELIVERY_QUEUE_URL',
    readBy: ['fanOut', 'delivery'],
    description: 'The SQS delivery queue tasks are sent to.',
    encode: asText,
  }),
  deliveryQueueArn: setting({
    env: 'HOOKPOST_DELIVERY_QUEUE_ARN',
    readBy: ['delivery'],
    description: 'The delivery queue as the target of retry schedules.',
    encode: asText,
  }),
  retryScheduleGroup: setting({
    env: 'HOOKPOST_SCHEDULE_GROUP',
    readBy: ['delivery'],
    description: 'The EventBridge Scheduler group that holds the long retries.',
    encode: asText,
  }),
  schedulerRoleArn: setting({
    env: 'HOOKPOST_SCHEDULER_ROLE_ARN',
    readBy: ['delivery'],
    description: 'The role EventBridge Scheduler assumes to put a due retry on the queue.',
    encode: asText,
  }),
  schedulerDeadLetterQueueArn: setting({
    env: 'HOOKPOST_SCHEDULER_DLQ_ARN',
    readBy: ['delivery'],
    description: 'Where EventBridge Scheduler puts a retry it could not deliver.',
    encode: asText,
  }),
  adminKeySecretArn: setting({
    env: 'HOOKPOST_ADMIN_KEY_SECRET_ARN',
    readBy: ['authorizer'],
    description: 'The Secrets Manager secret holding the admin key.',
    encode: asText,
  }),
  metricNamespace: setting({
    env: 'HOOKPOST_METRIC_NAMESPACE',
    readBy: ['fanOut', 'delivery'],
    description: "The CloudWatch namespace of the deployment's metrics, derived from the stack.",
    encode: asText,
  }),
  retryLadderSeconds: setting({
    env: 'HOOKPOST_RETRY_LADDER',
    readBy: ['delivery'],
    description:
      'The delays between attempts, in seconds; after the last rung fails the delivery is given up.',
    encode: (seconds: readonly number[]) => seconds.join(','),
  }),
  attemptTimeoutMs: setting({
    env: 'HOOKPOST_ATTEMPT_TIMEOUT_MS',
    readBy: ['delivery'],
    description: 'How long one attempt may take, connection and response included.',
    encode: (milliseconds: number) => String(milliseconds),
  }),
  autoDisableAfterDays: setting({
    env: 'HOOKPOST_AUTO_DISABLE_AFTER_DAYS',
    readBy: ['delivery'],
    description: 'An endpoint whose every attempt has failed for this many days is disabled.',
    encode: (days: number) => String(days),
  }),
  retentionDays: setting({
    env: 'HOOKPOST_RETENTION_DAYS',
    readBy: ['api', 'fanOut', 'delivery'],
    description: 'Messages, deliveries and attempts expire after this many days.',
    encode: (days: number) => String(days),
  }),
  requireKnownEventTypes: setting({
    env: 'HOOKPOST_REQUIRE_KNOWN_EVENT_TYPES',
    readBy: ['api'],
    description: 'Refuse messages whose event type is not in the catalogue (422).',
    encode: (required: boolean) => String(required),
  }),
  egressIps: setting({
    env: 'HOOKPOST_EGRESS_IPS',
    readBy: ['api'],
    description: "The NAT gateways' Elastic IPs, which GET /v1/egress-ips lists for receivers to allow.",
    encode: (addresses: readonly string[]) => addresses.join(','),
  }),
  logLevel: setting({
    env: 'HOOKPOST_LOG_LEVEL',
    readBy: ['api', 'fanOut', 'delivery'],
    description: 'debug, info, warn or error (JSON lines).',
    encode: (level: LogLevel) => level,
  }),
} as const;

export type SettingName = keyof typeof SETTINGS;
export type SettingValue<Name extends SettingName> = Parameters<(typeof SETTINGS)[Name]['encode']>[0];

/** The settings one function reads, by name. */
export type SettingsOf<Function extends FunctionName> = {
  readonly [Name in SettingName as Function extends (typeof SETTINGS)[Name]['readBy'][number]
    ? Name
    : never]: SettingValue<Name>;
};

export const SETTING_NAMES = Object.keys(SETTINGS) as SettingName[];

export function settingNamesOf(fn: FunctionName): SettingName[] {
  return SETTING_NAMES.filter((name) => (SETTINGS[name].readBy as readonly FunctionName[]).includes(fn));
}

/** The environment variable and its value for one setting. */
export function encodeSetting<Name extends SettingName>(
  name: Name,
  value: SettingValue<Name>,
): readonly [string, string] {
  const spec = SETTINGS[name] as SettingSpec<SettingValue<Name>, readonly FunctionName[]>;
  return [spec.env, spec.encode(value)];
}

/** The tunable settings' defaults: the construct's when a prop is unset, local mode's when a variable is. */
export const SETTING_DEFAULTS = {
  retryLadderSeconds: [5, 300, 1_800, 7_200, 18_000, 36_000],
  attemptTimeoutMs: 30_000,
  autoDisableAfterDays: 5,
  retentionDays: 30,
  requireKnownEventTypes: true,
  logLevel: 'info',
} as const satisfies { readonly [Name in SettingName]?: SettingValue<Name> };

/**
 * The API function's timeout: API Gateway REST waits at most 29 s for an integration, so a
 * request runs no longer than this (lib/api.ts).
 */
export const API_FUNCTION_TIMEOUT_SECONDS = 29;

/**
 * A deployment's attempts may take between 1 second and 5 minutes, in whole seconds: the
 * delivery function's timeout is the attempt timeout plus 30 s, and Lambda counts in seconds.
 */
export const ATTEMPT_TIMEOUT_LIMITS_MS = { min: 1_000, max: 300_000 } as const;

/**
 * The auto-disable period and the retention, in whole days, within these bounds: the
 * functions refuse a value outside them when they load (lambdas/config.ts), so the stack
 * refuses it when it is synthesized (lib/webhook-service.ts).
 */
export const AUTO_DISABLE_AFTER_DAYS_LIMITS = { min: 1, max: 365 } as const;
export const RETENTION_DAYS_LIMITS = { min: 1, max: 3650 } as const;

/** Most rungs a retry ladder may have: attempts are numbered in three digits (`A#…#001`). */
export const MAX_RETRY_RUNGS = 50;

/** Retry delays are spread by ± this fraction (see lambdas/core/retry.ts). */
export const RETRY_JITTER_RATIO = 0.1;

/**
 * What is wrong with a retry ladder, if anything: each rung a whole number of seconds from
 * 1 up, at most MAX_RETRY_RUNGS of them, and the whole ladder, jitter included, over
 * before messages expire (a retry of an expired message would find nothing to send).
 * Checked at synth (`lib/`) and at start-up (`lambdas/config.ts`).
 */
export function retryLadderProblems(ladderSeconds: readonly number[], retentionDays: number): string[] {
  const problems: string[] = [];
  if (ladderSeconds.length === 0) problems.push('the retry ladder needs at least one delay');
  if (ladderSeconds.length > MAX_RETRY_RUNGS) {
    problems.push(
      `the retry ladder has ${ladderSeconds.length} delays; at most ${MAX_RETRY_RUNGS} are allowed`,
    );
  }
  const bad = ladderSeconds.filter((seconds) => !Number.isInteger(seconds) || seconds < 1);
  if (bad.length > 0) problems.push(`retry delays are whole seconds from 1 up, not ${bad.join(', ')}`);
  const longestSeconds = ladderSeconds.reduce((sum, seconds) => sum + seconds, 0) * (1 + RETRY_JITTER_RATIO);
  if (longestSeconds >= retentionDays * 86_400) {
    problems.push(
      `the retry ladder can take ${Math.ceil(longestSeconds)} s, longer than the ${retentionDays}-day retention: messages would expire before their last attempt`,
    );
  }
  return problems;
}
