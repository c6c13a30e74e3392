import { z } from 'zod';
import packageJson from '../package.json' with { type: 'json' };
import { DEFAULT_RETRY_LADDER_SECONDS, type RetryPolicy } from './core/retry';

/**
 * Every setting of the Lambda side, read once from the environment and validated here;
 * the defaults below are the documented ones. Nothing else reads `process.env`.
 */

const positiveNumber = z.coerce.number().positive();
const flag = z.enum(['true', 'false']).transform((value) => value === 'true');
const secondsList = z
  .string()
  .regex(/^\s*\d+(\s*,\s*\d+)*\s*$/, 'a comma-separated list of whole seconds')
  .transform((value) => value.split(',').map((part) => Number(part.trim())));

const runtimeEnv = z.object({
  /** Prefix of the DynamoDB table names (`{prefix}-catalog`, `{prefix}-messages`, …). */
  HOOKPOST_TABLE_PREFIX: z.string().min(3).default('hookpost'),
  /** The retry ladder in seconds; after the last rung fails the delivery is given up. */
  HOOKPOST_RETRY_LADDER: secondsList.prefault(DEFAULT_RETRY_LADDER_SECONDS.join(',')),
  /** Multiplies every retry delay (local mode: 0.001 runs the ladder in about a minute). */
  HOOKPOST_TIME_SCALE: positiveNumber.default(1),
  /** How long one attempt may take, connection and response included. */
  HOOKPOST_ATTEMPT_TIMEOUT_MS: positiveNumber.default(30_000),
  /** Messages and attempts expire after this many days. */
  HOOKPOST_RETENTION_DAYS: positiveNumber.default(30),
  /** Refuse messages whose event type is not in the catalogue (422). */
  HOOKPOST_REQUIRE_KNOWN_EVENT_TYPES: flag.default(true),
  HOOKPOST_LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error']).default('info'),
});

const localEnv = z.object({
  /** API port on 127.0.0.1; 0 picks a free one. */
  PORT: z.coerce.number().int().min(0).max(65_535).default(8080),
  /** The admin key; generated and printed when unset. */
  HOOKPOST_ADMIN_KEY: z.string().min(16).optional(),
  /** Where local mode keeps its data. */
  HOOKPOST_DATA_DIR: z.string().min(1).default('.hookpost'),
});

const awsEnv = z.object({
  HOOKPOST_CATALOG_TABLE: z.string().min(3),
  HOOKPOST_MESSAGES_TABLE: z.string().min(3),
  HOOKPOST_DELIVERIES_TABLE: z.string().min(3),
  HOOKPOST_DELIVERY_QUEUE_URL: z.url(),
  HOOKPOST_DELIVERY_QUEUE_ARN: z.string().startsWith('arn:'),
  /** EventBridge Scheduler group, role and dead-letter queue of the long retries. */
  HOOKPOST_SCHEDULE_GROUP: z.string().min(1),
  HOOKPOST_SCHEDULER_ROLE_ARN: z.string().startsWith('arn:'),
  HOOKPOST_SCHEDULER_DLQ_ARN: z.string().startsWith('arn:'),
  /** The Secrets Manager secret holding the admin key. */
  HOOKPOST_ADMIN_KEY_SECRET_ARN: z.string().startsWith('arn:'),
});

export type LogLevel = z.infer<typeof runtimeEnv>['HOOKPOST_LOG_LEVEL'];

export interface RuntimeConfig {
  readonly tablePrefix: string;
  readonly retry: RetryPolicy;
  readonly attemptTimeoutMs: number;
  readonly retentionDays: number;
  readonly requireKnownEventTypes: boolean;
  readonly logLevel: LogLevel;
  readonly userAgent: string;
}

export interface LocalConfig extends RuntimeConfig {
  readonly port: number;
  readonly adminKey: string | undefined;
  readonly dataDir: string;
}

/** What the Lambda functions read from the environment the CDK stack gives them. */
export interface AwsConfig extends RuntimeConfig {
  readonly tables: { readonly catalog: string; readonly messages: string; readonly deliveries: string };
  readonly deliveryQueue: { readonly url: string; readonly arn: string };
  readonly retrySchedules: {
    readonly groupName: string;
    readonly roleArn: string;
    readonly deadLetterQueueArn: string;
  };
  readonly adminKeySecretArn: string;
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

function parseEnv<Schema extends z.ZodType>(schema: Schema, env: NodeJS.ProcessEnv): z.output<Schema> {
  const result = schema.safeParse(env);
  if (result.success) return result.data;
  const problems = result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
  throw new ConfigError(`Invalid settings: ${problems.join('; ')}`);
}

export function loadRuntimeConfig(env: NodeJS.ProcessEnv = process.env): RuntimeConfig {
  const settings = parseEnv(runtimeEnv, env);
  return {
    tablePrefix: settings.HOOKPOST_TABLE_PREFIX,
    retry: {
      ladderSeconds: settings.HOOKPOST_RETRY_LADDER,
      jitterRatio: 0.1,
      timeScale: settings.HOOKPOST_TIME_SCALE,
    },
    attemptTimeoutMs: settings.HOOKPOST_ATTEMPT_TIMEOUT_MS,
    retentionDays: settings.HOOKPOST_RETENTION_DAYS,
    requireKnownEventTypes: settings.HOOKPOST_REQUIRE_KNOWN_EVENT_TYPES,
    logLevel: settings.HOOKPOST_LOG_LEVEL,
    userAgent: `Hookpost/${packageJson.version}`,
  };
}

export function loadLocalConfig(env: NodeJS.ProcessEnv = process.env): LocalConfig {
  const settings = parseEnv(localEnv, env);
  return {
    ...loadRuntimeConfig(env),
    port: settings.PORT,
    adminKey: settings.HOOKPOST_ADMIN_KEY,
    dataDir: settings.HOOKPOST_DATA_DIR,
  };
}

export function loadAwsConfig(env: NodeJS.ProcessEnv = process.env): AwsConfig {
  const settings = parseEnv(awsEnv, env);
  return {
    ...loadRuntimeConfig(env),
    tables: {
      catalog: settings.HOOKPOST_CATALOG_TABLE,
      messages: settings.HOOKPOST_MESSAGES_TABLE,
      deliveries: settings.HOOKPOST_DELIVERIES_TABLE,
    },
    deliveryQueue: { url: settings.HOOKPOST_DELIVERY_QUEUE_URL, arn: settings.HOOKPOST_DELIVERY_QUEUE_ARN },
    retrySchedules: {
      groupName: settings.HOOKPOST_SCHEDULE_GROUP,
      roleArn: settings.HOOKPOST_SCHEDULER_ROLE_ARN,
      deadLetterQueueArn: settings.HOOKPOST_SCHEDULER_DLQ_ARN,
    },
    adminKeySecretArn: settings.HOOKPOST_ADMIN_KEY_SECRET_ARN,
  };
}
