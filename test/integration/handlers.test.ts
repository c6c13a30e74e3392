import { marshall } from '@aws-sdk/util-dynamodb';
import type {
  APIGatewayTokenAuthorizerEvent,
  DynamoDBRecord,
  DynamoDBStreamEvent,
  SQSEvent,
  SQSRecord,
} from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AdminKeySecret, type SecretReader } from '../../lambdas/adapters/aws/secrets/admin-key-secret';
import { DynamoDeliveryStore } from '../../lambdas/adapters/dynamo/delivery-store';
import { messageAttributes } from '../../lambdas/adapters/dynamo/message-item';
import { fanOutWorkFromStreamImage } from '../../lambdas/adapters/dynamo/message-stream';
import {
  ADMIN_KEY_CACHE_SECONDS,
  APP_KEY_REVOCATION_SECONDS,
  AUTHORIZER_CACHE_SECONDS,
  KEY_CHANGE_DEADLINE_SECONDS,
} from '../../lambdas/contract/auth';
import { DeliveryNotReadyError } from '../../lambdas/core/errors';
import { newId } from '../../lambdas/core/ids';
import { hashKey, newAppKey } from '../../lambdas/core/keys';
import type { ApiKey } from '../../lambdas/core/model';
import { createApiHandler, lambdaAuthorizerAuthenticator } from '../../lambdas/handlers/api';
import { createAuthorizerHandler, UNKNOWN_PRINCIPAL, wholeApiArn } from '../../lambdas/handlers/authorizer';
import { createDeliveryHandler } from '../../lambdas/handlers/delivery';
import { createFanOutHandler } from '../../lambdas/handlers/fanout';
import { proxyEvent } from '../../lambdas/local/api-gateway-server';
import { createJsonLogger } from '../../lambdas/logger';
import { KeyAuthenticator } from '../../lambdas/services/api-keys';
import type { DeliveryService } from '../../lambdas/services/delivery';
import { aMessage, anInvoicePayload, ManualClock } from '../support/fixtures';
import { LocalStack } from '../support/local-stack';

// Handlers log the failures these tests provoke; keep the test output to the results.
const logger = createJsonLogger('error', () => {});
const METHOD_ARN = 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/POST/v1/apps/app_1/messages';

/** The authorizer's answer to a key it does not know. */
const denied = {
  principalId: UNKNOWN_PRINCIPAL,
  policyDocument: {
    Version: '2012-10-17',
    Statement: [
      {
        Action: 'execute-api:Invoke',
        Effect: 'Deny',
        Resource: 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*',
      },
    ],
  },
};

/** An authorizer over the admin key's hash and an in-memory table of application keys. */
function authorizerWith(adminKeyHash: () => Promise<Buffer>, apiKeys: ApiKey[] = []) {
  return createAuthorizerHandler({
    keys: new KeyAuthenticator({
      adminKeyHash,
      apiKeys: { get: async (keyId) => apiKeys.find((apiKey) => apiKey.id === keyId) },
    }),
  });
}

