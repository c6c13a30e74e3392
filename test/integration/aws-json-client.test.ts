import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  AwsJsonClient,
  AwsServiceError,
  DYNAMODB,
  SECRETS_MANAGER,
} from '../../lambdas/adapters/aws/json-protocol/aws-json-client';
import { SecretsManagerReader } from '../../lambdas/adapters/aws/json-protocol/secrets-manager-reader';
import { type AwsEnvironment, ConfigError, loadAwsEnvironment } from '../../lambdas/config';
import { awsError, SCRIPTED_AWS_SECRET, ScriptedAws } from '../support/scripted-aws';

const noWait = { sleep: async () => {}, random: () => 0.5 };

describe('the JSON-protocol client', () => {
  const service = new ScriptedAws('dynamodb');
  let url: string;
  const environmentFor = (endpoint: string | undefined, secretAccessKey?: string): AwsEnvironment => ({
    ...service.environment(secretAccessKey),
    endpointOverride: () => endpoint,
  });
  beforeAll(async () => {
    url = await service.listen();
  });
  beforeEach(() => {
    service.expectedService = 'dynamodb';
  });
  afterAll(() => service.close());

  it('signs what it sends: the service computes the same signature from the request it received', async () => {
    service.script({ status: 200, body: '{"Item":{}}' });
    const client = new AwsJsonClient(DYNAMODB, { environment: environmentFor(url), ...noWait });
    await expect(client.call('GetItem', { TableName: 't', Key: { pk: { S: 'a' } } })).resolves.toEqual({
      Item: {},
    });
    expect(service.received).toEqual([
      {
        method: 'POST',
        path: '/',
        target: 'DynamoDB_20120810.GetItem',
        contentType: 'application/x-amz-json-1.0',
        body: { TableName: 't', Key: { pk: { S: 'a' } } },
        signatureProblem: undefined,
      },
    ]);
  });

  it('is caught by the check when it signs with another key (the check can fail)', async () => {
    service.script({ status: 200, body: '{}' });
    const client = new AwsJsonClient(DYNAMODB, {
      environment: environmentFor(url, 'another-secret'),
      ...noWait,
    });
    await client.call('GetItem', {});
    expect(service.received[0]?.signatureProblem).toBe('the signature does not match the request');
  });

  it.each([
    [
      'another region',
      { ...environmentFor(''), region: 'us-west-2' },
      'signed for dynamodb in us-west-2, not dynamodb in eu-west-1',
    ],
    [
      'no session token',
      {
        ...environmentFor(''),
        credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: SCRIPTED_AWS_SECRET },
      },
      'the session token of the credentials is missing or wrong',
    ],
  ])('is caught by the check when it signs for %s', async (_what, environment, problem) => {
    service.script({ status: 200, body: '{}' });
    const client = new AwsJsonClient(DYNAMODB, {
      environment: { ...environment, endpointOverride: () => url },
      ...noWait,
    });
    await client.call('GetItem', {});
    expect(service.received[0]?.signatureProblem).toBe(problem);
  });

  it('retries throttling and 5xx answers, three attempts in all', async () => {
    service.script(
      { status: 400, body: awsError('com.amazonaws.dynamodb.v20120810#ThrottlingException', 'slow down') },
      { status: 503, body: 'Service Unavailable' },
      { status: 200, body: '{"Count":0}' },
    );
    const client = new AwsJsonClient(DYNAMODB, { environment: environmentFor(url), ...noWait });
    await expect(client.call('Query', {})).resolves.toEqual({ Count: 0 });
    expect(service.received).toHaveLength(3);

    service.script({ status: 500, body: awsError('InternalServerError', 'oops') });
    await expect(client.call('Query', {})).rejects.toMatchObject({
      name: 'InternalServerError',
      statusCode: 500,
    });
    expect(service.received).toHaveLength(3);
  });

  it.each([
    [429, awsError('SomeLimitExceeded', 'too many')],
    [400, awsError('com.amazon.coral.service#RequestTimeoutException', 'took too long')],
    [403, awsError('com.amazonaws.sqs#RequestThrottled', 'slow down')],
    [502, '<html>Bad Gateway</html>'],
  ])('retries a %i answer that says try again: %s', async (status, body) => {
    service.script({ status, body }, { status: 200, body: '{}' });
    const client = new AwsJsonClient(DYNAMODB, { environment: environmentFor(url), ...noWait });
    await expect(client.call('GetItem', {})).resolves.toEqual({});
    expect(service.received).toHaveLength(2);
  });

  it('throws a refusal at once, named as the SDK names it', async () => {
    service.script({
      status: 400,
      body: awsError('com.amazonaws.dynamodb.v20120810#ResourceNotFoundException', 'no such table'),
    });
    const client = new AwsJsonClient(DYNAMODB, { environment: environmentFor(url), ...noWait });
    const error = await client.call('GetItem', {}).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(AwsServiceError);
    expect(error).toMatchObject({ name: 'ResourceNotFoundException', message: 'no such table' });
    expect(service.received).toHaveLength(1);
  });

  it.each([
    [501, awsError('NotImplemented', 'no such operation')],
    [403, awsError('AccessDeniedException', 'not yours')],
  ])('does not retry a %i answer no second try can mend: %s', async (status, body) => {
    service.script({ status, body }, { status: 200, body: '{}' });
    const client = new AwsJsonClient(DYNAMODB, { environment: environmentFor(url), ...noWait });
    await expect(client.call('GetItem', {})).rejects.toMatchObject({ statusCode: status });
    expect(service.received).toHaveLength(1);
  });

  it('waits longer after a throttled attempt than after a transient one', async () => {
    const waits: number[] = [];
    const client = new AwsJsonClient(DYNAMODB, {
      environment: environmentFor(url),
      random: () => 1,
      sleep: async (ms) => void waits.push(ms),
    });
    service.script(
      { status: 400, body: awsError('ProvisionedThroughputExceededException', 'hot') },
      { status: 500, body: awsError('InternalServerError', 'oops') },
      { status: 200, body: '{}' },
    );
    await client.call('GetItem', {});
    expect(waits).toEqual([500, 200]);
  });

  it('gives up on a stalled answer and tries again', async () => {
    service.script({ status: 0, body: '', hang: true }, { status: 200, body: '{"ok":true}' });
    const client = new AwsJsonClient(DYNAMODB, {
      environment: environmentFor(url),
      attemptTimeoutMs: 200,
      ...noWait,
    });
    await expect(client.call('GetItem', {})).resolves.toEqual({ ok: true });
    expect(service.received).toHaveLength(2);
  });

  it('reads a secret from Secrets Manager', async () => {
    service.script({ status: 200, body: JSON.stringify({ SecretString: 'the-admin-key-0123456789' }) });
    service.expectedService = 'secretsmanager';
    const reader = new SecretsManagerReader(
      new AwsJsonClient(SECRETS_MANAGER, { environment: environmentFor(url), ...noWait }),
    );
    await expect(reader.secretString('arn:aws:secretsmanager:eu-west-1:1:secret:k')).resolves.toBe(
      'the-admin-key-0123456789',
    );
    expect(service.received).toEqual([
      {
        method: 'POST',
        path: '/',
        target: 'secretsmanager.GetSecretValue',
        contentType: 'application/x-amz-json-1.1',
        body: { SecretId: 'arn:aws:secretsmanager:eu-west-1:1:secret:k' },
        signatureProblem: undefined,
      },
    ]);
  });

  it("calls the region's endpoint unless the environment names another", () => {
    const regional = (region: string) =>
      new AwsJsonClient(DYNAMODB, {
        environment: { ...environmentFor(undefined), region },
      }).endpoint.href;
    expect(regional('eu-west-1')).toBe('https://dynamodb.eu-west-1.amazonaws.com/');
    expect(regional('cn-north-1')).toBe('https://dynamodb.cn-north-1.amazonaws.com.cn/');
    expect(regional('us-gov-west-1')).toBe('https://dynamodb.us-gov-west-1.amazonaws.com/');
    expect(regional('eusc-de-east-1')).toBe('https://dynamodb.eusc-de-east-1.amazonaws.eu/');
    expect(regional('us-isob-east-1')).toBe('https://dynamodb.us-isob-east-1.sc2s.sgov.gov/');
    const environment = loadAwsEnvironment({
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'AKID',
      AWS_SECRET_ACCESS_KEY: 'secret',
      AWS_ENDPOINT_URL: 'http://127.0.0.1:1',
      AWS_ENDPOINT_URL_SECRETS_MANAGER: 'http://127.0.0.1:2',
    });
    expect(new AwsJsonClient(SECRETS_MANAGER, { environment }).endpoint.href).toBe('http://127.0.0.1:2/');
    expect(new AwsJsonClient(DYNAMODB, { environment }).endpoint.href).toBe('http://127.0.0.1:1/');
    expect(() => loadAwsEnvironment({ AWS_REGION: 'us-east-1' })).toThrow(ConfigError);
  });
});
