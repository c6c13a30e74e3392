import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AwsJsonClient,
  AwsServiceError,
  DYNAMODB,
  SECRETS_MANAGER,
} from '../../lambdas/adapters/aws/json-protocol/aws-json-client';
import { DynamoApiKeyReader } from '../../lambdas/adapters/aws/json-protocol/dynamo-api-key-reader';
import { SecretsManagerReader } from '../../lambdas/adapters/aws/json-protocol/secrets-manager-reader';
import { DynamoApiKeyStore } from '../../lambdas/adapters/dynamo/api-key-store';
import { type AwsEnvironment, ConfigError, loadAwsEnvironment } from '../../lambdas/config';
import { bodyOf, signatureProblemOf } from '../support/deployed/aws-access';
import { type DynamoEngine, freshTables, startDynalite } from '../support/dynamodb';

const SECRET = 'test-secret-key';

const environmentFor = (endpoint: string | undefined, secretAccessKey = SECRET): AwsEnvironment => ({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'AKIDTEST', secretAccessKey, sessionToken: 'session' },
  endpointOverride: () => endpoint,
});

const noWait = { sleep: async () => {}, random: () => 0.5 };

interface Received {
  readonly target: string | undefined;
  readonly contentType: string | undefined;
  readonly body: unknown;
  readonly signatureProblem: string | undefined;
}

/** A service on 127.0.0.1 that checks each call's signature and answers from a script. */
class ScriptedService {
  readonly received: Received[] = [];
  /** The service a signature must be scoped to: the one the test calls. */
  expectedService = 'dynamodb';
  private answers: { status: number; body: string; hang?: boolean }[] = [];
  private readonly server = http.createServer((request, response) => {
    void (async () => {
      const raw = await bodyOf(request);
      this.received.push({
        target: request.headers['x-amz-target'] as string | undefined,
        contentType: request.headers['content-type'],
        body: JSON.parse(raw.toString('utf8')),
        signatureProblem: await signatureProblemOf(request, raw, {
          secretAccessKey: SECRET,
          sessionToken: 'session',
          scope: { region: 'eu-west-1', service: this.expectedService },
        }),
      });
      const answer = this.answers.length > 1 ? this.answers.shift() : this.answers[0];
      if (answer?.hang === true) return;
      response.writeHead(answer?.status ?? 200, { 'content-type': 'application/x-amz-json-1.0' });
      response.end(answer?.body ?? '{}');
    })();
  });

  script(...answers: { status: number; body: string; hang?: boolean }[]): void {
    this.answers = answers;
    this.received.length = 0;
    this.expectedService = 'dynamodb';
  }

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

const awsError = (type: string, message: string) => JSON.stringify({ __type: type, message });

describe('the JSON-protocol client', () => {
  const service = new ScriptedService();
  let url: string;
  beforeAll(async () => {
    url = await service.listen();
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
      { ...environmentFor(''), credentials: { accessKeyId: 'AKIDTEST', secretAccessKey: SECRET } },
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

describe("the authorizer's read of an application key", () => {
  let engine: DynamoEngine;
  beforeAll(async () => {
    engine = await startDynalite();
  });
  afterAll(() => engine?.close());

  it('reads what the store wrote, and nothing for an unknown key', async () => {
    const { doc, tables } = await freshTables(engine.endpoint);
    const store = new DynamoApiKeyStore(doc, tables.catalog);
    const apiKey = {
      id: 'key_1',
      appId: 'app_1',
      keyHash: 'aGFzaA==',
      createdAt: '2026-11-23T10:00:00.000Z',
    };
    await store.create(apiKey);
    const reader = new DynamoApiKeyReader(
      new AwsJsonClient(DYNAMODB, { environment: environmentFor(engine.endpoint) }),
      tables.catalog,
    );
    await expect(reader.get('key_1')).resolves.toEqual(apiKey);
    await expect(reader.get('key_2')).resolves.toBeUndefined();
  });
});
