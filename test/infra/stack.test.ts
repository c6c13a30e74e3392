import { App, Duration, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { settingsFromContext } from '../../bin/settings';
import { TABLE_DEFINITIONS } from '../../lambdas/adapters/aws/dynamo/tables';
import { apiRoutes } from '../../lambdas/handlers/http/routes';
import type { Services } from '../../lambdas/services';
import { API_ROUTES } from '../../lib/api';
import { HookpostStack, type HookpostStackProps } from '../../lib/hookpost-stack';

/** Bundling is skipped here (it is slow and `npm run synth` does it for real). */
function synth(props: HookpostStackProps = {}, context: Record<string, unknown> = {}) {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new HookpostStack(app, 'Hookpost', {
    ...props,
    service: { ...settingsFromContext(app.node), ...props.service },
  });
  return { app, stack, template: Template.fromStack(stack) };
}

const { template } = synth();
// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are read field by field
type Properties = Record<string, any>;
const resourcesOf = (type: string) =>
  Object.values(template.findResources(type)) as { Properties: Properties }[];

describe('egress network', () => {
  it('has one NAT gateway with an Elastic IP per egress AZ, 2 by default', () => {
    template.resourceCountIs('AWS::EC2::NatGateway', 2);
    template.resourceCountIs('AWS::EC2::EIP', 2);
  });

  it.each([1, 3])('takes %i egress AZs from context', (count) => {
    const { template: custom } = synth({}, { 'hookpost:egressAzCount': String(count) });
    custom.resourceCountIs('AWS::EC2::NatGateway', count);
    custom.resourceCountIs('AWS::EC2::EIP', count);
  });

  it('uses brought Elastic IPs instead of making new ones, and looks up their addresses', () => {
    const { template: custom } = synth({ service: { eipAllocationIds: ['eipalloc-0a', 'eipalloc-0b'] } });
    custom.resourceCountIs('AWS::EC2::EIP', 0);
    for (const id of ['eipalloc-0a', 'eipalloc-0b']) {
      custom.hasResourceProperties('AWS::EC2::NatGateway', { AllocationId: id });
    }
    custom.hasResourceProperties('Custom::AWS', { Create: Match.stringLikeRegexp('describeAddresses') });
  });

  it('refuses a number of allocation ids that does not match the AZs', () => {
    expect(() => synth({ service: { egressAzCount: 3, eipAllocationIds: ['eipalloc-0a'] } })).toThrow(
      /3 EIP allocation ids/,
    );
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
  const functions = resourcesOf('AWS::Lambda::Function').filter(
    (fn) => fn.Properties.Handler === 'index.handler',
  );

  it('runs four functions on a current Node.js runtime on arm64, each with its own log group', () => {
    expect(functions).toHaveLength(4);
    for (const fn of functions) {
      expect(fn.Properties.Runtime).toBe('nodejs24.x');
      expect(fn.Properties.Architectures).toEqual(['arm64']);
      expect(fn.Properties.LoggingConfig).toMatchObject({
        LogGroup: { Ref: expect.any(String) },
        LogFormat: 'JSON',
      });
    }
    for (const group of resourcesOf('AWS::Logs::LogGroup')) expect(group.Properties.RetentionInDays).toBe(30);
  });

  it('puts the delivery function alone in the VPC', () => {
    const inVpc = functions.filter((fn) => fn.Properties.VpcConfig !== undefined);
    expect(inVpc.map((fn) => fn.Properties.Description)).toEqual([
      expect.stringContaining('fixed egress IPs'),
    ]);
  });

  it('gives every function the settings it reads', () => {
    for (const fn of functions) {
      expect(Object.keys(fn.Properties.Environment.Variables)).toEqual(
        expect.arrayContaining([
          'HOOKPOST_CATALOG_TABLE',
          'HOOKPOST_MESSAGES_TABLE',
          'HOOKPOST_DELIVERIES_TABLE',
          'HOOKPOST_DELIVERY_QUEUE_URL',
          'HOOKPOST_SCHEDULE_GROUP',
          'HOOKPOST_SCHEDULER_ROLE_ARN',
          'HOOKPOST_ADMIN_KEY_SECRET_ARN',
          'HOOKPOST_RETRY_LADDER',
        ]),
      );
    }
  });

  it('passes the retry ladder and timeout through', () => {
    const { template: custom } = synth(
      {},
      { 'hookpost:retryLadderSeconds': '10,600', 'hookpost:attemptTimeoutSeconds': '15' },
    );
    custom.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          HOOKPOST_RETRY_LADDER: '10,600',
          HOOKPOST_ATTEMPT_TIMEOUT_MS: '15000',
        }),
      },
    });
  });
});