describe('authorizer handler', () => {
  const appKeyId = newId('apiKey', new Date());
  const appKey = newAppKey(appKeyId);
  const stored: ApiKey[] = [
    {
      id: appKeyId,
      appId: 'app_1',
      keyHash: hashKey(appKey).toString('base64'),
      createdAt: '2026-11-23T00:00:00Z',
    },
  ];
  const handler = authorizerWith(async () => hashKey('hpk_admin_right_key_0123456789'), stored);
  const event = (authorizationToken: string): APIGatewayTokenAuthorizerEvent => ({
    type: 'TOKEN',
    methodArn: METHOD_ARN,
    authorizationToken,
  });

  it('allows the admin key on the whole API, so that a cached answer serves every route', async () => {
    const result = await handler(event('Bearer hpk_admin_right_key_0123456789'));
    expect(result.principalId).toBe('admin');
    expect(result.policyDocument.Statement).toEqual([
      {
        Action: 'execute-api:Invoke',
        Effect: 'Allow',
        Resource: 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*',
      },
    ]);
  });

  it('allows an application key on the whole API too, naming its application for the API function', async () => {
    const result = await handler(event(`Bearer ${appKey}`));
    expect(result.principalId).toBe(appKeyId);
    expect(result.context).toEqual({ role: 'app', appId: 'app_1', keyId: appKeyId });
    expect(result.policyDocument.Statement).toEqual([
      expect.objectContaining({ Resource: 'arn:aws:execute-api:eu-west-1:123456789012:a1b2c3d4e5/prod/*' }),
    ]);
  });

  it('refuses an application key whose secret part is not the stored one, or whose record is gone', async () => {
    const forged = `${appKey.slice(0, -4)}AAAA`;
    expect(await handler(event(`Bearer ${forged}`))).toEqual(denied);
    const revoked = authorizerWith(async () => hashKey('hpk_admin_right_key_0123456789'), []);
    expect(await revoked(event(`Bearer ${appKey}`))).toEqual(denied);
  });

  it('stops a revoked application key within 60 s: it is read at every authorizer call', () => {
    expect(APP_KEY_REVOCATION_SECONDS).toBeLessThanOrEqual(60);
  });

  it.each(['Bearer wrong', 'hpk_admin_right_key_0123456789', '', 'Basic abc'])(
    'denies %j on the whole API (API Gateway answers 401), as an answer rather than an error',
    async (token) => {
      expect(await handler(event(token))).toEqual(denied);
    },
  );

  it('scopes the policy to the API and stage of the request', () => {
    expect(wholeApiArn('arn:aws:execute-api:us-east-1:1:api/stage/GET/')).toBe(
      'arn:aws:execute-api:us-east-1:1:api/stage/*',
    );
  });
});

/**
 * The admin key's secret, answering each read in turn from a script (the last answer
 * again once the script runs out). The reader that calls Secrets Manager itself is tested
 * in aws-json-client.test.ts and by the deployed tier.
 */
class ScriptedSecret implements SecretReader {
  readonly reads: string[] = [];
  constructor(private readonly answers: (() => Promise<string>)[]) {}

  secretString(secretId: string): Promise<string> {
    this.reads.push(secretId);
    const answer = this.answers.length > 1 ? this.answers.shift() : this.answers[0];
    if (answer === undefined) throw new Error('the script has no answer');
    return answer();
  }
}

