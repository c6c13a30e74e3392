import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  CreateTableCommand,
  type CreateTableCommandInput,
  DescribeTableCommand,
  DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { CreateQueueCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { buildApp } from 'fauxqs';
import type { FunctionName } from '../../../lambdas/contract/settings';
import { type DynamoEngine, startDynamoDbLocal } from '../dynamodb';
import { functionsByEntry, type Properties, type TemplateJson, type TemplateResource } from '../template';
import { EmulatedRestApi, type GatewayResponseSettings, type MethodSettings } from './api-gateway';
import { AccessControl, ROLE_CREDENTIALS, type RoleIdentity } from './aws-access';
import {
  DynamoDbFront,
  HARNESS_ACCESS_KEY,
  SchedulerStub,
  SecretsManagerStub,
  SqsFront,
} from './aws-stand-ins';
import { TemplateResolver } from './cloudformation';
import { type Poller, SqsPoller, StreamPoller } from './event-source-mappings';
import { evaluateResourcePolicy, lambdaPermissionStatement, type PolicyDocument } from './iam';
import { EmulatedFunction, type NetworkRefusal } from './lambda-runtime';
import type { RequestMeter } from './request-meter';

/**
 * What `cdk deploy` would create, run offline: the synthesized template's tables (with
 * their streams) in DynamoDB Local, its queues in the SQS emulator, its secret, schedule
 * group and roles in the stand-ins, each of its functions from its bundled asset with the
 * environment the template gives it, its event source mappings and its REST API. Every
 * call a function makes is checked against that function's role, every connection it
 * opens against the network guard.
 */

export interface DeployOptions {
  /** A cloud assembly directory (`cdk.out`): the template and the assets. */
  readonly assemblyDir: string;
  readonly stackName: string;
  /** Shortens every queue delay and schedule (1/300: a 5-minute retry comes after 1 s). */
  readonly timeScale: number;
  /** Names the functions may resolve, and where connections to them go. */
  readonly network: {
    readonly hosts: Readonly<Record<string, string>>;
    readonly redirects: Readonly<Record<string, string>>;
  };
  /** A PEM file of certificates the functions trust besides the usual ones (the test receivers'). */
  readonly extraCaFile?: string;
  /** Records every AWS call with what it is billed by (bench/cost.ts). */
  readonly meter?: RequestMeter;
}

const SCOPE = { region: 'us-east-1', account: '000000000000', partition: 'aws' } as const;

/** Policies AWS manages that the template's roles use: what they allow, for the IAM checks. */
const MANAGED_POLICIES: Readonly<Record<string, PolicyDocument>> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
  'arn:aws:iam::aws:policy/service-role/AWSLambdaVPCAccessExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: [
          'logs:CreateLogGroup',
          'logs:CreateLogStream',
          'logs:PutLogEvents',
          'ec2:CreateNetworkInterface',
          'ec2:DescribeNetworkInterfaces',
          'ec2:DescribeSubnets',
          'ec2:DeleteNetworkInterface',
          'ec2:AssignPrivateIpAddresses',
          'ec2:UnassignPrivateIpAddresses',
        ],
        Resource: '*',
      },
    ],
  },
};

/** A deterministic id of CloudFormation's style (`<stack>-<logicalId>-<suffix>`), within `maxLength`. */
function physicalName(logicalId: string, maxLength: number): string {
  const suffix = createHash('sha256').update(logicalId).digest('hex').slice(0, 12).toUpperCase();
  const head = `Hookpost-${logicalId}`.slice(0, maxLength - suffix.length - 1);
  return `${head}-${suffix}`;
}

function shortId(logicalId: string, length: number): string {
  return createHash('sha256').update(logicalId).digest('hex').slice(0, length);
}

function generatedPassword(settings: Properties): string {
  const letters = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
  const punctuation = settings.ExcludePunctuation === true ? '' : '!#$%&()*+,-./:;<=>?@[]^_`{|}~';
  const excluded = new Set(String(settings.ExcludeCharacters ?? ''));
  const alphabet = [...(letters + punctuation)].filter((character) => !excluded.has(character));
  const length = Number(settings.PasswordLength ?? 32);
  return [...randomBytes(length)].map((byte) => alphabet[byte % alphabet.length]).join('');
}

