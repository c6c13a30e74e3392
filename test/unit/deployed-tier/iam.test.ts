import { describe, expect, it } from 'vitest';
import {
  actionMatches,
  type Decision,
  evaluate,
  evaluateResourcePolicy,
  type IamRequest,
  type LambdaPermissionProperties,
  lambdaPermissionStatement,
  type PolicyDocument,
  type PolicyStatement,
  type ResourcePolicyRequest,
  resourceMatches,
} from '../../support/deployed/iam';

/**
 * The deployed tier's IAM evaluator decides whether each AWS call a function makes is
 * allowed by its role: if it allowed too much, the tier's "no denials" would mean nothing;
 * if it misread a statement it did not understand, a test would pass on it.
 */

const ACCOUNT = '123456789012';
const QUEUE = `arn:aws:sqs:us-east-1:${ACCOUNT}:queue-a`;
const ROLE = `arn:aws:iam::${ACCOUNT}:role/HookpostApiHandlerRole`;
const FUNCTION_ARN = `arn:aws:lambda:us-east-1:${ACCOUNT}:function:Hookpost-Api-ABCDEF123456`;

const policy = (...Statement: PolicyStatement[]): PolicyDocument => ({ Version: '2012-10-17', Statement });
const allow = (statement: Omit<PolicyStatement, 'Effect'>): PolicyStatement => ({
  Effect: 'Allow',
  ...statement,
});
const deny = (statement: Omit<PolicyStatement, 'Effect'>): PolicyStatement => ({
  Effect: 'Deny',
  ...statement,
});

describe('action and resource patterns', () => {
  it.each([
    ['s3:Get*', 's3:GetObject', true],
    ['s3:Get*', 's3:PutObject', false],
    ['s3:Get*', 's3:GetObjectAcl', true],
    ['sqs:SendMessage', 'sqs:SendMessageBatch', false],
    ['sqs:Send', 'sqs:SendMessage', false],
    ['SQS:sendmessage', 'sqs:SendMessage', true],
    ['sqs:SEND*', 'sqs:SendMessage', true],
    ['sqs:?endMessage', 'sqs:SendMessage', true],
    ['sqs:?endMessage', 'sqs:XSendMessage', false],
    ['sqs:*', 'sns:Publish', false],
    ['*', 'kms:Decrypt', true],
    ['dynamodb:*Item', 'dynamodb:BatchWriteItem', true],
    ['s3:Get.bject', 's3:GetObject', false],
  ])('action pattern %s covers %s: %s', (pattern, action, expected) => {
    expect(actionMatches(pattern, action)).toBe(expected);
  });

  it.each([
    ['arn:aws:sqs:*:*:queue-*', 'arn:aws:sqs:us-east-1:1:queue-a', true],
    ['arn:aws:sqs:*:*:queue-*', 'arn:aws:sns:us-east-1:1:queue-a', false],
    ['arn:aws:s3:::bucket*', 'arn:aws:s3:::bucket/a/b:c', true],
    ['arn:aws:s3:::bucket/*', 'arn:aws:s3:::bucket', false],
    ['arn:aws:dynamodb:*:*:table/t', 'arn:aws:dynamodb:us-east-1:1:table/t/index/i', false],
    ['arn:aws:dynamodb:*:*:table/t/index/*', 'arn:aws:dynamodb:us-east-1:1:table/t/index/i', true],
    ['arn:aws:sqs:us-east-1:1:queue-?', 'arn:aws:sqs:us-east-1:1:queue-a', true],
    ['arn:aws:sqs:us-east-1:1:queue-?', 'arn:aws:sqs:us-east-1:1:queue-ab', false],
    ['arn:aws:sqs:us-east-1:1:Queue-a', 'arn:aws:sqs:us-east-1:1:queue-a', false],
    ['arn:aws:s3:::b.c', 'arn:aws:s3:::bxc', false],
    ['arn:aws:s3:::a+b', 'arn:aws:s3:::a+b', true],
    ['*', 'arn:aws:kms:us-east-1:1:key/k', true],
  ])('resource pattern %s covers %s: %s', (pattern, resource, expected) => {
    expect(resourceMatches(pattern, resource)).toBe(expected);
  });
});

