import { describe, expect, it } from 'vitest';
import {
  findResource,
  physicalIdFor,
  type ResolvedResource,
  resourcesOfType,
  type Template,
  TemplateResolutionError,
  TemplateResolver,
} from '../../support/deployed/cloudformation';

/**
 * The deployed tier resolves the template's intrinsic functions itself: a wrong value
 * here would start the functions with a wrong environment, and a placeholder would fail
 * far from its cause. Fixtures are inline, shaped like what CDK synthesizes.
 */

const PSEUDO = {
  region: 'eu-west-1',
  accountId: '123456789012',
  partition: 'aws',
  stackName: 'Hookpost',
  stackId:
    'arn:aws:cloudformation:eu-west-1:123456789012:stack/Hookpost/0f5a3c2e-1b2d-4e5f-8a9b-0c1d2e3f4a5b',
  urlSuffix: 'amazonaws.com',
};
const QUEUE_ARN = 'arn:aws:sqs:eu-west-1:123456789012:Hookpost-Queue-ABCDEF123456';
const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/Hookpost-Queue-ABCDEF123456';

const TEMPLATE: Template = {
  Resources: {
    Queue: { Type: 'AWS::SQS::Queue' },
    Table: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'PAY_PER_REQUEST' } },
    Cache: { Type: 'AWS::ElastiCache::CacheCluster', Properties: {} },
    Subnet: { Type: 'AWS::EC2::Subnet', Properties: {} },
    OtherTable: { Type: 'AWS::DynamoDB::Table', Properties: {}, DeletionPolicy: 'Retain' },
    NotCreatedYet: { Type: 'AWS::SNS::Topic' },
  },
  Parameters: {
    Stage: { Type: 'String', Default: 'prod' },
    Port: { Type: 'Number', Default: 8080 },
    Zones: { Type: 'CommaDelimitedList', Default: 'a,b' },
    AttributeName: { Type: 'String', Default: 'Arn' },
    Required: { Type: 'String' },
    BootstrapVersion: {
      Type: 'AWS::SSM::Parameter::Value<String>',
      Default: '/cdk-bootstrap/hnb659fds/version',
    },
  },
  Conditions: {
    IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] },
    IsDev: { 'Fn::Equals': [{ Ref: 'Stage' }, 'dev'] },
    InEurope: { 'Fn::Equals': [{ Ref: 'AWS::Region' }, 'eu-west-1'] },
    PortIs8080: { 'Fn::Equals': [{ Ref: 'Port' }, 8080] },
    ProdInEurope: { 'Fn::And': [{ Condition: 'IsProd' }, { Condition: 'InEurope' }] },
    DevInEurope: { 'Fn::And': [{ Condition: 'IsDev' }, { Condition: 'InEurope' }] },
    ProdOrDev: { 'Fn::Or': [{ Condition: 'IsProd' }, { Condition: 'IsDev' }] },
    NotProd: { 'Fn::Not': [{ Condition: 'IsProd' }] },
    NotDev: { 'Fn::Not': [{ 'Fn::Equals': [{ Ref: 'Stage' }, 'dev'] }] },
    Loop: { 'Fn::Not': [{ Condition: 'Loop' }] },
    NotBoolean: { 'Fn::And': [{ Condition: 'IsProd' }, 'yes'] },
    TooFew: { 'Fn::Or': [{ Condition: 'IsProd' }] },
    TooMany: { 'Fn::Or': Array.from({ length: 11 }, () => ({ Condition: 'IsProd' })) },
  },
  Mappings: {
    Sizes: { prod: { Memory: '512', Zones: ['x', 'y'], Account: { Ref: 'AWS::AccountId' } } },
  },
};

const PHYSICAL = new Map<string, ResolvedResource>([
  ['Queue', { ref: QUEUE_URL, attributes: { Arn: QUEUE_ARN } }],
  [
    'Table',
    {
      ref: 'Hookpost-Table-1ABCDEFGHIJK',
      attributes: { Arn: 'arn:aws:dynamodb:eu-west-1:123456789012:table/t', StreamArn: 'arn:stream' },
    },
  ],
  ['Cache', { ref: 'cache-1', attributes: { 'Endpoint.Address': 'cache.example', 'Endpoint.Port': '6379' } }],
  ['Subnet', { ref: 'subnet-1', attributes: { Ipv6CidrBlocks: ['2001:db8::/64', '2001:db8:1::/64'] } }],
]);