export class DeployedStack {
  private constructor(
    readonly template: TemplateJson,
    readonly resolver: TemplateResolver,
    readonly access: AccessControl,
    readonly refusals: NetworkRefusal[],
    readonly functions: Readonly<Partial<Record<FunctionName, EmulatedFunction>>>,
    readonly api: EmulatedRestApi,
    readonly sqs: SqsFront,
    readonly scheduler: SchedulerStub,
    readonly secrets: SecretsManagerStub,
    readonly pollers: readonly Poller[],
    /** DynamoDB with the harness's own credentials: outside the functions' access and the meter. */
    readonly dynamodb: DynamoDBClient,
    private readonly shutdown: () => Promise<void>,
  ) {}

  /** The stage URL, as the `ApiUrl` output gives it. */
  get apiUrl(): string {
    return this.api.url;
  }

  /** A value of the stack's outputs, resolved. */
  output(name: string): string {
    const output = this.template.Outputs?.[name];
    if (output === undefined) throw new Error(`The template has no output ${name}`);
    return String(this.resolver.resolve(output.Value));
  }

  stop(): Promise<void> {
    return this.shutdown();
  }

  static async deploy(options: DeployOptions): Promise<DeployedStack> {
    const template = JSON.parse(
      readFileSync(join(options.assemblyDir, `${options.stackName}.template.json`), 'utf8'),
    ) as TemplateJson;
    const resources = Object.entries(template.Resources);
    const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);
    const stops: (() => Promise<void>)[] = [];
    const stopAll = async () => {
      for (const stop of stops.reverse()) await stop().catch(() => {});
    };