describe('admin key from Secrets Manager', () => {
  const ARN = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:hookpost-admin-key-AbCdEf';

  const maxAgeMs = ADMIN_KEY_CACHE_SECONDS * 1000;
  const event = (key: string) => ({
    type: 'TOKEN' as const,
    methodArn: METHOD_ARN,
    authorizationToken: `Bearer ${key}`,
  });

  it('is read once for a while and kept only as a hash', async () => {
    const secret = new ScriptedSecret([async () => 'hpk_admin_right_key_0123456789']);
    const clock = new ManualClock();
    const adminKey = new AdminKeySecret(secret, ARN, {
      maxAgeMs,
      clock,
    });
    const handler = authorizerWith(() => adminKey.keyHash());
    await handler(event('hpk_admin_right_key_0123456789'));
    clock.advance(maxAgeMs - 1);
    await handler(event('hpk_admin_right_key_0123456789'));
    expect(await handler(event('nope'))).toEqual(denied);
    expect(secret.reads).toEqual([ARN]);
    expect(await adminKey.keyHash()).toEqual(hashKey('hpk_admin_right_key_0123456789'));
  });

  it('refuses a rotated-out key once its cached hash is older than the bound', async () => {
    const secret = new ScriptedSecret([
      async () => 'hpk_admin_old_key_0123456789',
      async () => 'hpk_admin_new_key_0123456789',
    ]);
    const clock = new ManualClock();
    const adminKey = new AdminKeySecret(secret, ARN, {
      maxAgeMs,
      clock,
    });
    const handler = authorizerWith(() => adminKey.keyHash());
    await expect(handler(event('hpk_admin_old_key_0123456789'))).resolves.toMatchObject({
      principalId: 'admin',
    });
    clock.advance(maxAgeMs);
    expect(await handler(event('hpk_admin_old_key_0123456789'))).toEqual(denied);
    await expect(handler(event('hpk_admin_new_key_0123456789'))).resolves.toMatchObject({
      principalId: 'admin',
    });
  });

  it('refuses a rotated key within 60 s: authorizer cache and key cache together', () => {
    expect(AUTHORIZER_CACHE_SECONDS + ADMIN_KEY_CACHE_SECONDS).toBeLessThanOrEqual(60);
    expect(KEY_CHANGE_DEADLINE_SECONDS).toBeLessThanOrEqual(60);
  });

  it('tries again after a failed read instead of failing forever', async () => {
    const secret = new ScriptedSecret([
      () => Promise.reject(new Error('throttled')),
      async () => 'hpk_admin_right_key_0123456789',
    ]);
    const adminKey = new AdminKeySecret(secret, ARN, {
      maxAgeMs,
      clock: new ManualClock(),
    });
    await expect(adminKey.keyHash()).rejects.toThrow('throttled');
    await expect(adminKey.keyHash()).resolves.toEqual(hashKey('hpk_admin_right_key_0123456789'));
  });
});

