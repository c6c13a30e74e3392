import * as z from 'zod/mini';
import { version } from '../package.json';
import {
  ATTEMPT_TIMEOUT_LIMITS_MS,
  AUTO_DISABLE_AFTER_DAYS_LIMITS,
  type FunctionName,
  LOG_LEVELS,
  type LogLevel,
  RETENTION_DAYS_LIMITS,
  RETRY_JITTER_RATIO,
  retryLadderProblems,
  SETTING_DEFAULTS,
  SETTINGS,
  type SettingName,
  type SettingsOf,
  type SettingValue,
  settingNamesOf,
} from './contract/settings';
import { APP_KEY_PREFIX } from './core/keys';
import type { RetryPolicy } from './core/retry';

/**
 * Every setting of the Lambda side, read once from the environment and validated here.
 * A deployed function reads exactly the settings `lambdas/contract/settings.ts` lists for
 * it, all of them set by the stack: a missing one stops the function at once. Local mode
 * reads the tunable ones with their documented defaults, and a few of its own below.
 * Nothing else reads `process.env`.
 */

export type { LogLevel };

export const USER_AGENT = `Hookpost/${version}`;

// zod/mini, as in every module the non-API functions load (lambdas/core/parse-input.ts says why).
const flag = z.pipe(
  z.enum(['true', 'false']),
  z.transform((value) => value === 'true'),
);
const arn = z.string().check(z.startsWith('arn:'));
const tableName = z.string().check(z.regex(/^[a-zA-Z0-9_.-]{3,255}$/, 'a DynamoDB table name'));
const secondsList = z.pipe(
  z.string().check(z.regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'a comma-separated list of whole seconds')),
  z.transform((value) => value.split(',').map((part) => Number(part.trim()))),
);
/** A whole number from its decimal text, within bounds. */
const wholeNumber = (min: number, max = Number.MAX_SAFE_INTEGER) =>
  z.coerce.number().check(z.multipleOf(1, 'a whole number'), z.minimum(min), z.maximum(max));