    try {
      const engine: DynamoEngine = await startDynamoDbLocal({ sharedDb: true });
      stops.push(() => engine.close());
      const fauxqs = buildApp({ logger: false, defaultRegion: SCOPE.region });
      const fauxqsUrl = await fauxqs.listen({ port: 0, host: '127.0.0.1' });
      stops.push(async () => void (await fauxqs.close()));

      // Who is who: filled in below, read by the stand-ins on every call.
      const roles = new Map<string, RoleIdentity>();
      const resourcePolicies = new Map<string, PolicyDocument[]>();
      const access = new AccessControl(roles, resourcePolicies, SCOPE.region);
      const metering = options.meter === undefined ? {} : { meter: options.meter };
      const dynamoFront = await DynamoDbFront.start({
        upstream: engine.endpoint,
        access,
        scope: SCOPE,
        ...metering,
      });
      stops.push(() => dynamoFront.close());
      const sqsFront = await SqsFront.start({
        upstream: fauxqsUrl,
        access,
        scope: SCOPE,
        delayScale: options.timeScale,
        ...metering,
      });
      stops.push(() => sqsFront.close());
      const secrets = await SecretsManagerStub.start({ access });
      stops.push(() => secrets.close());

      const harnessCredentials = { accessKeyId: HARNESS_ACCESS_KEY, secretAccessKey: 'harness' };
      const clientSettings = (endpoint: string, accessKeyId = HARNESS_ACCESS_KEY) => ({
        endpoint,
        region: SCOPE.region,
        // The role's secret: the stand-ins check the signatures of calls made with a role's key.
        credentials: { accessKeyId, ...ROLE_CREDENTIALS },
      });
      const dynamodb = new DynamoDBClient({
        ...clientSettings(engine.endpoint),
        credentials: harnessCredentials,
      });
      const sqs = new SQSClient(clientSettings(sqsFront.url));
      stops.push(async () => {
        dynamodb.destroy();
        sqs.destroy();
      });

      // Physical ids, as CloudFormation would make them.
      const physical = new Map<string, { ref: string; attributes: Record<string, string> }>();
      const arn = (service: string, resource: string, region: string = SCOPE.region) =>
        `arn:${SCOPE.partition}:${service}:${region}:${SCOPE.account}:${resource}`;
      const apiId = shortId('RestApi', 10);
      for (const [id, resource] of resources) {
        const name = physicalName(id, 64);
        switch (resource.Type) {
          case 'AWS::DynamoDB::Table':
            physical.set(id, { ref: name, attributes: { Arn: arn('dynamodb', `table/${name}`) } });
            break;
          case 'AWS::SQS::Queue': {
            const queueName = physicalName(id, 80);
            const url = `${sqsFront.url}/${SCOPE.account}/${queueName}`;
            physical.set(id, {
              ref: url,
              attributes: { Arn: arn('sqs', queueName), QueueName: queueName, QueueUrl: url },
            });
            break;
          }
          case 'AWS::IAM::Role':
            physical.set(id, {
              ref: name,
              attributes: {
                Arn: `arn:aws:iam::${SCOPE.account}:role/${name}`,
                RoleId: `AROA${shortId(id, 16)}`,
              },
            });
            break;
          case 'AWS::Lambda::Function':
            physical.set(id, { ref: name, attributes: { Arn: arn('lambda', `function:${name}`) } });
            break;
          case 'AWS::SecretsManager::Secret': {
            const secretArn = arn('secretsmanager', `secret:${name}-${shortId(id, 6)}`);
            physical.set(id, { ref: secretArn, attributes: { Id: secretArn } });
            break;
          }
          case 'AWS::ApiGateway::RestApi':
            physical.set(id, { ref: apiId, attributes: { RootResourceId: shortId(`${id}/root`, 10) } });
            break;
          case 'AWS::KMS::Key':
            physical.set(id, {
              ref: shortId(id, 36),
              attributes: { Arn: arn('kms', `key/${shortId(id, 36)}`), KeyId: shortId(id, 36) },
            });
            break;
          case 'AWS::SNS::Topic':
            physical.set(id, {
              ref: arn('sns', name),
              attributes: { TopicArn: arn('sns', name), TopicName: name },
            });
            break;
          case 'AWS::Logs::LogGroup':
            physical.set(id, { ref: name, attributes: { Arn: arn('logs', `log-group:${name}:*`) } });
            break;
          case 'AWS::EC2::VPC':
            physical.set(id, {
              ref: `vpc-${shortId(id, 17)}`,
              attributes: {
                VpcId: `vpc-${shortId(id, 17)}`,
                CidrBlock: '10.0.0.0/16',
                DefaultSecurityGroup: `sg-${shortId(`${id}/default`, 17)}`,
                DefaultNetworkAcl: `acl-${shortId(`${id}/acl`, 17)}`,
              },
            });
            break;
          case 'AWS::EC2::SecurityGroup':
            physical.set(id, {
              ref: `sg-${shortId(id, 17)}`,
              attributes: { GroupId: `sg-${shortId(id, 17)}` },
            });
            break;
          case 'AWS::EC2::Subnet':
            physical.set(id, {
              ref: `subnet-${shortId(id, 17)}`,
              attributes: { SubnetId: `subnet-${shortId(id, 17)}` },
            });
            break;
          case 'AWS::EC2::EIP': {
            const octet = 10 + ofType('AWS::EC2::EIP').findIndex(([other]) => other === id);
            const ip = `198.51.100.${octet}`;
            physical.set(id, {
              ref: ip,
              attributes: { PublicIp: ip, AllocationId: `eipalloc-${shortId(id, 17)}` },
            });
            break;
          }
          default:
            physical.set(id, { ref: name, attributes: {} });
        }
      }
      // A stage answers `Ref` with its name.
      for (const [id, resource] of ofType('AWS::ApiGateway::Stage')) {
        physical.set(id, { ref: String(resource.Properties.StageName), attributes: {} });
      }
      // Schedule groups keep the name the template gives them.
      for (const [id, resource] of ofType('AWS::Scheduler::ScheduleGroup')) {
        const groupName = String(resource.Properties.Name);
        physical.set(id, {
          ref: groupName,
          attributes: { Arn: arn('scheduler', `schedule-group/${groupName}`) },
        });
      }
      const resolver = new TemplateResolver({
        template: template as never,
        pseudo: {
          region: SCOPE.region,
          accountId: SCOPE.account,
          partition: SCOPE.partition,
          stackName: options.stackName,
          urlSuffix: 'amazonaws.com',
          stackId: arn('cloudformation', `stack/${options.stackName}/${shortId('stack', 8)}`),
        },
        physical,
      });
      const resolved = (value: unknown) => resolver.resolve(value) as Properties;

      // Tables, from their definitions in the template; their streams' ARNs come from DynamoDB Local.
      for (const [id, resource] of ofType('AWS::DynamoDB::Table')) {
        const properties = resolved(resource.Properties);
        const entry = physical.get(id);
        if (entry === undefined) throw new Error(`No name for ${id}`);
        const input: CreateTableCommandInput = {
          TableName: entry.ref,
          KeySchema: properties.KeySchema,
          AttributeDefinitions: properties.AttributeDefinitions,
          BillingMode: properties.BillingMode,
          GlobalSecondaryIndexes: properties.GlobalSecondaryIndexes,
          ...(properties.StreamSpecification === undefined
            ? {}
            : {
                StreamSpecification: {
                  StreamEnabled: true,
                  StreamViewType: properties.StreamSpecification.StreamViewType,
                },
              }),
        };
        await dynamodb.send(new CreateTableCommand(input));
        const { Table } = await dynamodb.send(new DescribeTableCommand({ TableName: entry.ref }));
        if (Table?.LatestStreamArn !== undefined) entry.attributes.StreamArn = Table.LatestStreamArn;
      }

      // Queues, dead-letter queues first, created through the front so that their URLs point at it.
      const queues = ofType('AWS::SQS::Queue').sort(
        ([, a], [, b]) =>
          Number(a.Properties?.RedrivePolicy !== undefined) -
          Number(b.Properties?.RedrivePolicy !== undefined),
      );
      for (const [id, resource] of queues) {
        const properties = resolved(resource.Properties ?? {});
        const attributes: Record<string, string> = {};
        for (const key of [
          'VisibilityTimeout',
          'MessageRetentionPeriod',
          'DelaySeconds',
          'ReceiveMessageWaitTimeSeconds',
        ]) {
          if (properties[key] !== undefined) attributes[key] = String(properties[key]);
        }
        if (properties.RedrivePolicy !== undefined)
          attributes.RedrivePolicy = JSON.stringify(properties.RedrivePolicy);
        await sqs.send(
          new CreateQueueCommand({
            QueueName: physical.get(id)?.attributes.QueueName,
            Attributes: attributes,
          }),
        );
      }
      for (const [, resource] of ofType('AWS::SQS::QueuePolicy')) {
        const properties = resolved(resource.Properties);
        for (const queueUrl of properties.Queues as string[]) {
          const queueArn = sqsFront.queueArnOf(queueUrl, SCOPE);
          resourcePolicies.set(queueArn, [
            ...(resourcePolicies.get(queueArn) ?? []),
            properties.PolicyDocument,
          ]);
        }
      }

      // Secrets, with the value their generation settings describe.
      for (const [id, resource] of ofType('AWS::SecretsManager::Secret')) {
        const properties = resolved(resource.Properties ?? {});
        const secretArn = physical.get(id)?.ref ?? '';
        const value = properties.SecretString ?? generatedPassword(properties.GenerateSecretString ?? {});
        secrets.put(secretArn, properties.Name ?? secretArn.split(':').at(-1) ?? id, value);
      }

      // Roles: each caller's policies, by the access key its credentials carry (its logical id).
      for (const [id, resource] of ofType('AWS::IAM::Role')) {
        const properties = resolved(resource.Properties);
        const policies: PolicyDocument[] = [
          ...((properties.Policies ?? []) as { PolicyDocument: PolicyDocument }[]).map(
            (policy) => policy.PolicyDocument,
          ),
          ...((properties.ManagedPolicyArns ?? []) as string[]).map((policyArn) => {
            const managed = MANAGED_POLICIES[policyArn];
            if (managed === undefined)
              throw new Error(`The managed policy ${policyArn} of ${id} is not described here.`);
            return managed;
          }),
        ];
        for (const [, policy] of ofType('AWS::IAM::Policy')) {
          const roleRefs = (policy.Properties.Roles ?? []) as { Ref?: string }[];
          if (roleRefs.some((role) => role.Ref === id))
            policies.push(resolved(policy.Properties.PolicyDocument) as PolicyDocument);
        }
        roles.set(id, {
          logicalId: id,
          arn: physical.get(id)?.attributes.Arn ?? '',
          policies,
          trustPolicy: properties.AssumeRolePolicyDocument,
        });
      }

      const scheduler = await SchedulerStub.start({
        access,
        scope: SCOPE,
        groups: new Set(ofType('AWS::Scheduler::ScheduleGroup').map(([id]) => physical.get(id)?.ref ?? '')),
        delayScale: options.timeScale,
        sendToQueue: async (queueArn, body, roleArn) => {
          const role = access.roleByArn(roleArn);
          const queueUrl = [...physical.values()].find((entry) => entry.attributes.Arn === queueArn)
            ?.attributes.QueueUrl;
          if (role === undefined || queueUrl === undefined)
            throw new Error(`Cannot send to ${queueArn} as ${roleArn}`);
          const asRole = new SQSClient(clientSettings(sqsFront.url, role.logicalId));
          try {
            await asRole.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: body }));
          } finally {
            asRole.destroy();
          }
        },
      });
      stops.push(() => scheduler.close());

      // Functions, each from its asset, with the template's environment and its role's credentials.
      const refusals: NetworkRefusal[] = [];
      const host = {
        region: SCOPE.region,
        refusals,
        echoLogs: process.env.HOOKPOST_TEST_ECHO_LOGS === '1',
        harnessEnvironment: {
          AWS_ENDPOINT_URL_DYNAMODB: dynamoFront.url,
          AWS_ENDPOINT_URL_SQS: sqsFront.url,
          AWS_ENDPOINT_URL_SCHEDULER: scheduler.url,
          AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.url,
          // Nothing from the machine's own AWS configuration may reach the functions.
          AWS_CONFIG_FILE: '/nonexistent/hookpost-test/config',
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/hookpost-test/credentials',
          AWS_EC2_METADATA_DISABLED: 'true',
          HOOKPOST_TEST_NETWORK: JSON.stringify(options.network),
          ...(options.extraCaFile === undefined ? {} : { NODE_EXTRA_CA_CERTS: options.extraCaFile }),
        },
      };
      const byLogicalId = new Map<string, EmulatedFunction>();
      const byArn = new Map<string, EmulatedFunction>();
      const functions: Partial<Record<FunctionName, EmulatedFunction>> = {};
      for (const [entry, resource] of Object.entries(functionsByEntry(template)) as [
        FunctionName,
        TemplateResource & { logicalId: string },
      ][]) {
        // What Lambda needs to run the code; the VPC placement has no bearing offline.
        const { Handler, Runtime, Timeout, MemorySize, Environment, LoggingConfig } = resource.Properties;
        const properties = resolved({ Handler, Runtime, Timeout, MemorySize, Environment, LoggingConfig });
        const assetHash = String(resource.Properties.Code.S3Key).replace(/\.zip$/, '');
        const roleId = (resource.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
        const ids = physical.get(resource.logicalId);
        const fn = new EmulatedFunction(
          {
            logicalId: resource.logicalId,
            name: ids?.ref ?? resource.logicalId,
            arn: ids?.attributes.Arn ?? '',
            handler: properties.Handler,
            taskRoot: join(options.assemblyDir, `asset.${assetHash}`),
            runtime: properties.Runtime,
            timeoutSeconds: Number(properties.Timeout ?? 3),
            memorySize: Number(properties.MemorySize ?? 128),
            environment: properties.Environment?.Variables ?? {},
            accessKeyId: roleId,
            applicationLogLevel: String(properties.LoggingConfig?.ApplicationLogLevel ?? 'INFO'),
          },
          host,
        );
        functions[entry] = fn;
        byLogicalId.set(resource.logicalId, fn);
        byArn.set(fn.deployment.arn, fn);
        stops.push(() => fn.stop());
      }

      // Lambda's resource policies, from the permissions the template grants.
      const functionPolicies = new Map<string, PolicyDocument>();
      for (const [id, resource] of ofType('AWS::Lambda::Permission')) {
        const properties = resolved(resource.Properties);
        const functionArn = String(properties.FunctionName);
        const policy = functionPolicies.get(functionArn) ?? {
          Version: '2012-10-17',
          Id: 'default',
          Statement: [],
        };
        (policy.Statement as unknown[]).push({
          ...lambdaPermissionStatement(
            properties as Parameters<typeof lambdaPermissionStatement>[0],
            functionArn,
          ),
          Sid: id,
        });
        functionPolicies.set(functionArn, policy);
      }
      const invokeAsApiGateway = async (functionArn: string, event: unknown, sourceArn: string) => {
        const fn = byArn.get(functionArn);
        const policy = functionPolicies.get(functionArn);
        const allowed =
          fn !== undefined &&
          policy !== undefined &&
          evaluateResourcePolicy(policy, {
            principalService: 'apigateway.amazonaws.com',
            action: 'lambda:InvokeFunction',
            resource: functionArn,
            context: { 'aws:SourceArn': sourceArn, 'aws:SourceAccount': SCOPE.account },
          }).decision === 'allow';
        access.calls.push({
          caller: 'apigateway.amazonaws.com',
          action: 'lambda:InvokeFunction',
          resource: functionArn,
          allowed,
          ...(allowed ? {} : { reason: `no permission for ${sourceArn}` }),
        });
        if (!allowed || fn === undefined) return 'forbidden' as const;
        return fn.invoke(event);
      };

      const api = await EmulatedRestApi.start({
        apiId,
        stageName: String(resolved(ofType('AWS::ApiGateway::Stage')[0]?.[1].Properties).StageName),
        region: SCOPE.region,
        account: SCOPE.account,
        methods: restApiMethods(template, resolved, (id) => physical.get(id)?.ref ?? id),
        gatewayResponses: ofType('AWS::ApiGateway::GatewayResponse').map(
          ([, resource]): GatewayResponseSettings => {
            const properties = resolved(resource.Properties);
            return {
              type: properties.ResponseType,
              statusCode: properties.StatusCode,
              headers: Object.fromEntries(
                Object.entries((properties.ResponseParameters ?? {}) as Record<string, string>).map(
                  ([key, value]) => [key.replace('gatewayresponse.header.', ''), value.replace(/^'|'$/g, '')],
                ),
              ),
              template: properties.ResponseTemplates?.['application/json'],
            };
          },
        ),
        invoke: invokeAsApiGateway,
      });
      stops.push(() => api.close());

      // Event source mappings, polling with the function role's credentials.
      const pollers: Poller[] = [];
      for (const [, resource] of ofType('AWS::Lambda::EventSourceMapping')) {
        const properties = resolved(resource.Properties);
        const functionRef = resource.Properties.FunctionName as { Ref?: string };
        const fn = byLogicalId.get(functionRef.Ref ?? '');
        if (fn === undefined)
          throw new Error(`No emulated function for the mapping of ${JSON.stringify(functionRef)}`);
        const asRole = { endpointKey: fn.deployment.accessKeyId };
        const roleSqs = new SQSClient(clientSettings(sqsFront.url, asRole.endpointKey));
        const reportBatchItemFailures = ((properties.FunctionResponseTypes ?? []) as string[]).includes(
          'ReportBatchItemFailures',
        );
        const sourceArn = String(properties.EventSourceArn);
        if (sourceArn.startsWith('arn:aws:sqs:')) {
          const queueUrl =
            [...physical.values()].find((entry) => entry.attributes.Arn === sourceArn)?.attributes.QueueUrl ??
            '';
          pollers.push(
            new SqsPoller(fn, roleSqs, {
              queueUrl,
              queueArn: sourceArn,
              region: SCOPE.region,
              batchSize: Number(properties.BatchSize ?? 10),
              maximumConcurrency: Number(properties.ScalingConfig?.MaximumConcurrency ?? 1000),
              reportBatchItemFailures,
            }),
          );
        } else {
          const onFailureArn = properties.DestinationConfig?.OnFailure?.Destination as string | undefined;
          const onFailureUrl = [...physical.values()].find((entry) => entry.attributes.Arn === onFailureArn)
            ?.attributes.QueueUrl;
          pollers.push(
            new StreamPoller(
              fn,
              new DynamoDBStreamsClient(clientSettings(dynamoFront.url, asRole.endpointKey)),
              roleSqs,
              {
                streamArn: sourceArn,
                region: SCOPE.region,
                batchSize: Number(properties.BatchSize ?? 100),
                startingPosition: properties.StartingPosition,
                filters: ((properties.FilterCriteria?.Filters ?? []) as { Pattern: string }[]).map((filter) =>
                  JSON.parse(filter.Pattern),
                ),
                reportBatchItemFailures,
                maximumRetryAttempts: Number(properties.MaximumRetryAttempts ?? 10_000),
                ...(onFailureUrl === undefined ? {} : { onFailure: { queueUrl: onFailureUrl } }),
              },
            ),
          );
        }
      }
      for (const poller of pollers) {
        await poller.start();
        stops.push(() => poller.stop());
      }

      return new DeployedStack(
        template,
        resolver,
        access,
        refusals,
        functions,
        api,
        sqsFront,
        scheduler,
        secrets,
        pollers,
        dynamodb,
        stopAll,
      );
    } catch (error) {
      await stopAll();
      throw error;
    }
  }
}

