import { App, Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { createHookpostApp } from '../../bin/app';
import { AUTHORIZER_CACHE_SECONDS } from '../../lambdas/contract/auth';
import { METRIC_DIMENSIONS, METRICS } from '../../lambdas/contract/metrics';
import {
  DELIVERY_BATCH_SIZE,
  DELIVERY_QUEUE_MAX_RECEIVE_COUNT,
  FAN_OUT_BATCH_SIZE,
} from '../../lambdas/contract/queues';
import { ROUTE_IDS, ROUTES } from '../../lambdas/contract/routes';
import { FUNCTION_NAMES, SETTINGS, settingNamesOf } from '../../lambdas/contract/settings';
import { FAN_OUT_STREAM_FILTER, TABLES } from '../../lambdas/contract/tables';
import { Router } from '../../lambdas/handlers/http/router';
import { apiRoutes } from '../../lambdas/handlers/http/routes';
import type { ApiServices } from '../../lambdas/services';
import { HookpostStack } from '../../lib/hookpost-stack';
import { cdkJsonContext } from '../support/cdk-context';
import { deployedRoutes, functionsByEntry, type Properties, type TemplateJson } from '../support/template';

/**
 * The synthesized template, built by the same app the CDK CLI runs (cdk-nag included, so
 * an unacknowledged finding fails the synth). Bundling is skipped here; `npm run synth`
 * and the deployed tier bundle for real.
 */
function synth(context: Record<string, unknown> = {}) {
  const { app, stack } = createHookpostApp({
    context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context },
  });
  return { app, stack, template: Template.fromStack(stack) };
}

const { template } = synth();
const resourcesOf = (type: string, from: Template = template) =>
  Object.values(from.findResources(type)) as { Properties: Properties }[];
const functions = functionsByEntry(template.toJSON() as TemplateJson);

describe('egress network', () => {
  it('has one NAT gateway with an Elastic IP per egress AZ, 2 by default', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.resourceCountIs('AWS::EC2::EIP', 2);
  });

  it.each([1, 3])('takes %i egress AZs from context', (count) => {
    const { template: custom } = synth({ 'hookpost:egressAzCount': String(count) });
    custom.resourceCountIs('AWS::EC2::NatGateway', count);
    custom.resourceCountIs('AWS::EC2::EIP', count);
  });

  it('uses brought Elastic IPs instead of making new ones, and looks up their addresses', () => {
    const { template: custom } = synth({ 'hookpost:eipAllocationIds': 'eipalloc-0a,eipalloc-0b' });
    custom.resourceCountIs('AWS::EC2::EIP', 0);
    for (const id of ['eipalloc-0a', 'eipalloc-0b']) {
      custom.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: id });
    }
    custom.hasResourceProperties('Custom::AWS', { Create: Match.stringLikeRegexp('describeAddresses') });
  });

  it('refuses a number of allocation ids that does not match the AZs', () => {
    expect(() =>
      synth({ 'hookpost:egressAzCount': '3', 'hookpost:eipAllocationIds': 'eipalloc-0a' }),
    ).toThrow(/3 EIP allocation ids/);
  });

  describe('when the account and region are known', () => {
    const account = '123456789012';
    const region = 'us-west-1';
    const inRegionWithTwoZones = (egressAzCount: number) => {
      const app = new App({
        context: {
          'aws:cdk:bundling-stacks': [],
          [`availability-zones:account=${account}:region=${region}`]: ['us-west-1a', 'us-west-1c'],
        },
      });
      return new HookpostStack(app, 'Hookpost', { env: { account, region }, service: { egressAzCount } });
    };

    it('uses the zones the region has', () => {
      const stack = inRegionWithTwoZones(2);
      Template.fromStack(stack).hasResourceProperties('AWS::EC2::Subnet', { AvailabilityZone: 'us-west-1c' });
    });

    it('says at synth that the region cannot offer more egress AZs than it has', () => {
      expect(() => inRegionWithTwoZones(3)).toThrow(/us-west-1 offers 2 availability zones.*egressAzCount/);
    });
  });

  it('takes zones from Fn::GetAZs when the region is only known at deploy time', () => {
    const { template: custom } = synth({ 'hookpost:egressAzCount': '3' });
    custom.hasResourceProperties('AWS::EC2::Subnet', {
      AvailabilityZone: { 'Fn::Select': [2, { 'Fn::GetAZs': '' }] },
    });
  });

  it('reaches DynamoDB through a gateway endpoint, not the NAT gateways', () => {
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Gateway',
      ServiceName: { 'Fn::Join': ['', ['com.amazonaws.', { Ref: 'AWS::Region' }, '.dynamodb']] },
    });
  });

  it('logs every flow', () => {
    template.hasResourceProperties('AWS::EC2::FlowLog', { TrafficType: 'ALL', ResourceType: 'VPC' });
  });
});

