import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CfnElement, type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import {
  encodeSetting,
  type FunctionName,
  type LogLevel,
  type SettingName,
  type SettingValue,
  settingNamesOf,
} from '../lambdas/contract/settings';

/** The Lambda entry points; lib/ knows lambdas/ only by these paths, for bundling. */
const ENTRY_DIR = fileURLToPath(new URL('../lambdas/handlers/aws/', import.meta.url));
const ENTRY_FILES: Readonly<Record<FunctionName, string>> = {
  api: 'api.ts',
  authorizer: 'authorizer.ts',
  fanOut: 'fanout.ts',
  delivery: 'delivery.ts',
};
/**
 * The most each function's bundle (index.mjs) may weigh; `test/deployed/limits.test.ts`
 * holds the synthesized bundles to it. A bundle's size is most of its cold start: Node
 * parses and runs all of it before the first event. No function carries the AWS SDK's
 * clients, whose shared core alone was about 135 KB of each: they call AWS through a
 * small signed client of its JSON protocols
 * (lambdas/adapters/aws/json-protocol/aws-json-client.ts). What is left is mostly
 * Powertools, zod for the settings, and in the API function the request schemas and
 * their OpenAPI output (zod) and the payload-schema checker (Ajv). README "Performance
 * and cost" has the sizes and init times measured by `npm run bench:bundles`.
 */
export const BUNDLE_BUDGET_BYTES: Readonly<Record<FunctionName, number>> = {
  authorizer: 150_000,
  fanOut: 400_000,
  delivery: 400_000,
  api: 400_000,
};

/**
 * Each function's memory, which also sets its share of CPU (a full vCPU at 1,769 MB) and
 * its price per millisecond. Chosen from the peak memory `npm run bench:cost` measures in
 * the deployed harness (49 MB for the authorizer, 64-75 MB for the others: Node and the
 * bundle) and from what each function spends its time on. Memory is not what binds
 * (128 MB would hold any of them); CPU is:
 * - delivery and fan-out: 256 MB. A delivery waits on the receiver, fan-out on DynamoDB and
 *   SQS; more CPU would shorten neither wait, and the price per millisecond doubles with
 *   each step up. At 128 MB (a fourteenth of a vCPU) a batch's signing, HTTP and
 *   marshalling (about 0.7 ms of a full core per delivery, `npm run bench:delivery`)
 *   would take twice as long while every record of the batch waits for it.
 * - authorizer: 256 MB. A key check is one cached secret read or one GetItem and a hash,
 *   but every API call waits for it, cold starts included.
 * - api: 512 MB. It parses and validates every request (zod, Ajv for payload schemas)
 *   while a caller waits, so CPU is latency; its cost per request is small next to API
 *   Gateway's own $3.50 per million.
 */
const MEMORY_MB: Readonly<Record<FunctionName, number>> = {
  delivery: 256,
  fanOut: 256,
  authorizer: 256,
  api: 512,
};

/** The esbuild options of every function, also used by the tests that inspect a bundle's module graph. */
export const BUNDLING = {
  forceDockerBundling: false,
  format: OutputFormat.ESM,
  target: 'node22',
  minify: true,
  sourceMap: true,
  // Every dependency is bundled: the versions the tests ran against are the ones deployed.
  externalModules: [],
  mainFields: ['module', 'main'],
  banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
};

/** The template metadata key that names a function's entry point. */
export const FUNCTION_METADATA_KEY = 'hookpost:function';

export function entryPath(fn: FunctionName): string {
  return join(ENTRY_DIR, ENTRY_FILES[fn]);
}

/** Access to a table alone, not its indexes, and the actions each allows. */
const TABLE_ONLY_ACTIONS = {
  getItem: ['dynamodb:GetItem'],
  putItem: ['dynamodb:PutItem'],
  getPutItem: ['dynamodb:GetItem', 'dynamodb:PutItem'],
} as const;
type TableOnlyAccess = keyof typeof TABLE_ONLY_ACTIONS;
const isTableOnly = (access: string): access is TableOnlyAccess => Object.hasOwn(TABLE_ONLY_ACTIONS, access);

/** Settings whose value is a table's name, and the tables they name. */
type TableSetting = 'catalogTable' | 'messagesTable' | 'deliveriesTable';

export interface HookpostFunctionProps {
  readonly entry: FunctionName;
  readonly description: string;
  readonly timeout: Duration;
  readonly logRetention: logs.RetentionDays;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
  /**
   * The level of the function's own log lines: its `logLevel` setting, for the functions
   * whose contract lists it.
   * @default none: the function has no such setting
   */
  readonly logLevel?: LogLevel;
}

/**
 * Lambda's filter of a function's own lines (JSON log format): DEBUG when the setting asks
 * for debug lines, else INFO, never above. Lambda counts a line without a level, as the
 * metrics documents are, as INFO, so a WARN filter would drop the metrics; the functions'
 * loggers apply warn and error themselves (lambdas/adapters/aws/logging/powertools-logger.ts),
 * and Powertools reads this filter's level as its own (AWS_LAMBDA_LOG_LEVEL).
 */