/** The REST API's methods, with their full paths, authorizers, body models and target functions. */
function restApiMethods(
  template: TemplateJson,
  resolved: (value: unknown) => Properties,
  physicalId: (logicalId: string) => string,
): MethodSettings[] {
  const resources = template.Resources;
  const pathOf = (reference: Properties): string => {
    if (reference['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
    const resource = resources[reference.Ref as string];
    if (resource?.Type !== 'AWS::ApiGateway::Resource')
      throw new Error(`No API resource ${JSON.stringify(reference)}`);
    return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
  };
  const functionArnOf = (uri: unknown) => {
    const text = String(resolved(uri));
    const match = /functions\/(.+)\/invocations$/.exec(text);
    if (match?.[1] === undefined) throw new Error(`Not a Lambda integration: ${text}`);
    return match[1];
  };
  return Object.values(resources)
    .filter((resource) => resource.Type === 'AWS::ApiGateway::Method')
    .map((resource) => {
      const method = resource.Properties;
      const authorizerId = method.AuthorizerId?.Ref as string | undefined;
      const authorizer = authorizerId === undefined ? undefined : resources[authorizerId];
      const modelRef = method.RequestModels?.['application/json']?.Ref as string | undefined;
      const validator =
        method.RequestValidatorId?.Ref === undefined ? undefined : resources[method.RequestValidatorId.Ref];
      const validatesBody = validator?.Properties.ValidateRequestBody === true;
      return {
        httpMethod: method.HttpMethod,
        resourcePath: pathOf(method.ResourceId) || '/',
        authorizer:
          method.AuthorizationType === 'CUSTOM' && authorizer !== undefined
            ? {
                id: physicalId(authorizerId ?? ''),
                identityHeader: String(authorizer.Properties.IdentitySource).replace(
                  'method.request.header.',
                  '',
                ),
                validationExpression: authorizer.Properties.IdentityValidationExpression,
                resultTtlSeconds: Number(authorizer.Properties.AuthorizerResultTtlInSeconds ?? 300),
                functionArn: functionArnOf(authorizer.Properties.AuthorizerUri),
              }
            : undefined,
        jsonBodyModel:
          validatesBody && modelRef !== undefined
            ? (resources[modelRef]?.Properties.Schema as Record<string, unknown>)
            : undefined,
        functionArn: functionArnOf(method.Integration.Uri),
      };
    });
}