describe('functions', () => {
  it('runs the four functions of the contract on a current Node.js runtime on arm64, each with its own log group', () => {
    expect(Object.keys(functions).sort()).toEqual([...FUNCTION_NAMES].sort());
    for (const fn of Object.values(functions)) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig).toMatchObject({
        LogGroup: { Ref: expect.any(String) },
        LogFormat: 'JSON',
        // Lambda's START and REPORT records are INFO: not written.
        SystemLogLevel: 'WARN',
        // Never above INFO, where Lambda puts the metrics documents, which carry no level.
        ApplicationLogLevel: 'INFO',
      });
    }
    for (const group of resourcesOf('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it.each([
    ['debug', 'DEBUG'],
    ['warn', 'INFO'],
  ])(
    'lets Lambda pass the lines the log level %s writes (filter %s), and the metrics documents',
    (level, filter) => {
      const { template: custom } = synth({ 'hookpost:logLevel': level });
      const byEntry = functionsByEntry(custom.toJSON() as TemplateJson);
      for (const entry of ['api', 'fanOut', 'delivery'] as const) {
        expect(byEntry[entry]?.Properties.LoggingConfig.ApplicationLogLevel).toBe(filter);
        expect(byEntry[entry]?.Properties.Environment.Variables[SETTINGS.logLevel.env]).toBe(level);
      }
    },
  );

  it('puts the delivery function alone in the VPC', () => {
    const inVpc = Object.entries(functions).filter(([, fn]) => fn.Properties.VpcConfig !== undefined);
    expect(inVpc.map(([entry]) => entry)).toEqual(['delivery']);
  });

  it.each(FUNCTION_NAMES)('gives the %s function exactly the settings the contract lists for it', (entry) => {
    const variables = Object.keys(functions[entry]?.Properties.Environment.Variables ?? {});
    expect(variables.sort()).toEqual(
      settingNamesOf(entry)
        .map((name) => SETTINGS[name].env)
        .sort(),
    );
  });

  it('passes the retry ladder and timeout to the delivery function', () => {
    const { template: custom } = synth({
      'hookpost:retryLadderSeconds': '10,600',
      'hookpost:attemptTimeoutSeconds': '15',
    });
    expect(
      functionsByEntry(custom.toJSON() as TemplateJson).delivery?.Properties.Environment.Variables,
    ).toMatchObject({
      [SETTINGS.retryLadderSeconds.env]: '10,600',
      [SETTINGS.attemptTimeoutMs.env]: '15000',
    });
  });

  it("hands the API function the NAT gateways' Elastic IPs for GET /v1/egress-ips", () => {
    const addresses = Object.keys(template.findResources('AWS::EC2::EIP')).map((id) => ({
      'Fn::GetAtt': [id, 'PublicIp'],
    }));
    // The addresses separated by commas: CDK writes the join of tokens as one Fn::Join with ''.
    const commaSeparated = addresses.flatMap((address, index) => (index === 0 ? [address] : [',', address]));
    expect(functions.api?.Properties.Environment.Variables[SETTINGS.egressIps.env]).toEqual({
      'Fn::Join': ['', commaSeparated],
    });
  });

  it('lets the authorizer read its secret and single catalog items, and nothing else', () => {
    const authorizerRole = functions.authorizer?.Properties.Role['Fn::GetAtt'][0];
    const statements = resourcesOf('AWS::IAM::Policy')
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(authorizerRole))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement);
    const actions = statements.flatMap((statement: Properties) => [statement.Action].flat());
    expect(actions.sort()).toEqual([
      'dynamodb:GetItem',
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('lets the delivery function get and put single messages, and nothing else on their table', () => {
    const resources = (template.toJSON() as TemplateJson).Resources;
    const [messagesTable] = Object.entries(resources).filter(
      ([, resource]) =>
        resource.Type === 'AWS::DynamoDB::Table' && resource.Properties?.StreamSpecification !== undefined,
    );
    const deliveryRole = functions.delivery?.Properties.Role['Fn::GetAtt'][0];
    const actions = resourcesOf('AWS::IAM::Policy')
      .filter((policy) => JSON.stringify(policy.Properties.Roles).includes(deliveryRole))
      .flatMap((policy) => policy.Properties.PolicyDocument.Statement)
      .filter((statement: Properties) =>
        JSON.stringify(statement.Resource).includes(`"${messagesTable?.[0]}"`),
      )
      .flatMap((statement: Properties) => [statement.Action].flat());
    expect(actions.sort()).toEqual(['dynamodb:GetItem', 'dynamodb:PutItem']);
  });
});

describe('storage', () => {
  const tables = resourcesOf('AWS::DynamoDB::Table');

  it('keeps the three tables of the contract, on demand, with recovery, encryption and TTL', () => {
    expect(tables).toHaveLength(Object.keys(TABLES).length);
    for (const table of tables) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    }
  });

  it('declares the keys, indexes and stream of lambdas/contract/tables.ts', () => {
    const deployed = tables.map((table) => ({
      keys: table.Properties.KeySchema.map((key: Properties) => key.AttributeName),
      indexes: (table.Properties.GlobalSecondaryIndexes ?? []).map((index: Properties) => [
        index.IndexName,
        index.KeySchema.map((key: Properties) => key.AttributeName),
      ]),
      stream: table.Properties.StreamSpecification?.StreamViewType,
    }));
    for (const definition of Object.values(TABLES)) {
      expect(deployed).toContainEqual({
        keys: [definition.partitionKey, definition.sortKey],
        indexes: Object.entries(definition.indexes).map(([name, index]) => [
          name,
          [index.partitionKey, index.sortKey],
        ]),
        stream: 'stream' in definition ? definition.stream : undefined,
      });
    }
  });
});

describe('delivery pipeline', () => {
  it('consumes the delivery queue in batches with partial failures and capped concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeliveryQueue'), 'Arn'] },
      BatchSize: DELIVERY_BATCH_SIZE,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 50 },
    });
  });

  it('fans out from the stream with the filter of the contract, partial failures, a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Messages'), 'StreamArn'] },
      BatchSize: FAN_OUT_BATCH_SIZE,
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify(FAN_OUT_STREAM_FILTER) }] },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('keeps the queues encrypted and TLS-only, the delivery queue with a dead-letter queue and a long enough visibility', () => {
    const queues = resourcesOf('AWS::SQS::Queue');
    expect(queues).toHaveLength(4);
    for (const queue of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const delivery = queues.find((queue) => queue.Properties.RedrivePolicy !== undefined);
    expect(delivery?.Properties.RedrivePolicy.maxReceiveCount).toBe(DELIVERY_QUEUE_MAX_RECEIVE_COUNT);
    expect(delivery?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * (functions.delivery?.Properties.Timeout ?? Number.POSITIVE_INFINITY),
    );
    expect(functions.delivery?.Properties.Timeout).toBeGreaterThan(30);
    const policies = resourcesOf('AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(4);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('outputs the delivery dead-letter queue that README "Dead letters" redrives, the one the delivery queue dead-letters to', () => {
    const [deliveryQueue] = Object.values(template.findResources('AWS::SQS::Queue')).filter(
      (queue) => (queue as { Properties: Properties }).Properties.RedrivePolicy !== undefined,
    ) as { Properties: Properties }[];
    const target = deliveryQueue?.Properties.RedrivePolicy.deadLetterTargetArn;
    const outputs = template.toJSON().Outputs as Record<string, { Value: unknown }>;
    expect(outputs.DeliveryDeadLetterQueueArn?.Value).toEqual(target);
    expect(outputs.DeliveryDeadLetterQueueUrl?.Value).toEqual({ Ref: target['Fn::GetAtt'][0] });
  });

  it('has a schedule group that goes with the stack, and a role that may only send to the delivery queue and its own dead-letter queue', () => {
    template.hasResource('AWS::Scheduler::ScheduleGroup', { DeletionPolicy: 'Delete' });
    template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
    const schedulerPolicy = resourcesOf('AWS::IAM::Policy').find((policy) =>
      JSON.stringify(policy.Properties.Roles).includes('SchedulerRole'),
    );
    expect(schedulerPolicy?.Properties.PolicyDocument.Statement).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/DeliveryQueue/), 'Arn'] },
          { 'Fn::GetAtt': [expect.stringMatching(/SchedulerDeadLetterQueue/), 'Arn'] },
        ],
      }),
    ]);
  });
});