function applicationLogLevel(level: LogLevel | undefined): lambda.ApplicationLogLevel {
  return level === 'debug' ? lambda.ApplicationLogLevel.DEBUG : lambda.ApplicationLogLevel.INFO;
}

/**
 * One Hookpost function as every one is built: Node.js 24 on arm64 (the code targets
 * Node.js 22 and later), bundled by the local esbuild (never Docker) into a minified ES
 * module, and an explicit log group with a retention, so that no log lives forever.
 *
 * The bundle's source map ships beside it, for reading a minified stack trace offline, but
 * Node does not load it (no `--enable-source-maps`): loading it costs every cold start
 * 12-18 ms and 10 MB (measured importing each bundle with and without it), and the
 * functions never log a stack (lambdas/logger.ts, describeError).
 *
 * Its environment holds exactly the settings `lambdas/contract/settings.ts` lists for its
 * entry, each set by the call that also grants what the setting gives access to
 * (`useTable`, `sendsTo`, `readsSecret`); a setting missing or out of place fails the synth.
 */
export class HookpostFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;
  readonly entry: FunctionName;
  private readonly settings = new Set<SettingName>();

  constructor(scope: Construct, id: string, props: HookpostFunctionProps) {
    super(scope, id);
    this.entry = props.entry;
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: entryPath(props.entry),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: MEMORY_MB[props.entry],
      timeout: props.timeout,
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      applicationLogLevelV2: applicationLogLevel(props.logLevel),
      // Lambda's own records at WARN and above only: no START and REPORT records, which it writes at
      // INFO for every invocation (about 450 bytes, bench/cost.ts) and nothing here reads; the
      // duration, error and throttle metrics come from Lambda itself, not from these lines.
      systemLogLevelV2: lambda.SystemLogLevel.WARN,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      bundling: BUNDLING,
    });
    // Says which entry point this function runs, for whoever reads the template (the deployed test tier).
    (this.function.node.defaultChild as lambda.CfnFunction).addMetadata(FUNCTION_METADATA_KEY, props.entry);
    Validations.of(this.function).acknowledge({
      id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
      reason:
        'The basic execution role only lets the function write its own logs; it is the policy AWS maintains for that.',
    });
    if (props.vpc !== undefined) {
      Validations.of(this.function).acknowledge({
        id: 'AwsSolutions::AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole]',
        reason:
          'A function in a VPC needs to manage its network interfaces; AWS maintains the policy for exactly that.',
      });
    }
    if (props.logLevel !== undefined) this.setting('logLevel', props.logLevel);
    this.node.addValidation({ validate: () => this.settingProblems() });
  }

  /** Sets one setting the contract lists for this function; any other fails the synth at once. */
  setting<Name extends SettingName>(name: Name, value: SettingValue<Name>): void {
    if (!settingNamesOf(this.entry).includes(name)) {
      throw new Error(`The contract does not list ${name} among the settings of the ${this.entry} function.`);
    }
    const [variable, encoded] = encodeSetting(name, value);
    this.function.addEnvironment(variable, encoded);
    this.settings.add(name);
  }

  /**
   * Names a table in the function's settings and grants access to it: `getItem` reads single
   * items by key and nothing else, `putItem` writes single items and nothing else,
   * `getPutItem` both; `read` covers the table and its indexes, `readUpdate` adds UpdateItem
   * (one item's attributes, by key; no PutItem, DeleteItem or batch writes), `readWrite`
   * every write.
   */
  useTable(
    name: TableSetting,
    table: dynamodb.Table,
    access: TableOnlyAccess | 'read' | 'readUpdate' | 'readWrite',
  ): void {
    this.setting(name, table.tableName);
    if (isTableOnly(access)) {
      // Not table.grant(), which adds the indexes too.
      this.function.addToRolePolicy(
        new iam.PolicyStatement({ actions: [...TABLE_ONLY_ACTIONS[access]], resources: [table.tableArn] }),
      );
      return;
    }
    if (access === 'readWrite') table.grantReadWriteData(this.function);
    else table.grantReadData(this.function);
    if (access === 'readUpdate') {
      this.function.addToRolePolicy(
        new iam.PolicyStatement({ actions: ['dynamodb:UpdateItem'], resources: [table.tableArn] }),
      );
    }
    const logicalId = Stack.of(this).getLogicalId(table.node.defaultChild as CfnElement);
    Validations.of(this.function).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
      reason: "The wildcard covers this table's own secondary indexes, which its queries use.",
    });
  }

  /** Names the delivery queue in the function's settings and lets it send there, and nothing else. */
  sendsTo(queue: sqs.IQueue): void {
    this.setting('deliveryQueueUrl', queue.queueUrl);
    queue.grantSendMessages(this.function);
  }

  /** Names a secret in the function's settings and lets it read that secret. */
  readsSecret(name: 'adminKeySecretArn', secret: secretsmanager.ISecret): void {
    this.setting(name, secret.secretArn);
    secret.grantRead(this.function);
  }

  private settingProblems(): string[] {
    const missing = settingNamesOf(this.entry).filter((name) => !this.settings.has(name));
    return missing.map(
      (name) => `The ${this.entry} function is missing its setting ${name} (lambdas/contract/settings.ts).`,
    );
  }
}
