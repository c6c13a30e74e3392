import { describe, expect, it } from 'vitest';
import {
  evaluate,
  evaluateResourcePolicy,
  lambdaPermissionStatement,
  type PolicyDocument,
} from '../../support/deployed/iam';

/** The deployed tier's IAM evaluator: if it allowed too much, the tier's "0 denials" would mean nothing. */

const policy = (...Statement: PolicyDocument['Statement'][]): PolicyDocument => ({
  Version: '2012-10-17',
  Statement: Statement.flat() as PolicyDocument['Statement'],
});
const QUEUE = 'arn:aws:sqs:us-east-1:123456789012:queue-a';

describe('identity policies', () => {
  it.each([
    [
      'an exact action and resource',
      { Effect: 'Allow', Action: 'sqs:SendMessage', Resource: QUEUE },
      'sqs:SendMessage',
      QUEUE,
      'allow',
    ],
    [
      'an action wildcard',
      { Effect: 'Allow', Action: 'sqs:Send*', Resource: QUEUE },
      'sqs:SendMessage',
      QUEUE,
      'allow',
    ],
    [
      'a wildcard that does not cover the action',
      { Effect: 'Allow', Action: 's3:Get*', Resource: '*' },
      's3:PutObject',
      'arn:aws:s3:::b/k',
      'implicit-deny',
    ],
    [
      'actions in another case',
      { Effect: 'Allow', Action: 'SQS:sendmessage', Resource: QUEUE },
      'sqs:SendMessage',
      QUEUE,
      'allow',
    ],
    [
      'a resource wildcard across ARN segments',
      { Effect: 'Allow', Action: 'sqs:*', Resource: 'arn:aws:sqs:*:*:queue-*' },
      'sqs:ReceiveMessage',
      QUEUE,
      'allow',
    ],
    [
      'resources in another case',
      { Effect: 'Allow', Action: 'sqs:*', Resource: QUEUE.toUpperCase() },
      'sqs:SendMessage',
      QUEUE,
      'implicit-deny',
    ],
    [
      'another resource',
      { Effect: 'Allow', Action: 'sqs:*', Resource: `${QUEUE}-dlq` },
      'sqs:SendMessage',
      QUEUE,
      'implicit-deny',
    ],
    [
      'NotAction',
      { Effect: 'Allow', NotAction: 'sqs:Delete*', Resource: '*' },
      'sqs:DeleteMessage',
      QUEUE,
      'implicit-deny',
    ],
  ] as const)('%s', (_, statement, action, resource, decision) => {
    expect(evaluate([policy(statement as never)], { action, resource }).decision).toBe(decision);
  });

  it('lets an explicit Deny win over an Allow, also through NotResource', () => {
    const document = policy(
      { Effect: 'Allow', Action: 'sqs:*', Resource: '*' } as never,
      { Effect: 'Deny', Action: 'sqs:*', NotResource: 'arn:aws:sqs:*:*:allowed' } as never,
    );
    expect(evaluate([document], { action: 'sqs:SendMessage', resource: QUEUE }).decision).toBe(
      'explicit-deny',
    );
    expect(
      evaluate([document], { action: 'sqs:SendMessage', resource: 'arn:aws:sqs:x:1:allowed' }).decision,
    ).toBe('allow');
  });

  it.each([
    [
      { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      { 'iam:PassedToService': 'scheduler.amazonaws.com' },
      'allow',
    ],
    [
      { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
      'implicit-deny',
    ],
    [{ StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }, {}, 'implicit-deny'],
    [{ StringEqualsIfExists: { 'iam:PassedToService': 'scheduler.amazonaws.com' } }, {}, 'allow'],
    [
      { ArnLike: { 'aws:SourceArn': 'arn:aws:execute-api:*:1:api/*' } },
      { 'AWS:SourceArn': 'arn:aws:execute-api:us-east-1:1:api/prod/GET/v1' },
      'allow',
    ],
    [
      { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
      { 'aws:MultiFactorAuthAge': '10' },
      'implicit-deny',
    ],
  ] as const)('applies the condition %j to %j: %s', (condition, context, decision) => {
    const document = policy({
      Effect: 'Allow',
      Action: 'iam:PassRole',
      Resource: '*',
      Condition: condition,
    } as never);
    expect(
      evaluate([document], { action: 'iam:PassRole', resource: 'arn:aws:iam::1:role/r', context }).decision,
    ).toBe(decision);
  });

  it('applies a Deny whose condition it cannot read, rather than let the request through', () => {
    const document = policy(
      { Effect: 'Allow', Action: '*', Resource: '*' } as never,
      {
        Effect: 'Deny',
        Action: '*',
        Resource: '*',
        Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } },
      } as never,
    );
    const evaluation = evaluate([document], { action: 'sqs:SendMessage', resource: QUEUE });
    expect(evaluation.decision).toBe('explicit-deny');
    expect(evaluation.warnings).toEqual(['condition operator DateGreaterThan is not evaluated']);
  });

  it('leaves a TLS-only Deny out for a request over TLS', () => {
    const document = policy(
      { Effect: 'Allow', Action: 'sqs:*', Resource: '*' } as never,
      {
        Effect: 'Deny',
        Action: 'sqs:*',
        Resource: '*',
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      } as never,
    );
    const request = { action: 'sqs:SendMessage', resource: QUEUE };
    expect(evaluate([document], { ...request, context: { 'aws:SecureTransport': 'true' } }).decision).toBe(
      'allow',
    );
    expect(evaluate([document], { ...request, context: { 'aws:SecureTransport': 'false' } }).decision).toBe(
      'explicit-deny',
    );
  });
});

describe('resource policies', () => {
  const keyPolicy = policy({
    Effect: 'Allow',
    Principal: { Service: 'cloudwatch.amazonaws.com' },
    Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
    Resource: '*',
  } as never);

  it('admits only the principal it names', () => {
    const request = { action: 'kms:GenerateDataKey', resource: 'arn:aws:kms:us-east-1:1:key/k' };
    expect(
      evaluateResourcePolicy(keyPolicy, { ...request, principalService: 'cloudwatch.amazonaws.com' })
        .decision,
    ).toBe('allow');
    expect(
      evaluateResourcePolicy(keyPolicy, { ...request, principalService: 'sns.amazonaws.com' }).decision,
    ).toBe('implicit-deny');
    expect(
      evaluateResourcePolicy(keyPolicy, { ...request, principalArn: 'arn:aws:iam::1:role/r' }).decision,
    ).toBe('implicit-deny');
  });

  it('turns a Lambda permission into the statement Lambda keeps, scoped by source ARN', () => {
    const functionArn = 'arn:aws:lambda:us-east-1:1:function:f';
    const statement = lambdaPermissionStatement(
      {
        Action: 'lambda:InvokeFunction',
        Principal: 'apigateway.amazonaws.com',
        SourceArn: 'arn:aws:execute-api:us-east-1:1:api/*/*/*',
      },
      functionArn,
    );
    expect(statement).toEqual({
      Effect: 'Allow',
      Principal: { Service: 'apigateway.amazonaws.com' },
      Action: 'lambda:InvokeFunction',
      Resource: functionArn,
      Condition: { ArnLike: { 'AWS:SourceArn': 'arn:aws:execute-api:us-east-1:1:api/*/*/*' } },
    });
    const request = {
      action: 'lambda:InvokeFunction',
      resource: functionArn,
      principalService: 'apigateway.amazonaws.com',
    };
    const document = policy(statement as never);
    expect(
      evaluateResourcePolicy(document, {
        ...request,
        context: { 'aws:SourceArn': 'arn:aws:execute-api:us-east-1:1:api/prod/GET/v1/apps' },
      }).decision,
    ).toBe('allow');
    expect(
      evaluateResourcePolicy(document, {
        ...request,
        context: { 'aws:SourceArn': 'arn:aws:execute-api:us-east-1:1:other/prod/GET/' },
      }).decision,
    ).toBe('implicit-deny');
  });
});