describe('API handler behind the authorizer', () => {
  let stack: LocalStack;
  beforeAll(async () => {
    stack = await LocalStack.start();
  });
  afterAll(async () => {
    await stack?.stop();
  });

  it('serves what the authorizer passed and refuses what it did not', async () => {
    const handler = createApiHandler({
      services: stack.runtime.services,
      authenticate: lambdaAuthorizerAuthenticator,
      logger,
    });
    const base = proxyEvent({
      method: 'GET',
      path: '/v1/apps',
      headers: [],
      query: [],
      body: null,
      sourceIp: '198.51.100.7',
    });
    // What API Gateway hands on from a Lambda authorizer: its principalId and context, flattened.
    const withAuthorizer = (authorizer: Record<string, unknown>) => ({
      ...base,
      requestContext: { ...base.requestContext, authorizer },
    });
    expect(
      (await handler(withAuthorizer({ principalId: 'admin', role: 'admin', integrationLatency: 5 })))
        .statusCode,
    ).toBe(200);
    const appKey = {
      principalId: 'key_1',
      role: 'app',
      appId: 'app_A',
      keyId: 'key_1',
      integrationLatency: 5,
    };
    expect((await handler(withAuthorizer(appKey))).statusCode).toBe(403);
    expect((await handler(withAuthorizer({ principalId: 'admin' }))).statusCode).toBe(401);
    expect((await handler(base)).statusCode).toBe(401);
    const health = proxyEvent({
      method: 'GET',
      path: '/v1/health',
      headers: [],
      query: [],
      body: null,
      sourceIp: '1.2.3.4',
    });
    expect((await handler(health)).statusCode).toBe(200);
  });

  it('fans out a stream INSERT of a message and ignores the other records', async () => {
    const appId = (await stack.call('POST', '/v1/apps', { body: { name: 'Stream' } })).body.id;
    const endpointId = (
      await stack.call('POST', `/v1/apps/${appId}/endpoints`, { body: { url: 'http://127.0.0.1:9/x' } })
    ).body.id;
    const message = aMessage(appId, { payload: anInvoicePayload(2) });
    const record = (
      eventName: DynamoDBRecord['eventName'],
      item: Record<string, unknown>,
      sequence: string,
    ): DynamoDBRecord => ({
      eventID: `event-${sequence}`,
      eventName,
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: 'eu-west-1',
      eventSourceARN:
        'arn:aws:dynamodb:eu-west-1:123456789012:table/hookpost-messages/stream/2026-11-22T00:00:00.000',
      dynamodb: {
        ApproximateCreationDateTime: 1_795_338_000,
        Keys: marshall({ pk: item.pk, sk: item.sk }) as never,
        NewImage: marshall(item, { removeUndefinedValues: true }) as never,
        SequenceNumber: sequence,
        SizeBytes: 512,
        StreamViewType: 'NEW_IMAGE',
      },
    });
    const event: DynamoDBStreamEvent = {
      Records: [
        record(
          'INSERT',
          { pk: appId, sk: 'EVENTID#order-1', kind: 'event-id', message: messageAttributes(message) },
          '100',
        ),
        record(
          'INSERT',
          { pk: appId, sk: message.id, kind: 'message', ...messageAttributes(message) },
          '200',
        ),
        record(
          'MODIFY',
          { pk: appId, sk: message.id, kind: 'message', ...messageAttributes(message) },
          '300',
        ),
      ],
    };
    // The image carries the payload deflated, as a binary attribute: it decodes to the message as sent.
    expect(fanOutWorkFromStreamImage(event.Records[1]?.dynamodb?.NewImage as never)).toEqual({ message });
    const handler = createFanOutHandler({
      fanOut: stack.runtime.services.fanOut,
      decode: fanOutWorkFromStreamImage,
      logger,
    });
    expect(await handler(event)).toEqual({ batchItemFailures: [] });
    const deliveries = await new DynamoDeliveryStore(stack.runtime.doc, stack.runtime.tables.deliveries, {
      retentionDays: 30,
    }).listForMessage(message.id);
    expect(deliveries.map((delivery) => delivery.endpointId)).toEqual([endpointId]);
  });

  const sqsRecord = (messageId: string, body: string): SQSRecord => ({
    messageId,
    receiptHandle: `AQEB${messageId}`,
    body,
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: '1795338000000',
      SenderId: 'AROAEXAMPLE:hookpost-fanout',
      ApproximateFirstReceiveTimestamp: '1795338000100',
    },
    messageAttributes: {},
    md5OfBody: '0',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:eu-west-1:123456789012:hookpost-delivery',
    awsRegion: 'eu-west-1',
  });

  it('reports the malformed record of an SQS batch as a failure and processes the rest', async () => {
    const event: SQSEvent = {
      Records: [
        sqsRecord(
          'm-1',
          JSON.stringify({
            appId: 'app_x',
            msgId: 'msg_gone',
            endpointId: 'ep_x',
            attemptNumber: 1,
            trigger: 'initial',
          }),
        ),
        sqsRecord('m-2', '{not json'),
        sqsRecord('m-3', JSON.stringify({ appId: 'app_x', msgId: 'msg_1' })),
      ],
    };
    const handler = createDeliveryHandler({ delivery: stack.runtime.services.delivery, logger });
    expect(await handler(event)).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-2' }, { itemIdentifier: 'm-3' }],
    });
  });

  it('names the delivery of a task it hands back to the queue by its ids, and nothing of its content', async () => {
    const lines: string[] = [];
    const task = { appId: 'app_x', msgId: 'msg_x', endpointId: 'ep_x', attemptNumber: 2, trigger: 'retry' };
    const notReady = {
      deliver: async () => {
        throw new DeliveryNotReadyError('Attempt 2 of msg_x to ep_x is waiting for attempt 1.');
      },
    } as unknown as DeliveryService;
    const handler = createDeliveryHandler({
      delivery: notReady,
      logger: createJsonLogger('info', (line) => lines.push(line)),
    });
    expect(await handler({ Records: [sqsRecord('m-9', JSON.stringify(task))] })).toEqual({
      batchItemFailures: [{ itemIdentifier: 'm-9' }],
    });
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      expect.objectContaining({
        message: 'delivery task handed back to the queue',
        messageId: 'm-9',
        ...task,
      }),
    ]);
  });
});