const resolver = new TemplateResolver({ template: TEMPLATE, pseudo: PSEUDO, physical: PHYSICAL });

describe('Ref', () => {
  it.each([
    ['AWS::Region', 'eu-west-1'],
    ['AWS::AccountId', '123456789012'],
    ['AWS::Partition', 'aws'],
    ['AWS::StackName', 'Hookpost'],
    ['AWS::StackId', PSEUDO.stackId],
    ['AWS::URLSuffix', 'amazonaws.com'],
    ['AWS::NotificationARNs', []],
    ['Queue', QUEUE_URL],
    ['Stage', 'prod'],
    ['Port', '8080'],
    ['Zones', ['a', 'b']],
  ])('answers %s with %j', (name, expected) => {
    expect(resolver.resolve({ Ref: name })).toEqual(expected);
  });
});

describe('AWS::NoValue', () => {
  it.each([
    ['removes the key it is the value of', { a: 1, gone: { Ref: 'AWS::NoValue' } }, { a: 1 }],
    ['removes the list item it is', ['a', { Ref: 'AWS::NoValue' }, 'b'], ['a', 'b']],
    [
      'removes what an Fn::If chose it for',
      { Tags: [{ 'Fn::If': ['IsDev', { Key: 'k', Value: 'v' }, { Ref: 'AWS::NoValue' }] }] },
      { Tags: [] },
    ],
    ['leaves nothing at the root', { Ref: 'AWS::NoValue' }, undefined],
  ])('%s', (_, value, expected) => {
    expect(resolver.resolve(value)).toEqual(expected);
  });
});

describe('Fn::GetAtt', () => {
  it.each([
    ['the list form', { 'Fn::GetAtt': ['Queue', 'Arn'] }, QUEUE_ARN],
    ['the string form', { 'Fn::GetAtt': 'Queue.Arn' }, QUEUE_ARN],
    ['a dotted attribute in the list form', { 'Fn::GetAtt': ['Cache', 'Endpoint.Address'] }, 'cache.example'],
    ['a dotted attribute in the string form', { 'Fn::GetAtt': 'Cache.Endpoint.Port' }, '6379'],
    ['an attribute name given by a Ref', { 'Fn::GetAtt': ['Queue', { Ref: 'AttributeName' }] }, QUEUE_ARN],
    [
      'a list attribute',
      { 'Fn::GetAtt': ['Subnet', 'Ipv6CidrBlocks'] },
      ['2001:db8::/64', '2001:db8:1::/64'],
    ],
  ])('reads %s', (_, value, expected) => {
    expect(resolver.resolve(value)).toEqual(expected);
  });
});

