import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { DYNAMODB } from '../../lambdas/adapters/aws/json-protocol/aws-json-client';
import type { FunctionName } from '../../lambdas/contract/settings';
import { BUNDLE_BUDGET_BYTES } from '../../lib/hookpost-function';
import { TemplateResolver } from '../support/deployed/cloudformation';
import {
  evaluateResourcePolicy,
  lambdaPermissionStatement,
  type PolicyDocument,
} from '../support/deployed/iam';
import { functionsByEntry, type Properties, type TemplateJson } from '../support/template';

/**
 * Limits that `cdk deploy` (CloudFormation, Lambda, CloudWatch) would enforce on the
 * synthesized template, checked before anyone deploys it.
 */

const assemblyDir = inject('assemblyDir');
const stackName = inject('stackName');
const template = JSON.parse(
  readFileSync(join(assemblyDir, `${stackName}.template.json`), 'utf8'),
) as TemplateJson;
const resources = Object.entries(template.Resources);
const ofType = (type: string) => resources.filter(([, resource]) => resource.Type === type);

/** Long real-world values, so that sizes are measured at their worst. */
const REGION = 'ap-southeast-2';
const ACCOUNT = '123456789012';
const resolver = new TemplateResolver({
  template: template as never,
  pseudo: {
    region: REGION,
    accountId: ACCOUNT,
    partition: 'aws',
    stackName,
    stackId: `arn:aws:cloudformation:${REGION}:${ACCOUNT}:stack/${stackName}/0f5a3c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b`,
    urlSuffix: 'amazonaws.com',
  },
  physical: new Map(
    resources.map(([id, resource]) => {
      // Lambda function names go up to 64 characters; API Gateway ids are 10.
      const name = `${stackName}-${id}`.padEnd(64, 'X').slice(0, 64);
      const arnOf: Record<string, string> = {
        'AWS::Lambda::Function': `arn:aws:lambda:${REGION}:${ACCOUNT}:function:${name}`,
        'AWS::KMS::Key': `arn:aws:kms:${REGION}:${ACCOUNT}:key/0f5a3c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b`,
      };
      const ref =
        resource.Type === 'AWS::ApiGateway::RestApi'
          ? 'a1b2c3d4e5'
          : resource.Type === 'AWS::SNS::Topic'
            ? `arn:aws:sns:${REGION}:${ACCOUNT}:${name}`
            : name;
      return [
        id,
        { ref, attributes: { Arn: arnOf[resource.Type] ?? `arn:aws:${id}`, RootResourceId: 'r00tr3s0ur' } },
      ];
    }),
  ),
});
const resolved = (value: unknown) => resolver.resolve(value) as Properties;

