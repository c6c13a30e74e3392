import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type CfnElement, type Duration, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import type * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** The Lambda entry points; lib/ knows lambdas/ only by these paths, for bundling. */
const ENTRY_DIR = fileURLToPath(new URL('../lambdas/handlers/aws/', import.meta.url));
export type HookpostEntry = 'api' | 'authorizer' | 'fanout' | 'delivery';

export interface HookpostFunctionProps {
  readonly entry: HookpostEntry;
  readonly description: string;
  readonly environment: Readonly<Record<string, string>>;
  readonly timeout: Duration;
  readonly memorySize?: number;
  readonly logRetention: logs.RetentionDays;
  readonly vpc?: ec2.IVpc;
  readonly vpcSubnets?: ec2.SubnetSelection;
}

/**
 * One Hookpost function as every one is built: Node.js 24 on arm64 (the code targets
 * Node.js 22 and later), bundled by the local
 * esbuild (never Docker) into a minified ES module with source maps, and an explicit log
 * group with a retention, so that no log lives forever.
 */
export class HookpostFunction extends Construct {
  readonly function: NodejsFunction;
  readonly logGroup: logs.LogGroup;

  constructor(scope: Construct, id: string, props: HookpostFunctionProps) {
    super(scope, id);
    this.logGroup = new logs.LogGroup(this, 'Logs', {
      retention: props.logRetention,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    this.function = new NodejsFunction(this, 'Function', {
      entry: join(ENTRY_DIR, `${props.entry}.ts`),
      handler: 'handler',
      description: props.description,
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout,
      environment: { NODE_OPTIONS: '--enable-source-maps', ...props.environment },
      logGroup: this.logGroup,
      loggingFormat: lambda.LoggingFormat.JSON,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        minify: true,
        sourceMap: true,
        // The SDK is bundled too: the versions the tests ran against are the ones deployed.
        externalModules: [],
        mainFields: ['module', 'main'],
        banner: "import { createRequire } from 'module';const require = createRequire(import.meta.url);",
      },
    });
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
  }

  /** Grants access to a table and its indexes, acknowledging the `index/*` wildcard that comes with it. */
  grantTable(table: dynamodb.Table, access: 'read' | 'readWrite'): void {
    if (access === 'read') table.grantReadData(this.function);
    else table.grantReadWriteData(this.function);
    const logicalId = Stack.of(this).getLogicalId(table.node.defaultChild as CfnElement);
    Validations.of(this.function).acknowledge({
      id: `AwsSolutions::AwsSolutions-IAM5[Resource::<${logicalId}.Arn>/index/*]`,
      reason: "The wildcard covers this table's own secondary indexes, which its queries use.",
    });
  }
}