describe('Fn::Join, Fn::Select, Fn::Split, Fn::GetAZs, Fn::Base64, Fn::FindInMap', () => {
  it.each([
    [
      'Fn::Join of references, as CDK writes ARNs',
      {
        'Fn::Join': [
          '',
          ['arn:', { Ref: 'AWS::Partition' }, ':execute-api:', { Ref: 'AWS::Region' }, ':', { Ref: 'Port' }],
        ],
      },
      'arn:aws:execute-api:eu-west-1:8080',
    ],
    ['Fn::Join of numbers', { 'Fn::Join': ['-', [1, 'a', 2]] }, '1-a-2'],
    [
      'Fn::Join of a computed list',
      { 'Fn::Join': [',', { 'Fn::GetAZs': '' }] },
      'eu-west-1a,eu-west-1b,eu-west-1c',
    ],
    ['Fn::Join of an empty list', { 'Fn::Join': [',', []] }, ''],
    ['Fn::Select from a literal list', { 'Fn::Select': [1, ['a', 'b', 'c']] }, 'b'],
    ['Fn::Select with an index written as a string', { 'Fn::Select': ['0', ['a', 'b']] }, 'a'],
    ['Fn::Select from Fn::Split', { 'Fn::Select': [2, { 'Fn::Split': ['/', 'a/b/c'] }] }, 'c'],
    [
      'Fn::Select of a queue name from its ARN',
      { 'Fn::Select': [5, { 'Fn::Split': [':', { 'Fn::GetAtt': ['Queue', 'Arn'] }] }] },
      'Hookpost-Queue-ABCDEF123456',
    ],
    [
      'Fn::Select from Fn::GetAZs',
      { 'Fn::Select': [0, { 'Fn::GetAZs': { Ref: 'AWS::Region' } }] },
      'eu-west-1a',
    ],
    ['Fn::Split keeping empty parts', { 'Fn::Split': [',', 'a,,b'] }, ['a', '', 'b']],
    [
      'Fn::GetAZs of the stack region by default',
      { 'Fn::GetAZs': '' },
      ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    ],
    [
      'Fn::GetAZs of the region named',
      { 'Fn::GetAZs': 'eu-west-1' },
      ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    ],
    ['Fn::Base64', { 'Fn::Base64': 'hi' }, 'aGk='],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder, not JavaScript's
    ['Fn::Base64 of a computed string', { 'Fn::Base64': { 'Fn::Sub': '${AWS::Region}' } }, 'ZXUtd2VzdC0x'],
    ['Fn::FindInMap', { 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Memory'] }, '512'],
    ['Fn::FindInMap of a list', { 'Fn::FindInMap': ['Sizes', 'prod', 'Zones'] }, ['x', 'y']],
    [
      'Fn::FindInMap of a value holding a Ref',
      { 'Fn::FindInMap': ['Sizes', 'prod', 'Account'] },
      '123456789012',
    ],
    [
      'Fn::FindInMap with a default for a missing entry',
      { 'Fn::FindInMap': ['Sizes', 'dev', 'Memory', { DefaultValue: '128' }] },
      '128',
    ],
  ])('%s', (_, value, expected) => {
    expect(resolver.resolve(value)).toEqual(expected);
  });

  it('answers Fn::GetAZs with the zones it was given', () => {
    const zones = ['eu-west-1b', 'eu-west-1c'];
    const withZones = new TemplateResolver({
      template: TEMPLATE,
      pseudo: PSEUDO,
      physical: PHYSICAL,
      availabilityZones: zones,
    });

    const resolved = withZones.resolve({ 'Fn::GetAZs': '' });

    expect(resolved).toEqual(zones);
    expect(resolved).not.toBe(zones);
  });
});

// biome-ignore-start lint/suspicious/noTemplateCurlyInString: the strings below are Fn::Sub templates, whose placeholders are not JavaScript's
describe('Fn::Sub', () => {
  it.each([
    [
      'pseudo parameters',
      'arn:${AWS::Partition}:sqs:${AWS::Region}:${AWS::AccountId}:q',
      'arn:aws:sqs:eu-west-1:123456789012:q',
    ],
    ['a resource', '${Queue}?x=1', `${QUEUE_URL}?x=1`],
    ['a parameter', 'stage-${Stage}', 'stage-prod'],
    ['an attribute', 'arn=${Queue.Arn}', `arn=${QUEUE_ARN}`],
    [
      'a dotted attribute',
      'redis://${Cache.Endpoint.Address}:${Cache.Endpoint.Port}',
      'redis://cache.example:6379',
    ],
    ['an escaped placeholder', '${!Literal}-${Stage}', '${Literal}-prod'],
    ['text without placeholders', 'plain $ { text }', 'plain $ { text }'],
  ])('substitutes %s', (_, source, expected) => {
    expect(resolver.resolve({ 'Fn::Sub': source })).toBe(expected);
  });

  it.each([
    ['a literal variable', ['${Name}-x', { Name: 'n' }], 'n-x'],
    [
      'a variable computed by an intrinsic',
      ['${Name}/${Stage}', { Name: { Ref: 'Table' } }],
      'Hookpost-Table-1ABCDEFGHIJK/prod',
    ],
    ['a variable named like a resource, which wins', ['${Queue}', { Queue: 'mine' }], 'mine'],
    ['a dotted variable name', ['${A.B}', { 'A.B': 'ab' }], 'ab'],
    ['a variable that is not used', ['x', { Unused: { Ref: 'Missing' } }], 'x'],
  ])('substitutes %s in the [string, variables] form', (_, argument, expected) => {
    expect(resolver.resolve({ 'Fn::Sub': argument })).toBe(expected);
  });
});
// biome-ignore-end lint/suspicious/noTemplateCurlyInString: the strings above are Fn::Sub templates

describe('conditions', () => {
  it.each([
    ['IsProd', true],
    ['IsDev', false],
    ['PortIs8080', true],
    ['ProdInEurope', true],
    ['DevInEurope', false],
    ['ProdOrDev', true],
    ['NotProd', false],
    ['NotDev', true],
  ])('evaluates %s to %s', (name, expected) => {
    expect(resolver.conditionHolds(name)).toBe(expected);
    expect(resolver.resolve({ 'Fn::If': [name, 'then', 'else'] })).toBe(expected ? 'then' : 'else');
  });

  it('resolves only the branch Fn::If takes, so the other may refer to what does not exist', () => {
    const value = { 'Fn::If': ['IsProd', { Ref: 'Queue' }, { Ref: 'Missing' }] };

    expect(resolver.resolve(value)).toBe(QUEUE_URL);
  });

  it('evaluates Fn::Equals, Fn::And, Fn::Or and Fn::Not written in place', () => {
    const value = {
      equal: { 'Fn::Equals': ['a', 'a'] },
      and: { 'Fn::And': [{ 'Fn::Equals': ['a', 'a'] }, { 'Fn::Equals': ['a', 'b'] }] },
      or: { 'Fn::Or': [{ 'Fn::Equals': ['a', 'a'] }, { 'Fn::Equals': ['a', 'b'] }] },
      not: { 'Fn::Not': [{ Condition: 'IsDev' }] },
    };

    expect(resolver.resolve(value)).toEqual({ equal: true, and: false, or: true, not: true });
  });

  it('leaves a resource-level Condition key alone: it is not a function when other keys sit beside it', () => {
    const resource = { Type: 'AWS::CDK::Metadata', Condition: 'IsProd', Properties: { Analytics: 'v2' } };

    expect(resolver.resolve(resource)).toEqual(resource);
  });
});

it('resolves a Lambda function definition as CDK writes it, deeply', () => {
  const properties = {
    FunctionName: { Ref: 'AWS::NoValue' },
    Environment: {
      Variables: {
        QUEUE_URL: { Ref: 'Queue' },
        TABLE: { Ref: 'Table' },
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder
        STREAM: { 'Fn::Sub': '${Table.StreamArn}' },
        DEBUG: { 'Fn::If': ['IsProd', { Ref: 'AWS::NoValue' }, 'true'] },
      },
    },
    Layers: [{ 'Fn::Join': [':', ['arn', { Ref: 'AWS::Partition' }, 'layer']] }],
    MemorySize: 256,
    Tracing: null,
  };

  const resolved = resolver.resolve(properties, 'Resources.Fn.Properties');

  expect(resolved).toEqual({
    Environment: {
      Variables: { QUEUE_URL: QUEUE_URL, TABLE: 'Hookpost-Table-1ABCDEFGHIJK', STREAM: 'arn:stream' },
    },
    Layers: ['arn:aws:layer'],
    MemorySize: 256,
    Tracing: null,
  });
});

describe('what cannot be resolved', () => {
  it.each([
    ['an unknown function', { 'Fn::ImportValue': 'shared' }, /Fn::ImportValue .*not emulated/],
    ['another unknown function', { 'Fn::Cidr': ['10.0.0.0/16', 2, 8] }, /Fn::Cidr .*not emulated/],
    ['a Ref to nothing', { Ref: 'Missing' }, /Ref .*no resource Missing$/],
    [
      'a Ref to a resource without a physical id',
      { Ref: 'NotCreatedYet' },
      /no physical id was given for resource NotCreatedYet \(AWS::SNS::Topic\)/,
    ],
    ['a Ref that is not a name', { Ref: ['Queue'] }, /Ref .*expects a logical id/],
    ['a parameter without a default', { Ref: 'Required' }, /parameter Required has no default/],
    [
      'a parameter only SSM knows',
      { Ref: 'BootstrapVersion' },
      /parameter BootstrapVersion is read from SSM/,
    ],
    [
      'an unknown attribute',
      { 'Fn::GetAtt': ['Queue', 'QueueName'] },
      /no attribute QueueName of Queue \(known: Arn\)/,
    ],
    [
      'an inherited property as attribute',
      { 'Fn::GetAtt': ['Queue', 'constructor'] },
      /no attribute constructor/,
    ],
    ['Fn::GetAtt of nothing', { 'Fn::GetAtt': ['Missing', 'Arn'] }, /Fn::GetAtt .*no resource Missing/],
    ['Fn::GetAtt without an attribute', { 'Fn::GetAtt': 'Queue' }, /expects \[logicalId, attribute\]/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder
    ['Fn::Sub of nothing', { 'Fn::Sub': 'x-${Nope}' }, /Ref .*no resource Nope/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder
    ['Fn::Sub of AWS::NoValue', { 'Fn::Sub': '${AWS::NoValue}' }, /AWS::NoValue is not a string/],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: an Fn::Sub placeholder
    ['Fn::Sub of a list', { 'Fn::Sub': '${Zones}' }, /\["a","b"\] is not a string/],
    ['Fn::Sub of a non-string', { 'Fn::Sub': 42 }, /expects a string or \[string/],
    ['Fn::Select past the end', { 'Fn::Select': [3, ['a']] }, /no item 3 in a list of 1/],
    ['Fn::Select before the start', { 'Fn::Select': [-1, ['a']] }, /no item -1/],
    ['Fn::Select of a fraction', { 'Fn::Select': [0.5, ['a']] }, /no item 0.5/],
    ['Fn::Select of an empty index', { 'Fn::Select': ['', ['a']] }, /no item NaN/],
    ['Fn::Select from a string', { 'Fn::Select': [0, 'a,b'] }, /"a,b" is not a list/],
    ['Fn::Join of a string', { 'Fn::Join': [',', 'a'] }, /"a" is not a list/],
    ['Fn::Join of an object', { 'Fn::Join': [',', [{ a: 1 }]] }, /\{"a":1\} is not a string/],
    ['Fn::Join with a missing list', { 'Fn::Join': [','] }, /expects \[separator, \[values\]\]/],
    ['Fn::Split of a list', { 'Fn::Split': [',', ['a']] }, /is not a string/],
    ['Fn::GetAZs of another region', { 'Fn::GetAZs': 'us-east-1' }, /zones of us-east-1 are unknown/],
    ['Fn::If on an unknown condition', { 'Fn::If': ['Nope', 'a', 'b'] }, /no condition Nope/],
    ['Fn::If without an else', { 'Fn::If': ['IsProd', 'a'] }, /expects \[condition/],
    [
      'a condition that depends on itself',
      { 'Fn::If': ['Loop', 'a', 'b'] },
      /condition Loop depends on itself/,
    ],
    [
      'a condition that is not a boolean',
      { 'Fn::If': ['NotBoolean', 'a', 'b'] },
      /"yes" at .* is not a condition/,
    ],
    ['Fn::Or of one condition', { 'Fn::If': ['TooFew', 'a', 'b'] }, /expects 2 to 10 conditions/],
    ['Fn::Or of eleven conditions', { 'Fn::If': ['TooMany', 'a', 'b'] }, /expects 2 to 10 conditions/],
    ['Fn::Not of two conditions', { 'Fn::Not': [true, false] }, /expects \[condition\]/],
    [
      'Fn::FindInMap of a missing entry',
      { 'Fn::FindInMap': ['Sizes', 'dev', 'Memory'] },
      /no Sizes\.dev\.Memory/,
    ],
    ['Fn::FindInMap of an inherited key', { 'Fn::FindInMap': ['Sizes', 'prod', 'toString'] }, /no Sizes/],
    ['Fn::Base64 of a list', { 'Fn::Base64': ['a'] }, /is not a string/],
  ])('refuses %s rather than guess', (_, value, message) => {
    expect(() => resolver.resolve(value)).toThrow(message);
  });

  it('names the function and the path where it failed', () => {
    const properties = {
      Environment: { Variables: { URL: { 'Fn::Join': ['', ['https://', { Ref: 'Missing' }]] } } },
    };

    let caught: unknown;
    try {
      resolver.resolve(properties, 'Resources.Fn.Properties');
    } catch (error) {
      caught = error;
    }

    expect(caught).toBeInstanceOf(TemplateResolutionError);
    expect(caught).toMatchObject({
      intrinsic: 'Ref',
      path: 'Resources.Fn.Properties.Environment.Variables.URL.Fn::Join[1][1].Ref',
      message:
        'Cannot resolve Ref at Resources.Fn.Properties.Environment.Variables.URL.Fn::Join[1][1].Ref: no resource Missing',
    });
  });

  it('names the condition where a condition fails', () => {
    expect(() => resolver.conditionHolds('NotBoolean')).toThrow(/at Conditions\.NotBoolean/);
    expect(() => resolver.conditionHolds('Nope')).toThrow(/no condition Nope/);
  });
});

describe('template helpers', () => {
  it('lists the resources of a type with their logical ids, in template order', () => {
    const tables = resourcesOfType(TEMPLATE, 'AWS::DynamoDB::Table');

    expect(tables.map(([logicalId]) => logicalId)).toEqual(['Table', 'OtherTable']);
    expect(tables[1]?.[1].DeletionPolicy).toBe('Retain');
    expect(resourcesOfType(TEMPLATE, 'AWS::Lambda::Function')).toEqual([]);
  });

  it('finds a resource by logical id', () => {
    expect(findResource(TEMPLATE, 'Queue')).toEqual({ Type: 'AWS::SQS::Queue' });
  });

  it.each([
    ['Tab', /No resource Tab in the template; did you mean Table\?/],
    ['QueueB4F1E9A3', /No resource QueueB4F1E9A3 in the template; did you mean Queue\?/],
    ['Bucket', /^No resource Bucket in the template$/],
    ['constructor', /^No resource constructor in the template$/],
  ])('fails clearly for the missing %s', (logicalId, message) => {
    expect(() => findResource(TEMPLATE, logicalId)).toThrow(message);
  });
});

describe('physicalIdFor', () => {
  it('names a resource as CloudFormation does: stack, logical id, 12 random characters', () => {
    expect(physicalIdFor('MessagesTable', 'AWS::DynamoDB::Table', 'Hookpost')).toMatch(
      /^Hookpost-MessagesTable-[A-Z0-9]{12}$/,
    );
  });

  it('gives the same name on every run, and different names to different resources and stacks', () => {
    const name = physicalIdFor('Queue', 'AWS::SQS::Queue', 'Hookpost');

    expect(physicalIdFor('Queue', 'AWS::SQS::Queue', 'Hookpost')).toBe(name);
    expect(physicalIdFor('Queue2', 'AWS::SQS::Queue', 'Hookpost').slice(-12)).not.toBe(name.slice(-12));
    expect(physicalIdFor('Queue', 'AWS::SQS::Queue', 'Hookpost2').slice(-12)).not.toBe(name.slice(-12));
  });

  const LONG_STACK = `Hookpost${'Stack'.repeat(40)}`;
  const LONG_ID = `HookpostDeliveryDeadLetterQueue${'X'.repeat(300)}8F4D5E5B`;

  it.each([
    ['AWS::SQS::Queue', 80, /^[A-Za-z0-9_-]+$/],
    ['AWS::DynamoDB::Table', 255, /^[A-Za-z0-9_.-]+$/],
    ['AWS::Lambda::Function', 64, /^[A-Za-z0-9_-]+$/],
    ['AWS::Lambda::Permission', 100, /^[A-Za-z0-9_.-]+$/],
    ['AWS::IAM::Role', 64, /^[\w+=,.@-]+$/],
    ['AWS::SNS::Topic', 256, /^[A-Za-z0-9_-]+$/],
    ['AWS::S3::Bucket', 63, /^[a-z0-9.-]+$/],
    ['AWS::Some::NewThing', 255, /^[A-Za-z0-9_-]+$/],
  ])('keeps a %s name within %i characters of its alphabet', (type, maxLength, alphabet) => {
    const name = physicalIdFor(LONG_ID, type, LONG_STACK);

    expect(name.length).toBe(maxLength);
    expect(name).toMatch(alphabet);
    expect(name.toLowerCase()).toMatch(/^hookpoststack.*-hookpostdelivery.*-[a-z0-9]{12}$/);
  });

  it('gives a short logical id its whole length and the stack name the rest', () => {
    const name = physicalIdFor('Queue', 'AWS::SQS::Queue', LONG_STACK);

    expect(name).toMatch(/^HookpostStack[A-Za-z]+-Queue-[A-Z0-9]{12}$/);
    expect(name.length).toBe(80);
  });

  it('ends a FIFO queue name in .fifo within the 80 characters', () => {
    const name = physicalIdFor(LONG_ID, 'AWS::SQS::Queue', LONG_STACK, { fifo: true });

    expect(name).toMatch(/-[A-Z0-9]{12}\.fifo$/);
    expect(name.length).toBe(80);
  });

  it.each([
    ['AWS::KMS::Key', /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-a[0-9a-f]{3}-[0-9a-f]{12}$/],
    ['AWS::ApiGateway::RestApi', /^[a-z0-9]{10}$/],
    ['AWS::ApiGateway::Resource', /^[a-z0-9]{6}$/],
    ['AWS::EC2::VPC', /^vpc-[0-9a-f]{17}$/],
    ['AWS::EC2::SecurityGroup', /^sg-[0-9a-f]{17}$/],
  ])('gives a %s an id in its service format', (type, format) => {
    expect(physicalIdFor('Thing', type, 'Hookpost')).toMatch(format);
  });
});