describe('storage', () => {
  const tables = resourcesOf('AWS::DynamoDB::Table');

  it('keeps three on-demand tables with recovery, encryption and TTL', () => {
    expect(tables).toHaveLength(3);
    for (const table of tables) {
      expect(table.Properties).toMatchObject({
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        SSESpecification: { SSEEnabled: true },
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      });
    }
  });

  it('streams new messages', () => {
    template.hasResourceProperties('AWS::DynamoDB::Table', {
      StreamSpecification: { StreamViewType: 'NEW_IMAGE' },
    });
  });

  it('declares the keys and indexes the stores use (lambdas/adapters/aws/dynamo/tables.ts)', () => {
    const deployed = tables.map((table) => ({
      keys: table.Properties.KeySchema,
      indexes: (table.Properties.GlobalSecondaryIndexes ?? []).map((index: Properties) => [
        index.IndexName,
        index.KeySchema,
      ]),
    }));
    for (const name of ['catalog', 'messages', 'deliveries'] as const) {
      const definition = TABLE_DEFINITIONS[name];
      // pendingStream is local mode's stand-in for the stream; AWS has the stream itself.
      const indexes = (definition.GlobalSecondaryIndexes ?? [])
        .filter((index) => index.IndexName !== 'pendingStream')
        .map((index) => [index.IndexName, index.KeySchema]);
      expect(deployed).toContainEqual({ keys: definition.KeySchema, indexes });
    }
  });
});

describe('delivery pipeline', () => {
  it('consumes the delivery queue in batches with partial failures and capped concurrency', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('DeliveryQueue'), 'Arn'] },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      ScalingConfig: { MaximumConcurrency: 50 },
    });
  });

  it('fans out from the stream: new messages only, partial failures, a dead-letter queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.stringLikeRegexp('Messages'), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: Match.stringLikeRegexp('INSERT.*message') }] },
      DestinationConfig: { OnFailure: { Destination: Match.anyValue() } },
    });
  });

  it('keeps the delivery queue encrypted, TLS-only, with a dead-letter queue and a long enough visibility', () => {
    const queues = resourcesOf('AWS::SQS::Queue');
    expect(queues).toHaveLength(4);
    for (const queue of queues) expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
    const delivery = queues.find((queue) => queue.Properties.RedrivePolicy !== undefined);
    const deliveryFunction = resourcesOf('AWS::Lambda::Function').find(
      (fn) => fn.Properties.VpcConfig !== undefined,
    );
    expect(delivery?.Properties.RedrivePolicy.maxReceiveCount).toBe(5);
    expect(delivery?.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(
      6 * deliveryFunction?.Properties.Timeout,
    );
    expect(deliveryFunction?.Properties.Timeout).toBeGreaterThan(30);
    const policies = resourcesOf('AWS::SQS::QueuePolicy');
    expect(policies).toHaveLength(4);
    for (const policy of policies) {
      expect(policy.Properties.PolicyDocument.Statement).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
  });

  it('has a schedule group and a role that may only send to the delivery queue and its own dead-letter queue', () => {
    template.resourceCountIs('AWS::Scheduler::ScheduleGroup', 1);
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
    const statements = schedulerPolicy?.Properties.PolicyDocument.Statement as {
      Action: unknown;
      Resource: unknown;
    }[];
    expect(statements).toEqual([
      expect.objectContaining({
        Action: 'sqs:SendMessage',
        Resource: [
          { 'Fn::GetAtt': [expect.stringMatching(/DeliveryQueue/), 'Arn'] },
          { 'Fn::GetAtt': [expect.stringMatching(/SchedulerDeadLetterQueue/), 'Arn'] },
        ],
      }),
    ]);
  });

  it('lets the delivery function create schedules in its group and pass the scheduler role', () => {
    const policies = JSON.stringify(
      resourcesOf('AWS::IAM::Policy').map((policy) => policy.Properties.PolicyDocument),
    );
    expect(policies).toContain('scheduler:CreateSchedule');
    expect(policies).toContain('iam:PassRole');
  });
});