describe('identity policies', () => {
  it.each<[string, PolicyStatement[], IamRequest, Decision]>([
    [
      'an exact action and resource',
      [allow({ Action: 'sqs:SendMessage', Resource: QUEUE })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'allow',
    ],
    [
      'an action list, one of which covers the action',
      [allow({ Action: ['sqs:ReceiveMessage', 'sqs:SendMessage'], Resource: QUEUE })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'allow',
    ],
    [
      'a wildcard that does not cover the action',
      [allow({ Action: 's3:Get*', Resource: '*' })],
      { action: 's3:PutObject', resource: 'arn:aws:s3:::b/k' },
      'implicit-deny',
    ],
    [
      'a resource list, one of which covers the resource',
      [
        allow({
          Action: 'dynamodb:Query',
          Resource: ['arn:aws:dynamodb:*:*:table/t', 'arn:aws:dynamodb:*:*:table/t/index/*'],
        }),
      ],
      { action: 'dynamodb:Query', resource: 'arn:aws:dynamodb:us-east-1:1:table/t/index/byApp' },
      'allow',
    ],
    [
      'another resource',
      [allow({ Action: 'sqs:*', Resource: `${QUEUE}-dlq` })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'implicit-deny',
    ],
    [
      'NotAction that leaves the action out',
      [allow({ NotAction: 'iam:*', Resource: '*' })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'allow',
    ],
    [
      'NotAction that covers the action',
      [allow({ NotAction: ['iam:*', 'sqs:Delete*'], Resource: '*' })],
      { action: 'sqs:DeleteMessage', resource: QUEUE },
      'implicit-deny',
    ],
    [
      'NotResource that leaves the resource out',
      [allow({ Action: 'sqs:*', NotResource: `${QUEUE}-dlq` })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'allow',
    ],
    [
      'NotResource that covers the resource',
      [allow({ Action: 'sqs:*', NotResource: 'arn:aws:sqs:*:*:queue-*' })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'implicit-deny',
    ],
    [
      'a Principal, which identity policies ignore',
      [allow({ Principal: { Service: 'other.amazonaws.com' }, Action: 'sqs:*', Resource: '*' })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'allow',
    ],
    [
      'an explicit Deny beside an Allow',
      [allow({ Action: 'sqs:*', Resource: '*' }), deny({ Action: 'sqs:SendMessage', Resource: QUEUE })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'explicit-deny',
    ],
    [
      'an explicit Deny before an Allow',
      [deny({ Action: 'sqs:*', Resource: '*' }), allow({ Action: 'sqs:*', Resource: '*' })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'explicit-deny',
    ],
    [
      'a Deny with NotResource that leaves the resource out',
      [
        allow({ Action: 'sqs:*', Resource: '*' }),
        deny({ Action: 'sqs:*', NotResource: 'arn:aws:sqs:*:*:allowed' }),
      ],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'explicit-deny',
    ],
    [
      'a Deny with NotResource that covers the resource',
      [
        allow({ Action: 'sqs:*', Resource: '*' }),
        deny({ Action: 'sqs:*', NotResource: 'arn:aws:sqs:*:*:queue-*' }),
      ],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'allow',
    ],
    [
      'a Deny with NotAction that leaves the action out',
      [allow({ Action: '*', Resource: '*' }), deny({ NotAction: 'sqs:Receive*', Resource: '*' })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'explicit-deny',
    ],
    [
      'a Deny of other actions',
      [allow({ Action: 'sqs:*', Resource: '*' }), deny({ Action: 'sqs:Delete*', Resource: '*' })],
      { action: 'sqs:SendMessage', resource: QUEUE },
      'allow',
    ],
    ['no statement at all', [], { action: 'sqs:SendMessage', resource: QUEUE }, 'implicit-deny'],
  ])('%s', (_, statements, request, decision) => {
    expect(evaluate([policy(...statements)], request).decision).toBe(decision);
  });

  it('reads a Statement written as one object, and an Allow in any of several policies', () => {
    const single: PolicyDocument = {
      Version: '2012-10-17',
      Statement: allow({ Action: 'sqs:*', Resource: QUEUE }),
    };
    const unrelated = policy(allow({ Action: 'sns:Publish', Resource: '*' }));

    const evaluation = evaluate([unrelated, single], { action: 'sqs:SendMessage', resource: QUEUE });

    expect(evaluation).toEqual({ decision: 'allow', matchedBy: '1.0', warnings: [] });
  });

  it('lets a Deny in one policy win over an Allow in another', () => {
    const policies = [
      policy(allow({ Sid: 'Everything', Action: '*', Resource: '*' })),
      policy(deny({ Sid: 'NoDeletes', Action: 'sqs:DeleteQueue', Resource: '*' })),
    ];

    expect(evaluate(policies, { action: 'sqs:DeleteQueue', resource: QUEUE })).toEqual({
      decision: 'explicit-deny',
      matchedBy: 'NoDeletes',
      warnings: [],
    });
    expect(evaluate(policies, { action: 'sqs:SendMessage', resource: QUEUE }).matchedBy).toBe('Everything');
  });

  it.each<[string, PolicyStatement, string]>([
    ['without Resource', allow({ Action: 'sqs:*' }), 'statement 0.0 of an identity policy has no Resource'],
    [
      'with both Action and NotAction',
      allow({ Action: 'sqs:*', NotAction: 'iam:*', Resource: '*' }),
      'statement 0.0 needs exactly one of Action and NotAction',
    ],
    ['without Action', allow({ Resource: '*' }), 'statement 0.0 needs exactly one of Action and NotAction'],
    [
      'with both Resource and NotResource',
      allow({ Action: 'sqs:*', Resource: '*', NotResource: 'x' }),
      'statement 0.0 has both Resource and NotResource',
    ],
    [
      'with an Effect that is neither Allow nor Deny',
      { Effect: 'allow' as 'Allow', Action: 'sqs:*', Resource: '*' },
      'statement 0.0 has an Effect that is neither Allow nor Deny',
    ],
  ])('does not allow through a statement %s, and says so', (_, statement, warning) => {
    const evaluation = evaluate([policy(statement)], { action: 'sqs:SendMessage', resource: QUEUE });

    expect(evaluation).toEqual({ decision: 'implicit-deny', warnings: [warning] });
  });

  it('applies a Deny it cannot fully read', () => {
    const document = policy(allow({ Action: '*', Resource: '*' }), deny({ Sid: 'Odd', Action: 'sqs:*' }));

    const evaluation = evaluate([document], { action: 'sqs:SendMessage', resource: QUEUE });

    expect(evaluation).toEqual({
      decision: 'explicit-deny',
      matchedBy: 'Odd',
      warnings: ['statement Odd of an identity policy has no Resource'],
    });
  });
});

describe('conditions', () => {
  const SOURCE_ARN = 'arn:aws:execute-api:us-east-1:123456789012:api1/prod/GET/v1/apps';

  it.each<[string, PolicyStatement['Condition'], IamRequest['context'], boolean]>([
    [
      'StringEquals, equal',
      { StringEquals: { 'aws:PrincipalTag/team': 'a' } },
      { 'aws:PrincipalTag/team': 'a' },
      true,
    ],
    [
      'StringEquals, different',
      { StringEquals: { 'aws:PrincipalTag/team': 'a' } },
      { 'aws:PrincipalTag/team': 'b' },
      false,
    ],
    [
      'StringEquals, in another case',
      { StringEquals: { 'aws:PrincipalTag/team': 'a' } },
      { 'aws:PrincipalTag/team': 'A' },
      false,
    ],
    ['StringEquals, key missing', { StringEquals: { 'aws:PrincipalTag/team': 'a' } }, {}, false],
    [
      'StringEquals, no wildcards',
      { StringEquals: { 'aws:PrincipalTag/team': 'a*' } },
      { 'aws:PrincipalTag/team': 'ab' },
      false,
    ],
    [
      'StringEquals, one of several values',
      { StringEquals: { 'aws:PrincipalTag/team': ['a', 'b'] } },
      { 'aws:PrincipalTag/team': 'b' },
      true,
    ],
    [
      'StringEquals, key in another case',
      { StringEquals: { 'AWS:SourceAccount': ACCOUNT } },
      { 'aws:sourceaccount': ACCOUNT },
      true,
    ],
    [
      'StringEquals, a number written as one',
      { StringEquals: { 'aws:SourceAccount': 123456789012 } },
      { 'aws:SourceAccount': ACCOUNT },
      true,
    ],
    [
      'StringNotEquals, equal',
      { StringNotEquals: { 'aws:SourceAccount': ACCOUNT } },
      { 'aws:SourceAccount': ACCOUNT },
      false,
    ],
    [
      'StringNotEquals, different',
      { StringNotEquals: { 'aws:SourceAccount': ACCOUNT } },
      { 'aws:SourceAccount': '1' },
      true,
    ],
    ['StringNotEquals, key missing', { StringNotEquals: { 'aws:SourceAccount': ACCOUNT } }, {}, true],
    [
      'StringEqualsIgnoreCase',
      { StringEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Ops' } },
      { 'aws:PrincipalTag/team': 'oPS' },
      true,
    ],
    [
      'StringNotEqualsIgnoreCase',
      { StringNotEqualsIgnoreCase: { 'aws:PrincipalTag/team': 'Ops' } },
      { 'aws:PrincipalTag/team': 'oPS' },
      false,
    ],
    [
      'StringLike, matching',
      { StringLike: { 's3:prefix': 'home/*' } },
      { 's3:prefix': 'home/alice/x' },
      true,
    ],
    [
      'StringLike, not matching',
      { StringLike: { 's3:prefix': 'home/*' } },
      { 's3:prefix': 'etc/passwd' },
      false,
    ],
    [
      'StringLike, case-sensitive',
      { StringLike: { 's3:prefix': 'home/*' } },
      { 's3:prefix': 'HOME/alice' },
      false,
    ],
    [
      'StringNotLike, matching',
      { StringNotLike: { 's3:prefix': 'home/*' } },
      { 's3:prefix': 'home/alice' },
      false,
    ],
    [
      'StringNotLike, not matching',
      { StringNotLike: { 's3:prefix': 'home/*' } },
      { 's3:prefix': 'etc' },
      true,
    ],
    ['StringNotLike, key missing', { StringNotLike: { 's3:prefix': 'home/*' } }, {}, true],
    [
      'ArnEquals, equal',
      { ArnEquals: { 'aws:SourceArn': SOURCE_ARN } },
      { 'aws:SourceArn': SOURCE_ARN },
      true,
    ],
    [
      'ArnEquals, different',
      { ArnEquals: { 'aws:SourceArn': SOURCE_ARN } },
      { 'aws:SourceArn': `${SOURCE_ARN}/x` },
      false,
    ],
    [
      'ArnLike, a wildcard per part',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:execute-api:*:123456789012:api1/*' } },
      { 'aws:SourceArn': SOURCE_ARN },
      true,
    ],
    [
      'ArnLike, another API',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:execute-api:*:123456789012:api1/*' } },
      { 'aws:SourceArn': 'arn:aws:execute-api:us-east-1:123456789012:api2/prod/GET/' },
      false,
    ],
    // Matched as one string, the region's `*` would take `us-east-1:999` and the account would match.
    [
      'ArnLike, a wildcard that would span parts',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:123456789012:q' } },
      { 'aws:SourceArn': 'arn:aws:sqs:us-east-1:999:123456789012:q' },
      false,
    ],
    [
      'ArnLike, a value that is not an ARN',
      { ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:q' } },
      { 'aws:SourceArn': 'q' },
      false,
    ],
    [
      'ArnNotEquals, equal',
      { ArnNotEquals: { 'aws:SourceArn': SOURCE_ARN } },
      { 'aws:SourceArn': SOURCE_ARN },
      false,
    ],
    [
      'ArnNotLike, matching',
      { ArnNotLike: { 'aws:SourceArn': 'arn:aws:execute-api:*:*:*' } },
      { 'aws:SourceArn': SOURCE_ARN },
      false,
    ],
    [
      'ArnNotLike, not matching',
      { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } },
      { 'aws:SourceArn': SOURCE_ARN },
      true,
    ],
    ['ArnNotLike, key missing', { ArnNotLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } }, {}, true],
    ['Bool, true', { Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'true' }, true],
    [
      'Bool, written as a JSON boolean',
      { Bool: { 'aws:SecureTransport': true } },
      { 'aws:SecureTransport': 'TRUE' },
      true,
    ],
    ['Bool, false', { Bool: { 'aws:SecureTransport': 'true' } }, { 'aws:SecureTransport': 'false' }, false],
    ['Bool, key missing', { Bool: { 'aws:SecureTransport': 'false' } }, {}, false],
    [
      'StringEqualsIfExists, key missing',
      { StringEqualsIfExists: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      {},
      true,
    ],
    [
      'StringEqualsIfExists, different',
      { StringEqualsIfExists: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
      { 'iam:PassedToService': 'lambda.amazonaws.com' },
      false,
    ],
    [
      'ArnLikeIfExists, matching',
      { ArnLikeIfExists: { 'aws:SourceArn': 'arn:aws:execute-api:*:*:*' } },
      { 'aws:SourceArn': SOURCE_ARN },
      true,
    ],
    ['BoolIfExists, key missing', { BoolIfExists: { 'aws:MultiFactorAuthPresent': 'true' } }, {}, true],
    [
      'ForAllValues:StringLike, all match',
      { 'ForAllValues:StringLike': { 'aws:TagKeys': 'app-*' } },
      { 'aws:TagKeys': ['app-a', 'app-b'] },
      true,
    ],
    [
      'ForAllValues:StringLike, one does not',
      { 'ForAllValues:StringLike': { 'aws:TagKeys': 'app-*' } },
      { 'aws:TagKeys': ['app-a', 'owner'] },
      false,
    ],
    [
      'ForAllValues:StringLike, key missing',
      { 'ForAllValues:StringLike': { 'aws:TagKeys': 'app-*' } },
      {},
      true,
    ],
    [
      'ForAllValues:StringEquals, empty list',
      { 'ForAllValues:StringEquals': { 'aws:TagKeys': 'a' } },
      { 'aws:TagKeys': [] },
      true,
    ],
    [
      'ForAllValues:StringNotEquals, none equal',
      { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['x', 'y'] } },
      { 'aws:TagKeys': ['a', 'b'] },
      true,
    ],
    [
      'ForAllValues:StringNotEquals, one equal',
      { 'ForAllValues:StringNotEquals': { 'aws:TagKeys': ['x', 'y'] } },
      { 'aws:TagKeys': ['a', 'y'] },
      false,
    ],
    [
      'ForAnyValue:StringEquals, one matches',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': ['x', 'b'] } },
      { 'aws:TagKeys': ['a', 'b'] },
      true,
    ],
    [
      'ForAnyValue:StringEquals, none match',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'x' } },
      { 'aws:TagKeys': ['a', 'b'] },
      false,
    ],
    [
      'ForAnyValue:StringEquals, key missing',
      { 'ForAnyValue:StringEquals': { 'aws:TagKeys': 'x' } },
      {},
      false,
    ],
    [
      'ForAnyValue:StringNotLike, one outside',
      { 'ForAnyValue:StringNotLike': { 'aws:TagKeys': 'app-*' } },
      { 'aws:TagKeys': ['app-a', 'owner'] },
      true,
    ],
    [
      'ForAnyValue:StringEqualsIfExists, key missing',
      { 'ForAnyValue:StringEqualsIfExists': { 'aws:TagKeys': 'x' } },
      {},
      true,
    ],
    [
      'StringNotEquals on a multivalued key, one equal',
      { StringNotEquals: { 'aws:TagKeys': 'x' } },
      { 'aws:TagKeys': ['a', 'x'] },
      false,
    ],
    ['Null true, key missing', { Null: { 'aws:TokenIssueTime': 'true' } }, {}, true],
    [
      'Null true, key there',
      { Null: { 'aws:TokenIssueTime': 'true' } },
      { 'aws:TokenIssueTime': 'now' },
      false,
    ],
    [
      'Null false, key there',
      { Null: { 'aws:TokenIssueTime': 'false' } },
      { 'aws:TokenIssueTime': 'now' },
      true,
    ],
    [
      'two keys of one operator, both holding',
      { StringEquals: { 'aws:SourceAccount': ACCOUNT, 'aws:PrincipalTag/team': 'a' } },
      { 'aws:SourceAccount': ACCOUNT, 'aws:PrincipalTag/team': 'a' },
      true,
    ],
    [
      'two keys of one operator, one failing',
      { StringEquals: { 'aws:SourceAccount': ACCOUNT, 'aws:PrincipalTag/team': 'a' } },
      { 'aws:SourceAccount': ACCOUNT, 'aws:PrincipalTag/team': 'b' },
      false,
    ],
    [
      'two operators, one failing',
      { StringEquals: { 'aws:SourceAccount': ACCOUNT }, ArnLike: { 'aws:SourceArn': 'arn:aws:sqs:*:*:*' } },
      { 'aws:SourceAccount': ACCOUNT, 'aws:SourceArn': SOURCE_ARN },
      false,
    ],
  ])('on an Allow: %s → allowed %s', (_, condition, context, allowed) => {
    const document = policy(allow({ Action: 'lambda:InvokeFunction', Resource: '*', Condition: condition }));

    const evaluation = evaluate([document], {
      action: 'lambda:InvokeFunction',
      resource: FUNCTION_ARN,
      context,
    });

    expect(evaluation).toEqual(
      allowed
        ? { decision: 'allow', matchedBy: '0.0', warnings: [] }
        : { decision: 'implicit-deny', warnings: [] },
    );
  });

  it.each<[string, PolicyStatement['Condition'], string]>([
    [
      'an unknown operator',
      { NumericLessThan: { 'aws:MultiFactorAuthAge': '3600' } },
      'condition operator NumericLessThan is not evaluated',
    ],
    [
      'an unknown set operator',
      { 'ForSomeValues:StringEquals': { 'aws:TagKeys': 'a' } },
      'condition operator ForSomeValues:StringEquals is not evaluated',
    ],
    [
      'Null with IfExists',
      { NullIfExists: { 'aws:TagKeys': 'true' } },
      'condition operator NullIfExists is not evaluated',
    ],
    [
      'an operator in another case',
      { stringequals: { 'aws:SourceAccount': ACCOUNT } },
      'condition operator stringequals is not evaluated',
    ],
    [
      'a value that is an object',
      { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } } as never,
      'condition StringEquals on aws:SourceAccount has a value that is not a string',
    ],
  ])('does not let an Allow with %s through, and says so', (_, condition, warning) => {
    const document = policy(allow({ Action: '*', Resource: '*', Condition: condition }));
    const context = { 'aws:MultiFactorAuthAge': '10', 'aws:TagKeys': 'a', 'aws:SourceAccount': ACCOUNT };

    const evaluation = evaluate([document], { action: 'sqs:SendMessage', resource: QUEUE, context });

    expect(evaluation).toEqual({ decision: 'implicit-deny', warnings: [warning] });
  });

  it('applies a Deny whose condition it cannot read, rather than let the request through', () => {
    const document = policy(
      allow({ Action: '*', Resource: '*' }),
      deny({
        Sid: 'NotAfter2020',
        Action: '*',
        Resource: '*',
        Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' } },
      }),
    );

    const evaluation = evaluate([document], { action: 'sqs:SendMessage', resource: QUEUE });

    expect(evaluation).toEqual({
      decision: 'explicit-deny',
      matchedBy: 'NotAfter2020',
      warnings: ['condition operator DateGreaterThan is not evaluated'],
    });
  });

  it('leaves out a Deny whose readable condition fails, however unreadable its others', () => {
    const document = policy(
      allow({ Action: '*', Resource: '*' }),
      deny({
        Action: '*',
        Resource: '*',
        Condition: {
          DateGreaterThan: { 'aws:CurrentTime': '2020-01-01' },
          Bool: { 'aws:SecureTransport': 'false' },
        },
      }),
    );

    const evaluation = evaluate([document], {
      action: 'sqs:SendMessage',
      resource: QUEUE,
      context: { 'aws:SecureTransport': 'true' },
    });

    expect(evaluation).toEqual({ decision: 'allow', matchedBy: '0.0', warnings: [] });
  });

  it('does not read conditions of statements that do not cover the request', () => {
    const document = policy(
      allow({ Action: 'sqs:*', Resource: '*' }),
      deny({ Action: 'iam:*', Resource: '*', Condition: { DateGreaterThan: { 'aws:CurrentTime': '2020' } } }),
    );

    expect(evaluate([document], { action: 'sqs:SendMessage', resource: QUEUE }).warnings).toEqual([]);
  });

  it.each([
    ['true', 'allow'],
    ['false', 'explicit-deny'],
  ] as const)(
    'applies the TLS-only Deny CDK writes on queues to a request with SecureTransport %s',
    (secure, decision) => {
      const document = policy(
        allow({ Action: 'sqs:*', Resource: '*' }),
        deny({ Action: 'sqs:*', Resource: QUEUE, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );

      const request = {
        action: 'sqs:SendMessage',
        resource: QUEUE,
        context: { 'aws:SecureTransport': secure },
      };

      expect(evaluate([document], request).decision).toBe(decision);
    },
  );
});

// biome-ignore-start lint/suspicious/noTemplateCurlyInString: IAM policy variables, not JavaScript placeholders
describe('policy variables', () => {
  const HOME = 'arn:aws:s3:::bucket/home/${aws:username}/*';

  it.each<[string, string, IamRequest['context'], Decision]>([
    [
      'fills a variable from the context',
      'arn:aws:s3:::bucket/home/alice/notes',
      { 'aws:username': 'alice' },
      'allow',
    ],
    [
      'keeps to the value filled in',
      'arn:aws:s3:::bucket/home/bob/notes',
      { 'aws:username': 'alice' },
      'implicit-deny',
    ],
    [
      'reads a wildcard in the value literally',
      'arn:aws:s3:::bucket/home/bob/notes',
      { 'aws:username': '*' },
      'implicit-deny',
    ],
  ])('%s', (_, resource, context, decision) => {
    const document = policy(allow({ Action: 's3:GetObject', Resource: HOME }));

    expect(evaluate([document], { action: 's3:GetObject', resource, context }).decision).toBe(decision);
  });

  it('uses the default of a variable whose key is missing', () => {
    const document = policy(
      allow({ Action: 's3:GetObject', Resource: "arn:aws:s3:::bucket/${aws:username, 'guest'}/*" }),
    );

    expect(
      evaluate([document], { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/guest/a' }).decision,
    ).toBe('allow');
  });

  it('writes ${*} as a literal star', () => {
    const document = policy(allow({ Action: 's3:GetObject', Resource: 'arn:aws:s3:::bucket/${*}' }));

    expect(evaluate([document], { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/*' }).decision).toBe(
      'allow',
    );
    expect(evaluate([document], { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/a' }).decision).toBe(
      'implicit-deny',
    );
  });

  it('reads ${ literally in a document older than 2012-10-17', () => {
    const document: PolicyDocument = {
      Version: '2008-10-17',
      Statement: [allow({ Action: 's3:GetObject', Resource: HOME })],
    };
    const context = { 'aws:username': 'alice' };

    expect(
      evaluate([document], { action: 's3:GetObject', resource: 'arn:aws:s3:::bucket/home/alice/a', context })
        .decision,
    ).toBe('implicit-deny');
    expect(
      evaluate([document], {
        action: 's3:GetObject',
        resource: 'arn:aws:s3:::bucket/home/${aws:username}/a',
        context,
      }).decision,
    ).toBe('allow');
  });

  it.each<[string, PolicyStatement, Decision]>([
    ['an Allow', allow({ Action: 's3:GetObject', Resource: HOME }), 'implicit-deny'],
    ['a Deny', deny({ Action: 's3:GetObject', Resource: HOME }), 'explicit-deny'],
  ])('treats a variable without a value conservatively in %s', (_, statement, decision) => {
    const document = policy(allow({ Sid: 'All', Action: '*', Resource: 'arn:aws:s3:::other' }), statement);

    const evaluation = evaluate([document], {
      action: 's3:GetObject',
      resource: 'arn:aws:s3:::bucket/home/alice/a',
    });

    expect(evaluation.decision).toBe(decision);
    expect(evaluation.warnings).toEqual([
      'statement 0.1 has a Resource with a policy variable without a value',
    ]);
  });

  it('fills variables in condition values', () => {
    const document = policy(
      allow({
        Action: 's3:ListBucket',
        Resource: '*',
        Condition: { StringLike: { 's3:prefix': 'home/${aws:username}/*' } },
      }),
    );
    const request = { action: 's3:ListBucket', resource: 'arn:aws:s3:::bucket' };

    expect(
      evaluate([document], { ...request, context: { 'aws:username': 'alice', 's3:prefix': 'home/alice/x' } })
        .decision,
    ).toBe('allow');
    expect(
      evaluate([document], { ...request, context: { 'aws:username': 'alice', 's3:prefix': 'home/bob/x' } })
        .decision,
    ).toBe('implicit-deny');
    expect(evaluate([document], { ...request, context: { 's3:prefix': 'home/bob/x' } })).toEqual({
      decision: 'implicit-deny',
      warnings: ['condition StringLike on s3:prefix uses a policy variable without a value'],
    });
  });
});
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: IAM policy variables, not JavaScript placeholders

describe('resource policies', () => {
  const request = (caller: Omit<ResourcePolicyRequest, 'action' | 'resource'>): ResourcePolicyRequest => ({
    action: 'sqs:SendMessage',
    resource: QUEUE,
    ...caller,
  });
  const SESSION = `arn:aws:sts::${ACCOUNT}:assumed-role/HookpostApiHandlerRole/Hookpost-Api-session`;

  it.each<[string, unknown, ResourcePolicyRequest, Decision]>([
    ['"*" admits a service', '*', request({ principalService: 'events.amazonaws.com' }), 'allow'],
    ['"*" admits a role', '*', request({ principalArn: ROLE }), 'allow'],
    ['"*" admits an anonymous caller', '*', request({}), 'allow'],
    ['{ AWS: "*" } admits a role', { AWS: '*' }, request({ principalArn: ROLE }), 'allow'],
    [
      '{ AWS: "*" } admits a service',
      { AWS: '*' },
      request({ principalService: 'sns.amazonaws.com' }),
      'allow',
    ],
    [
      '{ Service } admits that service',
      { Service: 'sns.amazonaws.com' },
      request({ principalService: 'sns.amazonaws.com' }),
      'allow',
    ],
    [
      '{ Service } refuses another service',
      { Service: 'sns.amazonaws.com' },
      request({ principalService: 'events.amazonaws.com' }),
      'implicit-deny',
    ],
    [
      '{ Service } refuses a role',
      { Service: 'sns.amazonaws.com' },
      request({ principalArn: ROLE }),
      'implicit-deny',
    ],
    [
      '{ Service: [...] } admits any service listed',
      { Service: ['sns.amazonaws.com', 'events.amazonaws.com'] },
      request({ principalService: 'events.amazonaws.com' }),
      'allow',
    ],
    ['{ AWS: role } admits that role', { AWS: ROLE }, request({ principalArn: ROLE }), 'allow'],
    [
      '{ AWS: role } admits a session of that role',
      { AWS: ROLE },
      request({ principalArn: SESSION }),
      'allow',
    ],
    [
      '{ AWS: role with a path } admits a session of that role',
      { AWS: `arn:aws:iam::${ACCOUNT}:role/service/HookpostApiHandlerRole` },
      request({ principalArn: SESSION }),
      'allow',
    ],
    [
      '{ AWS: role } refuses another role',
      { AWS: ROLE },
      request({ principalArn: `${ROLE}2` }),
      'implicit-deny',
    ],
    [
      '{ AWS: role } refuses the same role name in another account',
      { AWS: ROLE },
      request({ principalArn: 'arn:aws:sts::999999999999:assumed-role/HookpostApiHandlerRole/s' }),
      'implicit-deny',
    ],
    [
      '{ AWS: role } refuses a service',
      { AWS: ROLE },
      request({ principalService: 'sns.amazonaws.com' }),
      'implicit-deny',
    ],
    [
      '{ AWS: another account } refuses a role',
      { AWS: '999999999999' },
      request({ principalArn: ROLE }),
      'implicit-deny',
    ],
    [
      '{ Federated } refuses a role',
      { Federated: 'cognito-identity.amazonaws.com' },
      request({ principalArn: ROLE }),
      'implicit-deny',
    ],
  ])('%s', (_, principal, resourceRequest, decision) => {
    const document = policy(allow({ Principal: principal, Action: 'sqs:SendMessage', Resource: QUEUE }));

    expect(evaluateResourcePolicy(document, resourceRequest).decision).toBe(decision);
  });

  it.each([ACCOUNT, `arn:aws:iam::${ACCOUNT}:root`])(
    'lets an Allow naming the account %s delegate to identity policies rather than allow',
    (account) => {
      const document = policy(
        allow({ Sid: 'Account', Principal: { AWS: account }, Action: 'sqs:*', Resource: QUEUE }),
      );

      expect(evaluateResourcePolicy(document, request({ principalArn: ROLE }))).toEqual({
        decision: 'implicit-deny',
        delegatedBy: 'Account',
        warnings: [],
      });
    },
  );

  it('applies a Deny naming the account to everyone in it', () => {
    const document = policy(
      deny({ Sid: 'NoOne', Principal: { AWS: ACCOUNT }, Action: 'sqs:*', Resource: QUEUE }),
    );

    expect(evaluateResourcePolicy(document, request({ principalArn: SESSION })).decision).toBe(
      'explicit-deny',
    );
  });

  it.each<[string, ResourcePolicyRequest, Decision]>([
    [
      'denies everyone but the principal NotPrincipal names',
      request({ principalArn: `${ROLE}2` }),
      'explicit-deny',
    ],
    ['leaves out the principal NotPrincipal names', request({ principalArn: ROLE }), 'allow'],
  ])('%s', (_, resourceRequest, decision) => {
    const document = policy(
      allow({ Principal: '*', Action: 'sqs:*', Resource: QUEUE }),
      deny({ NotPrincipal: { AWS: ROLE }, Action: 'sqs:*', Resource: QUEUE }),
    );

    expect(evaluateResourcePolicy(document, resourceRequest).decision).toBe(decision);
  });

  it('does not let a statement without Principal through, and says so', () => {
    const document = policy(allow({ Sid: 'Nobody', Action: 'sqs:*', Resource: QUEUE }));

    expect(evaluateResourcePolicy(document, request({ principalArn: ROLE }))).toEqual({
      decision: 'implicit-deny',
      warnings: ['statement Nobody of a resource policy names no Principal'],
    });
  });

  it.each<[string, ResourcePolicyRequest, Decision]>([
    [
      'with SecureTransport true',
      request({ principalArn: ROLE, context: { 'aws:SecureTransport': 'true' } }),
      'implicit-deny',
    ],
    [
      'with SecureTransport false',
      request({ principalArn: ROLE, context: { 'aws:SecureTransport': 'false' } }),
      'explicit-deny',
    ],
    [
      'from a service over plain HTTP',
      request({ principalService: 'sns.amazonaws.com', context: { 'aws:SecureTransport': 'false' } }),
      'explicit-deny',
    ],
  ])('reads the queue policy CDK writes (a TLS-only Deny, no Allow) %s', (_, resourceRequest, decision) => {
    const queuePolicy = policy(
      deny({
        Principal: { AWS: '*' },
        Action: 'sqs:*',
        Resource: QUEUE,
        Condition: { Bool: { 'aws:SecureTransport': 'false' } },
      }),
    );

    expect(evaluateResourcePolicy(queuePolicy, resourceRequest).decision).toBe(decision);
  });

  it.each<[string, ResourcePolicyRequest, Decision]>([
    [
      'admits the service it trusts',
      { action: 'sts:AssumeRole', resource: ROLE, principalService: 'scheduler.amazonaws.com' },
      'allow',
    ],
    [
      'refuses another service',
      { action: 'sts:AssumeRole', resource: ROLE, principalService: 'lambda.amazonaws.com' },
      'implicit-deny',
    ],
    [
      'refuses another action',
      { action: 'sts:TagSession', resource: ROLE, principalService: 'scheduler.amazonaws.com' },
      'implicit-deny',
    ],
  ])('reads a trust policy, which has no Resource: it %s', (_, trustRequest, decision) => {
    const trustPolicy = policy(
      allow({ Principal: { Service: 'scheduler.amazonaws.com' }, Action: 'sts:AssumeRole' }),
    );

    expect(evaluateResourcePolicy(trustPolicy, trustRequest)).toMatchObject({ decision, warnings: [] });
  });

  it('reads the key policy CDK writes: the account delegates, a service is allowed what it is named for', () => {
    const keyPolicy = policy(
      allow({ Principal: { AWS: `arn:aws:iam::${ACCOUNT}:root` }, Action: 'kms:*', Resource: '*' }),
      allow({
        Sid: 'Alarms',
        Principal: { Service: 'cloudwatch.amazonaws.com' },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
        Resource: '*',
      }),
    );
    const key = 'arn:aws:kms:us-east-1:123456789012:key/0f5a3c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b';

    expect(
      evaluateResourcePolicy(keyPolicy, {
        action: 'kms:GenerateDataKey',
        resource: key,
        principalService: 'cloudwatch.amazonaws.com',
      }),
    ).toEqual({
      decision: 'allow',
      matchedBy: 'Alarms',
      warnings: [],
    });
    expect(
      evaluateResourcePolicy(keyPolicy, {
        action: 'kms:Encrypt',
        resource: key,
        principalService: 'cloudwatch.amazonaws.com',
      }).decision,
    ).toBe('implicit-deny');
    expect(
      evaluateResourcePolicy(keyPolicy, { action: 'kms:Decrypt', resource: key, principalArn: ROLE }),
    ).toEqual({
      decision: 'implicit-deny',
      delegatedBy: '0.0',
      warnings: [],
    });
  });
});

describe('lambdaPermissionStatement', () => {
  const INVOKE = 'lambda:InvokeFunction';
  const API_SOURCE = `arn:aws:execute-api:us-east-1:${ACCOUNT}:a1b2c3d4e5/*/*/*`;

  it.each<[string, LambdaPermissionProperties, string, PolicyStatement]>([
    [
      'a service scoped by source ARN',
      {
        Action: INVOKE,
        FunctionName: FUNCTION_ARN,
        Principal: 'apigateway.amazonaws.com',
        SourceArn: API_SOURCE,
      },
      FUNCTION_ARN,
      {
        Effect: 'Allow',
        Principal: { Service: 'apigateway.amazonaws.com' },
        Action: INVOKE,
        Resource: FUNCTION_ARN,
        Condition: { ArnLike: { 'AWS:SourceArn': API_SOURCE } },
      },
    ],
    [
      'a service scoped by source account and ARN',
      {
        Action: INVOKE,
        Principal: 's3.amazonaws.com',
        SourceAccount: ACCOUNT,
        SourceArn: 'arn:aws:s3:::bucket',
      },
      FUNCTION_ARN,
      {
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: INVOKE,
        Resource: FUNCTION_ARN,
        Condition: {
          StringEquals: { 'AWS:SourceAccount': ACCOUNT },
          ArnLike: { 'AWS:SourceArn': 'arn:aws:s3:::bucket' },
        },
      },
    ],
    [
      'an account, as its root',
      { Action: INVOKE, Principal: '999999999999' },
      FUNCTION_ARN,
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws:iam::999999999999:root' },
        Action: INVOKE,
        Resource: FUNCTION_ARN,
      },
    ],
    [
      'an account in another partition',
      { Action: INVOKE, Principal: '999999999999' },
      'arn:aws-cn:lambda:cn-north-1:999999999999:function:f',
      {
        Effect: 'Allow',
        Principal: { AWS: 'arn:aws-cn:iam::999999999999:root' },
        Action: INVOKE,
        Resource: 'arn:aws-cn:lambda:cn-north-1:999999999999:function:f',
      },
    ],
    [
      'a role',
      { Action: INVOKE, Principal: ROLE },
      FUNCTION_ARN,
      { Effect: 'Allow', Principal: { AWS: ROLE }, Action: INVOKE, Resource: FUNCTION_ARN },
    ],
    [
      'anyone, in an organization',
      { Action: INVOKE, Principal: '*', PrincipalOrgID: 'o-abc123' },
      FUNCTION_ARN,
      {
        Effect: 'Allow',
        Principal: '*',
        Action: INVOKE,
        Resource: FUNCTION_ARN,
        Condition: { StringEquals: { 'aws:PrincipalOrgID': 'o-abc123' } },
      },
    ],
    [
      'a function URL',
      { Action: 'lambda:InvokeFunctionUrl', Principal: '*', FunctionUrlAuthType: 'NONE' },
      FUNCTION_ARN,
      {
        Effect: 'Allow',
        Principal: '*',
        Action: 'lambda:InvokeFunctionUrl',
        Resource: FUNCTION_ARN,
        Condition: { StringEquals: { 'lambda:FunctionUrlAuthType': 'NONE' } },
      },
    ],
    [
      'an Alexa skill',
      { Action: INVOKE, Principal: 'alexa-appkit.amazon.com', EventSourceToken: 'amzn1.ask.skill.1' },
      FUNCTION_ARN,
      {
        Effect: 'Allow',
        Principal: { Service: 'alexa-appkit.amazon.com' },
        Action: INVOKE,
        Resource: FUNCTION_ARN,
        Condition: { StringEquals: { 'lambda:EventSourceToken': 'amzn1.ask.skill.1' } },
      },
    ],
  ])('turns a permission for %s into the statement Lambda keeps', (_, permission, functionArn, expected) => {
    expect(lambdaPermissionStatement(permission, functionArn)).toEqual(expected);
  });

  it('puts the statement id first, as GetPolicy shows it, so that sizes are measured right', () => {
    const statement = lambdaPermissionStatement(
      { Action: INVOKE, Principal: 'apigateway.amazonaws.com', SourceArn: API_SOURCE },
      FUNCTION_ARN,
      'Hookpost-ApiPermission-ABCDEF123456',
    );

    const document = JSON.stringify({ Version: '2012-10-17', Id: 'default', Statement: [statement] });

    expect(document).toBe(
      '{"Version":"2012-10-17","Id":"default","Statement":[{"Sid":"Hookpost-ApiPermission-ABCDEF123456",' +
        '"Effect":"Allow","Principal":{"Service":"apigateway.amazonaws.com"},"Action":"lambda:InvokeFunction",' +
        `"Resource":"${FUNCTION_ARN}","Condition":{"ArnLike":{"AWS:SourceArn":"${API_SOURCE}"}}}]}`,
    );
    expect(document.length).toBe(390);
  });

  it.each<[string, IamRequest['context'], Decision]>([
    [
      'the API it names',
      { 'aws:SourceArn': `arn:aws:execute-api:us-east-1:${ACCOUNT}:a1b2c3d4e5/prod/GET/v1/apps` },
      'allow',
    ],
    [
      'another API',
      { 'aws:SourceArn': `arn:aws:execute-api:us-east-1:${ACCOUNT}:zzzzzzzzzz/prod/GET/v1/apps` },
      'implicit-deny',
    ],
    ['no source at all', {}, 'implicit-deny'],
  ])('admits, in the function policy it builds, API Gateway calling from %s', (_, context, decision) => {
    const statement = lambdaPermissionStatement(
      { Action: INVOKE, Principal: 'apigateway.amazonaws.com', SourceArn: API_SOURCE },
      FUNCTION_ARN,
      'Api',
    );
    const functionPolicy: PolicyDocument = { Version: '2012-10-17', Id: 'default', Statement: [statement] };

    const evaluation = evaluateResourcePolicy(functionPolicy, {
      action: INVOKE,
      resource: FUNCTION_ARN,
      principalService: 'apigateway.amazonaws.com',
      context,
    });

    expect(evaluation.decision).toBe(decision);
  });
});