describe('deploy-time limits', () => {
  const LAMBDA_POLICY_LIMIT_BYTES = 20 * 1024;

  it.each(Object.entries(functionsByEntry(template)) as [FunctionName, { logicalId: string }][])(
    "keeps the %s function's resource policy under Lambda's 20 KB",
    (_entry, fn) => {
      const functionArn = String(resolved({ 'Fn::GetAtt': [fn.logicalId, 'Arn'] }));
      const statements = ofType('AWS::Lambda::Permission')
        .map(([id, permission]) => ({ id, properties: resolved(permission.Properties) }))
        .filter(({ properties }) => properties.FunctionName === functionArn)
        .map(({ id, properties }) => ({
          Sid: `${id}${'X'.repeat(40)}`,
          ...lambdaPermissionStatement(
            properties as Parameters<typeof lambdaPermissionStatement>[0],
            functionArn,
          ),
        }));
      const policy = JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: statements });
      expect(policy.length).toBeLessThan(LAMBDA_POLICY_LIMIT_BYTES);
    },
  );

  it('keeps every resource that outlives the stack without a fixed name, so a later deploy never collides with it', () => {
    const NAME_PROPERTIES = [
      'Name',
      'TableName',
      'QueueName',
      'GroupName',
      'LogGroupName',
      'RoleName',
      'FunctionName',
      'TopicName',
      'BucketName',
      'AliasName',
      'ScheduleGroupName',
      'SecretName',
    ];
    const retainedWithNames = resources
      .filter(([, resource]) => ['Retain', 'RetainExceptOnCreate'].includes(resource.DeletionPolicy ?? ''))
      .flatMap(([id, resource]) =>
        NAME_PROPERTIES.filter((property) => typeof resource.Properties?.[property] === 'string').map(
          (property) => `${id}.${property} = ${resource.Properties[property]}`,
        ),
      );
    expect(retainedWithNames).toEqual([]);
    // The check sees what it looks for: the tables are retained.
    expect(resources.filter(([, resource]) => resource.DeletionPolicy === 'Retain').length).toBeGreaterThan(
      0,
    );
  });

  it('lets CloudWatch publish every alarm to its topic, through the topic’s key and policy', () => {
    const alarms = ofType('AWS::CloudWatch::Alarm');
    expect(alarms.length).toBeGreaterThan(0);
    for (const [alarmId, alarm] of alarms) {
      const alarmArn = `arn:aws:cloudwatch:${REGION}:${ACCOUNT}:alarm:${alarmId}`;
      const context = {
        'aws:SourceAccount': ACCOUNT,
        'aws:SourceArn': alarmArn,
        'aws:SecureTransport': 'true',
      };
      for (const action of alarm.Properties.AlarmActions as { Ref: string }[]) {
        const topic = template.Resources[action.Ref];
        expect(topic?.Type).toBe('AWS::SNS::Topic');
        const keyReference = topic?.Properties.KmsMasterKeyId as Properties | string | undefined;
        // An AWS-managed key's policy cannot be changed to admit CloudWatch.
        expect(typeof keyReference === 'string' && keyReference.startsWith('alias/aws/')).toBe(false);
        const keyId =
          typeof keyReference === 'object'
            ? (keyReference['Fn::GetAtt']?.[0] ?? keyReference.Ref)
            : undefined;
        const key = keyId === undefined ? undefined : template.Resources[keyId];
        expect(key?.Type).toBe('AWS::KMS::Key');
        const keyPolicy = resolved(key?.Properties.KeyPolicy) as PolicyDocument;
        for (const kmsAction of ['kms:GenerateDataKey', 'kms:Decrypt']) {
          const decision = evaluateResourcePolicy(keyPolicy, {
            principalService: 'cloudwatch.amazonaws.com',
            action: kmsAction,
            resource: 'arn:aws:kms:key',
            context,
          });
          expect([alarmId, kmsAction, decision.decision]).toEqual([alarmId, kmsAction, 'allow']);
        }
        for (const [, topicPolicy] of ofType('AWS::SNS::TopicPolicy').filter(([, policy]) =>
          JSON.stringify(policy.Properties.Topics).includes(`"${action.Ref}"`),
        )) {
          const decision = evaluateResourcePolicy(
            resolved(topicPolicy.Properties.PolicyDocument) as PolicyDocument,
            {
              principalService: 'cloudwatch.amazonaws.com',
              action: 'sns:Publish',
              resource: String(resolved({ Ref: action.Ref })),
              context,
            },
          );
          expect([alarmId, decision.decision]).toEqual([alarmId, 'allow']);
        }
      }
    }
  });
});

describe('bundles', () => {
  const bundleOf = (entry: FunctionName) => {
    const fn = functionsByEntry(template)[entry];
    const asset = String(fn?.Properties.Code.S3Key).replace(/\.zip$/, '');
    return readFileSync(join(assemblyDir, `asset.${asset}`, 'index.mjs'), 'utf8');
  };
  // What the clients put on the wire survives minification: an operation, a target, a path.
  const CLIENTS = { SQS: 'SendMessageBatch', Scheduler: '/schedules/', DynamoDB: DYNAMODB.targetPrefix };

  it('leaves the SQS and Scheduler clients out of the authorizer, which reads a secret and key records', () => {
    const authorizer = bundleOf('authorizer');
    for (const client of ['SQS', 'Scheduler'] as const)
      expect([client, authorizer.includes(CLIENTS[client])]).toEqual([client, false]);
    expect(authorizer).toContain('GetSecretValue');
    expect(authorizer).toContain(CLIENTS.DynamoDB);
  });

  it('would see those clients where they are used', () => {
    const delivery = bundleOf('delivery');
    for (const [client, operation] of Object.entries(CLIENTS))
      expect([client, delivery.includes(operation)]).toEqual([client, true]);
  });

  it('keeps every bundle within its budget', () => {
    for (const entry of Object.keys(BUNDLE_BUDGET_BYTES) as FunctionName[]) {
      const bytes = Buffer.byteLength(bundleOf(entry));
      expect({ entry, withinBudget: bytes <= BUNDLE_BUDGET_BYTES[entry], bytes }).toMatchObject({
        entry,
        withinBudget: true,
      });
    }
  });

  it("carries none of the SDK's clients, and takes its credentials from the environment alone", () => {
    // The SDK's user agent names it; its credential chain's other providers name their settings.
    for (const entry of Object.keys(BUNDLE_BUDGET_BYTES) as FunctionName[]) {
      const bundle = bundleOf(entry);
      expect([
        entry,
        bundle.includes('aws-sdk-js'),
        bundle.includes('AWS_SESSION_TOKEN'),
        bundle.includes('AWS_WEB_IDENTITY_TOKEN_FILE'),
      ]).toEqual([entry, false, true, false]);
    }
  });

  it('leaves the queue and scheduler clients out of the API function', () => {
    const api = bundleOf('api');
    expect(api.includes(CLIENTS.SQS) || api.includes(CLIENTS.Scheduler)).toBe(false);
  });
});