describe('REST API', () => {
  it('deploys exactly the routes of the contract, each behind the authorizer unless public', () => {
    const deployed = deployedRoutes(template.toJSON() as TemplateJson);
    expect(deployed.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      ROUTE_IDS.map((id) => `${ROUTES[id].method} ${ROUTES[id].path}`).sort(),
    );
    for (const route of deployed) {
      const declared = ROUTE_IDS.map((id) => ROUTES[id]).find(
        (candidate) => candidate.method === route.method && candidate.path === route.path,
      );
      expect(route.authorizationType).toBe(declared?.access === 'public' ? 'NONE' : 'CUSTOM');
      expect(route.validatesJsonObjectBody).toBe(declared?.body === 'required');
    }
  });

  it('sends API Gateway exactly the routes the API function serves, and each to the route of its path', () => {
    const router = new Router(apiRoutes({} as ApiServices));
    const deployed = deployedRoutes(template.toJSON() as TemplateJson).filter(
      (route) => route.integrationFunctionId === functions.api?.logicalId,
    );
    expect(deployed.map((route) => `${route.method} ${route.path}`).sort()).toEqual(
      apiRoutes({} as ApiServices)
        .map((route) => `${route.method} ${route.path}`)
        .sort(),
    );
    for (const route of deployed) {
      const concretePath = route.path.replace(/\{(\w+)\}/g, (_, name: string) => `${name}-1`);
      expect(router.match(route.method, concretePath).route.path).toBe(route.path);
    }
  });

  it('gives API Gateway one permission on the API function for the whole API, not one per method', () => {
    const permissions = resourcesOf('AWS::Lambda::Permission').filter(
      (permission) => permission.Properties.FunctionName['Fn::GetAtt']?.[0] === functions.api?.logicalId,
    );
    expect(permissions).toHaveLength(1);
    expect(JSON.stringify(permissions[0]?.Properties.SourceArn)).toContain('/*/*/*');
  });

  it('keeps an authorizer decision for at most the contract’s seconds', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: AUTHORIZER_CACHE_SECONDS,
    });
  });

  it('leaves the account-wide API Gateway logging role alone unless told to set it, and then keeps it', () => {
    template.resourceCountIs('AWS::ApiGateway::Account', 0);
    const { template: custom } = synth({ 'hookpost:apiGatewayCloudWatchRole': 'true' });
    custom.resourceCountIs('AWS::ApiGateway::Account', 1);
    custom.hasResource('AWS::IAM::Role', {
      DeletionPolicy: 'Retain',
      Properties: Match.objectLike({
        AssumeRolePolicyDocument: Match.objectLike({
          Statement: [Match.objectLike({ Principal: { Service: 'apigateway.amazonaws.com' } })],
        }),
      }),
    });
  });

  it('validates bodies, throttles the stage and writes access logs', () => {
    template.hasResourceProperties('AWS::ApiGateway::RequestValidator', {
      ValidateRequestBody: true,
      ValidateRequestParameters: true,
    });
    template.hasResourceProperties('AWS::ApiGateway::Stage', {
      AccessLogSetting: { DestinationArn: Match.anyValue(), Format: Match.anyValue() },
      MethodSettings: [
        Match.objectLike({ ThrottlingRateLimit: 100, ThrottlingBurstLimit: 200, DataTraceEnabled: false }),
      ],
    });
  });

  it('answers its own errors in the Hookpost error envelope', () => {
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'MISSING_AUTHENTICATION_TOKEN',
      StatusCode: '404',
      ResponseTemplates: {
        'application/json': Match.stringLikeRegexp('"code":"not_found".*"details":null'),
      },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
    });
  });
});