describe('REST API', () => {
  it('routes every SPEC route, each behind the authorizer unless public', () => {
    const methods = resourcesOf('AWS::ApiGateway::Method');
    expect(methods).toHaveLength(API_ROUTES.length);
    const custom = methods.filter((method) => method.Properties.AuthorizationType === 'CUSTOM');
    expect(custom).toHaveLength(API_ROUTES.filter((route) => !route.public).length);
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'TOKEN',
      IdentitySource: 'method.request.header.Authorization',
    });
  });

  it('deploys every route the API function answers, with the same access', () => {
    const deployed = new Map(
      API_ROUTES.map((route) => [`${route.method} ${route.path}`, route.public === true]),
    );
    for (const route of apiRoutes({} as Services)) {
      expect(deployed.get(`${route.method} ${route.path}`)).toBe(route.access === 'public');
    }
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
      ResponseTemplates: { 'application/json': Match.stringLikeRegexp('"code":"not_found"') },
    });
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
    });
  });
});

describe('observability', () => {
  it('has a dashboard, alarms on what needs a human, and an encrypted alarm topic', () => {
    template.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
    const alarms = resourcesOf('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThanOrEqual(4);
    const descriptions = alarms.map((alarm) => alarm.Properties.AlarmDescription).join('\n');
    for (const concern of ['DeliveryDlq', 'waited too long', 'function failed', 'server errors']) {
      expect(descriptions).toContain(concern);
    }
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.resourceCountIs('AWS::SNS::Subscription', 0);
  });

  it('mails alarms when an address is given', () => {
    const { template: custom } = synth({}, { 'hookpost:alarmEmail': 'ops@example.com' });
    custom.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
    });
  });

  it('turns delivery log lines into metrics', () => {
    for (const metricName of [
      'DeliveriesSucceeded',
      'AttemptsFailed',
      'RetriesScheduled',
      'MessagesExhausted',
      'AttemptLatency',
    ]) {
      template.hasResourceProperties('AWS::Logs::MetricFilter', {
        MetricTransformations: [Match.objectLike({ MetricName: metricName, MetricNamespace: 'Hookpost' })],
      });
    }
  });
});

describe('outputs and settings', () => {
  it('outputs the API URL, egress IPs, admin key secret and dashboard name', () => {
    for (const output of ['ApiUrl', 'EgressIps', 'AdminKeySecretArn', 'DashboardName']) {
      template.hasOutput(output, Match.anyValue());
    }
  });

  it.each([
    [{ 'hookpost:egressAzCount': 'two' }, /whole number/],
    [{ 'hookpost:logLevel': 'loud' }, /logLevel/],
    [{ 'hookpost:retryLadderSeconds': '5,soon' }, /whole seconds/],
  ])('refuses bad context %j', (context, message) => {
    expect(() => synth({}, context)).toThrow(message);
  });

  it('refuses an attempt timeout Lambda could not carry', () => {
    expect(() => synth({ service: { attemptTimeout: Duration.minutes(10) } })).toThrow(/attemptTimeout/);
  });
});

describe('cdk-nag', () => {
  it('reports no unacknowledged AwsSolutions finding', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    new HookpostStack(app, 'Hookpost');
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('would report a finding nobody acknowledged', () => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new HookpostStack(app, 'Hookpost');
    // A queue without encryption, TLS enforcement or a dead-letter queue, which the checks must catch.
    new sqs.Queue(stack, 'Careless', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS/);
  });
});