const decoders: Decoders = {
  catalogTable: tableName,
  messagesTable: tableName,
  deliveriesTable: tableName,
  deliveryQueueUrl: z.url(),
  deliveryQueueArn: arn,
  retryScheduleGroup: z
    .string()
    .check(z.regex(/^[0-9a-zA-Z_.-]{1,64}$/, 'an EventBridge Scheduler group name')),
  schedulerRoleArn: arn,
  schedulerDeadLetterQueueArn: arn,
  adminKeySecretArn: arn,
  metricNamespace: z.string().check(z.regex(/^[0-9a-zA-Z_.#:/-]{1,255}$/, 'a CloudWatch namespace')),
  retryLadderSeconds: secondsList,
  attemptTimeoutMs: wholeNumber(ATTEMPT_TIMEOUT_LIMITS_MS.min, ATTEMPT_TIMEOUT_LIMITS_MS.max),
  autoDisableAfterDays: wholeNumber(AUTO_DISABLE_AFTER_DAYS_LIMITS.min, AUTO_DISABLE_AFTER_DAYS_LIMITS.max),
  retentionDays: wholeNumber(RETENTION_DAYS_LIMITS.min, RETENTION_DAYS_LIMITS.max),
  requireKnownEventTypes: flag,
  egressIps: z.pipe(
    z.pipe(
      z.string(),
      z.transform((value) => value.split(',').map((address) => address.trim())),
    ),
    z.array(z.union([z.ipv4(), z.ipv6()])).check(z.minLength(1)),
  ),
  logLevel: z.enum(LOG_LEVELS as [LogLevel, ...LogLevel[]]),
};

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

type Values = Partial<Record<SettingName, unknown>>;

type Decoders = { readonly [Name in SettingName]: z.ZodMiniType<SettingValue<Name>> };

function readSettings(
  names: readonly SettingName[],
  env: NodeJS.ProcessEnv,
  defaults: Values,
  decoding: Decoders = decoders,
): Values {
  const values: Values = {};
  const problems: string[] = [];
  for (const name of names) {
    const variable = SETTINGS[name].env;
    const raw = env[variable];
    if (raw === undefined) {
      if (defaults[name] === undefined) problems.push(`${variable}: not set`);
      else values[name] = defaults[name];
      continue;
    }
    const result = decoding[name].safeParse(raw);
    if (result.success) values[name] = result.data;
    else problems.push(`${variable}: ${result.error.issues.map((issue) => issue.message).join(', ')}`);
  }
  const ladder = values.retryLadderSeconds as readonly number[] | undefined;
  const retention = values.retentionDays as number | undefined;
  if (ladder !== undefined && retention !== undefined)
    problems.push(...retryLadderProblems(ladder, retention));
  if (problems.length > 0) throw new ConfigError(`Invalid settings: ${problems.join('; ')}`);
  return values;
}

/** The settings of one deployed function, as its stack set them. */
export function loadFunctionConfig<Function extends FunctionName>(
  fn: Function,
  env: NodeJS.ProcessEnv = process.env,
): SettingsOf<Function> {
  return readSettings(settingNamesOf(fn), env, {}) as SettingsOf<Function>;
}

/**
 * What a function needs to sign its own AWS calls, which it makes without the SDK's clients
 * (lambdas/adapters/aws/json-protocol/aws-json-client.ts): the region and credentials Lambda
 * puts in every function's environment, and the `AWS_ENDPOINT_URL_<SERVICE>` and
 * `AWS_ENDPOINT_URL` overrides the SDK honours too (the deployed test tier points the
 * functions at its emulators with them).
 */
export interface AwsEnvironment {
  readonly region: string;
  readonly credentials: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken?: string;
  };
  /** The endpoint set for a service (`DYNAMODB`, `SECRETS_MANAGER`), if any. */
  endpointOverride(service: string): string | undefined;
}

const awsEnv = z.object({
  AWS_REGION: z.string().check(z.regex(/^[a-z]{2,}(-[a-z]+)+-\d+$/, 'an AWS region')),
  AWS_ACCESS_KEY_ID: z.string().check(z.minLength(1)),
  AWS_SECRET_ACCESS_KEY: z.string().check(z.minLength(1)),
  AWS_SESSION_TOKEN: z.optional(z.string()),
});

export function loadAwsEnvironment(env: NodeJS.ProcessEnv = process.env): AwsEnvironment {
  const parsed = awsEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid AWS environment: ${problems.join('; ')}`);
  }
  const { AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_SESSION_TOKEN } = parsed.data;
  return {
    region: AWS_REGION,
    credentials: {
      accessKeyId: AWS_ACCESS_KEY_ID,
      secretAccessKey: AWS_SECRET_ACCESS_KEY,
      ...(AWS_SESSION_TOKEN === undefined ? {} : { sessionToken: AWS_SESSION_TOKEN }),
    },
    endpointOverride: (service) => env[`AWS_ENDPOINT_URL_${service}`] ?? env.AWS_ENDPOINT_URL,
  };
}

/** The retry policy a deployed function follows: the ladder its stack gave it, at full speed. */
export function retryPolicyOf(ladderSeconds: readonly number[], timeScale = 1): RetryPolicy {
  return { ladderSeconds, jitterRatio: RETRY_JITTER_RATIO, timeScale };
}

const localEnv = z.object({
  /** API port on 127.0.0.1; 0 picks a free one. */
  PORT: z._default(wholeNumber(0, 65_535), 8080),
  /** The admin key; generated and printed when unset. */
  HOOKPOST_ADMIN_KEY: z.optional(
    z.string().check(
      z.minLength(16),
      z.regex(/^\S+$/, 'no spaces'),
      z.refine((key) => !key.startsWith(APP_KEY_PREFIX), `an application key's prefix (${APP_KEY_PREFIX})`),
    ),
  ),
  /** Where local mode keeps its data. */
  HOOKPOST_DATA_DIR: z._default(z.string().check(z.minLength(1)), '.hookpost'),
  /** Prefix of the table names (`{prefix}-catalog`, `{prefix}-messages`, …). */
  HOOKPOST_TABLE_PREFIX: z._default(z.string().check(z.minLength(3)), 'hookpost'),
  /** Multiplies every retry delay (0.001 runs the ladder in about a minute). */
  HOOKPOST_TIME_SCALE: z._default(z.coerce.number().check(z.positive()), 1),
});

/** What local mode runs with: every tunable setting of a deployment, plus its own. */
export interface LocalConfig {
  readonly port: number;
  readonly adminKey: string | undefined;
  readonly dataDir: string;
  readonly tablePrefix: string;
  readonly retry: RetryPolicy;
  readonly attemptTimeoutMs: number;
  readonly autoDisableAfterDays: number;
  readonly retentionDays: number;
  readonly requireKnownEventTypes: boolean;
  readonly logLevel: LogLevel;
}

export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const parsed = localEnv.safeParse(env);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
    throw new ConfigError(`Invalid settings: ${problems.join('; ')}`);
  }
  const local = parsed.data;
  const tunable = readSettings(
    [
      'retryLadderSeconds',
      'attemptTimeoutMs',
      'autoDisableAfterDays',
      'retentionDays',
      'requireKnownEventTypes',
      'logLevel',
    ],
    env,
    SETTING_DEFAULTS,
    // Local mode takes attempt timeouts under a second too (a deployment's must fill a Lambda timeout).
    { ...decoders, attemptTimeoutMs: wholeNumber(1, ATTEMPT_TIMEOUT_LIMITS_MS.max) },
  );
  return {
    port: local.PORT,
    adminKey: local.HOOKPOST_ADMIN_KEY,
    dataDir: local.HOOKPOST_DATA_DIR,
    tablePrefix: local.HOOKPOST_TABLE_PREFIX,
    retry: retryPolicyOf(tunable.retryLadderSeconds as readonly number[], local.HOOKPOST_TIME_SCALE),
    attemptTimeoutMs: tunable.attemptTimeoutMs as number,
    autoDisableAfterDays: tunable.autoDisableAfterDays as number,
    retentionDays: tunable.retentionDays as number,
    requireKnownEventTypes: tunable.requireKnownEventTypes as boolean,
    logLevel: tunable.logLevel as LogLevel,
  };
}