describe('names', () => {
  it('names the API, the metric namespace and the alarms after the stack', () => {
    const { template: custom } = synth({ 'hookpost:stackName': 'HookpostStaging' });
    custom.hasResourceProperties('AWS::ApiGateway::RestApi', { Name: 'HookpostStaging' });
    expect(
      functionsByEntry(custom.toJSON() as TemplateJson).delivery?.Properties.Environment.Variables,
    ).toMatchObject({
      [SETTINGS.metricNamespace.env]: 'Hookpost/HookpostStaging',
    });
    custom.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: '5XXError',
      Dimensions: [{ Name: 'ApiName', Value: 'HookpostStaging' }],
    });
  });
});

describe('observability', () => {
  it('has a dashboard, alarms on what needs a human, and an alarm topic encrypted with a key of its own', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const alarms = resourcesOf('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    const descriptions = alarms.map((alarm) => alarm.Properties.AlarmDescription).join('\n');
    for (const concern of ['DeliveryDlq', 'waited too long', 'function failed', 'server errors']) {
      expect(descriptions).toContain(concern);
    }
    template.hasResourceProperties('AWS::SNS::Topic', {
      KmsMasterKeyId: { 'Fn::GetAtt': [Match.stringLikeRegexp('AlarmTopicKey'), 'Arn'] },
    });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('mails alarms when an address is given', () => {
    const { template: custom } = synth({ 'hookpost:alarmEmail': 'ops@example.com' });
    custom.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('graphs the metrics the functions emit, and reads none out of log lines', () => {
    template.resourceCountIs('AWS::Logs::MetricFilter', 0);
    const body = JSON.stringify(resourcesOf('AWS::CloudWatch::Dashboard')[0]?.Properties.DashboardBody);
    // Each with the dimension Powertools gives it, or CloudWatch would find no data.
    const [[dimension, value]] = Object.entries(METRIC_DIMENSIONS) as [[string, string]];
    for (const metric of Object.values(METRICS)) {
      expect(body).toContain(
        `\\"Hookpost/Hookpost\\",\\"${metric.name}\\",\\"${dimension}\\",\\"${value}\\"`,
      );
    }
  });
});

describe('settings', () => {
  // Every documented setting synthesizes with a clean cdk-nag report (the app registers the checks).
  it.each([
    [{}],
    [{ 'hookpost:eipAllocationIds': 'eipalloc-0a,eipalloc-0b' }],
    [{ 'hookpost:egressAzCount': '1' }],
    [{ 'hookpost:egressAzCount': '3' }],
    [{ 'hookpost:egressAzCount': '3', 'hookpost:eipAllocationIds': 'eipalloc-0a,eipalloc-0b,eipalloc-0c' }],
    [{ 'hookpost:retryLadderSeconds': '10,60,900,3600' }],
    [{ 'hookpost:attemptTimeoutSeconds': '10', 'hookpost:retentionDays': '7' }],
    [{ 'hookpost:alarmEmail': 'ops@example.com' }],
    [{ 'hookpost:logLevel': 'debug', 'hookpost:requireKnownEventTypes': 'false' }],
    [{ 'hookpost:maxDeliveryConcurrency': '10' }],
    [{ 'hookpost:apiGatewayCloudWatchRole': 'true' }],
    [{ 'hookpost:stackName': 'HookpostStaging' }],
  ])('synthesizes %j with no unacknowledged cdk-nag finding', (context) => {
    const { app } = createHookpostApp({
      context: { ...cdkJsonContext(), 'aws:cdk:bundling-stacks': [], ...context },
    });
    expect(() => app.synth()).not.toThrow();
  });

  it.each([
    [{ 'hookpost:egressAzCount': 'two' }, /whole number/],
    [{ 'hookpost:logLevel': 'loud' }, /logLevel/],
    [{ 'hookpost:retryLadderSeconds': '5,soon' }, /whole seconds/],
    [{ 'hookpost:retryLadderSeconds': '86400', 'hookpost:retentionDays': '1' }, /retention/],
    [{ 'hookpost:requireKnownEventTypes': 'yes' }, /true or false/],
    [{ 'hookpost:stackName': '1st' }, /stack name/],
    [{ 'hookpost:attemptTimeoutSeconds': '600' }, /attemptTimeout/],
    [{ 'hookpost:autoDisableAfterDays': '0' }, /autoDisableAfter must be 1 to 365 days, not 0/],
    [{ 'hookpost:autoDisableAfterDays': '400' }, /autoDisableAfter must be 1 to 365 days/],
    [{ 'hookpost:retentionDays': '0' }, /retention must be 1 to/],
    [{ 'hookpost:maxDeliveryConcurrency': '0' }, /maxDeliveryConcurrency must be 2 to 1000 batches, not 0/],
  ])('refuses bad context %j', (context, message) => {
    expect(() => synth(context)).toThrow(message);
  });

  it('refuses an attempt timeout Lambda could not carry', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    expect(
      () => new HookpostStack(app, 'Hookpost', { service: { attemptTimeout: Duration.minutes(10) } }),
    ).toThrow(/attemptTimeout/);
  });
});

describe('cdk-nag', () => {
  it('would report a finding nobody acknowledged', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HookpostStack(app, 'Hookpost');
    // A queue without encryption, TLS enforcement or a dead-letter queue, which the checks must catch.
    new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });
});
