import { describe, expect, it } from 'vitest';
import { TemplateResolver } from '../../support/deployed/cloudformation';

/** The deployed tier's intrinsic functions: a wrong value here would deploy the functions with a wrong environment. */

const resolver = new TemplateResolver({
  template: {
    Resources: {},
    Parameters: { Stage: { Default: 'prod' } },
    Conditions: { IsProd: { 'Fn::Equals': [{ Ref: 'Stage' }, 'prod'] } },
    Mappings: { Sizes: { prod: { Memory: '512' } } },
  },
  pseudo: {
    region: 'eu-west-1',
    accountId: '123456789012',
    partition: 'aws',
    stackName: 'Hookpost',
    stackId: 'arn:aws:cloudformation:eu-west-1:123456789012:stack/Hookpost/1',
    urlSuffix: 'amazonaws.com',
  },
  physical: new Map<string, { ref: string; attributes: Record<string, string> }>([
    ['Queue', { ref: 'https://sqs/queue', attributes: { Arn: 'arn:aws:sqs:eu-west-1:123456789012:queue' } }],
    ['Table', { ref: 'table-1', attributes: { Arn: 'arn:table', 'Stream.Arn': 'arn:stream' } }],
  ]),
});

describe('intrinsic functions', () => {
  it.each([
    [{ Ref: 'AWS::Region' }, 'eu-west-1'],
    [{ Ref: 'Queue' }, 'https://sqs/queue'],
    [{ Ref: 'Stage' }, 'prod'],
    [{ 'Fn::GetAtt': ['Queue', 'Arn'] }, 'arn:aws:sqs:eu-west-1:123456789012:queue'],
    [{ 'Fn::GetAtt': 'Table.Stream.Arn' }, 'arn:stream'],
    [{ 'Fn::Join': ['/', ['a', { Ref: 'Table' }, 'b']] }, 'a/table-1/b'],
    [
      // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders, not JavaScript's
      { 'Fn::Sub': 'arn:${AWS::Partition}:${AWS::Region}:${Table}:${Queue.Arn}:${!Literal}' },
      // biome-ignore lint/suspicious/noTemplateCurlyInString: ${!Literal} escapes a placeholder
      'arn:aws:eu-west-1:table-1:arn:aws:sqs:eu-west-1:123456789012:queue:${Literal}',
    ],
    // biome-ignore lint/suspicious/noTemplateCurlyInString: Fn::Sub placeholders, not JavaScript's
    [{ 'Fn::Sub': ['${Name}-x', { Name: { Ref: 'Table' } }] }, 'table-1-x'],
    [{ 'Fn::Select': [1, { 'Fn::Split': [',', 'a,b,c'] }] }, 'b'],
    [{ 'Fn::Select': [2, { 'Fn::GetAZs': '' }] }, 'eu-west-1c'],
    [{ 'Fn::If': ['IsProd', 'yes', 'no'] }, 'yes'],
    [{ 'Fn::FindInMap': ['Sizes', { Ref: 'Stage' }, 'Memory'] }, '512'],
    [{ 'Fn::Base64': 'hi' }, 'aGk='],
    [{ list: ['a', { Ref: 'AWS::NoValue' }, 'b'], gone: { Ref: 'AWS::NoValue' } }, { list: ['a', 'b'] }],
  ])('resolves %j', (value, expected) => {
    expect(resolver.resolve(value)).toEqual(expected);
  });

  it.each([
    [{ Ref: 'Missing' }, /no resource Missing/],
    [{ 'Fn::GetAtt': ['Queue', 'QueueName'] }, /no attribute QueueName of Queue/],
    [{ 'Fn::ImportValue': 'shared' }, /Fn::ImportValue.*not emulated/],
    [{ deep: [{ 'Fn::Select': [5, ['a']] }] }, /at \.deep\[0\]\.Fn::Select/],
  ])('refuses %j rather than guess', (value, message) => {
    expect(() => resolver.resolve(value)).toThrow(message);
  });
});
